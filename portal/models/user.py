"""Accounts: users, their server-side sessions, recovery codes and client invitations."""
from flask_login import UserMixin
from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.core.vocabulary import CareStatus, Role
from portal.extensions import db
from portal.models.types import EncryptedText, OpaqueCode, UTCDateTime, opaque_code


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (Index("uq_users_calendar_token_hash", "calendar_token_hash", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    role: Mapped[str] = mapped_column(String(16), default=Role.CLIENT.value, index=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    is_active_account: Mapped[bool] = mapped_column(default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    email_verified_at = mapped_column(UTCDateTime)

    password_hash: Mapped[str] = mapped_column(String(255))
    password_changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Set when someone else chose the password (an admin, `flask create-user`) for a clinician:
    # they must choose their own before the session reaches anything (ASVS V6.4.1-like: an
    # initial secret known to another person is replaced at first use).
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    # TOTP secret, encrypted with the PHI keys (portal.core.crypto).
    totp_secret_enc: Mapped[str | None] = mapped_column(Text)
    mfa_enabled_at = mapped_column(UTCDateTime)
    totp_last_counter: Mapped[int | None] = mapped_column()

    # Private calendar feed (.ics URL); only a hash of the secret token is stored. Unique
    # through an index, not a table constraint: adding it needs no rebuild of `users` on SQLite
    # (see migration 0003).
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64))

    # Clients only: active, paused or discharged (history and reasons in care_status_changes).
    # Opaque, not encrypted: "discharged" is a fact about care, and the lists of clients filter
    # on it (who may book, who gets check-in invitations). The server default is the code.
    care_status: Mapped[str] = mapped_column(
        OpaqueCode("users.care_status", CareStatus), default=CareStatus.ACTIVE.value,
        server_default=opaque_code("users.care_status", CareStatus.ACTIVE.value))

    failed_login_count: Mapped[int] = mapped_column(default=0)
    # Wrong second-factor codes, counted apart from the password failures above: a correct
    # password must not reset them, or whoever holds the password could guess codes forever.
    mfa_failed_count: Mapped[int] = mapped_column(default=0, server_default="0")
    failed_login_first_at = mapped_column(UTCDateTime)
    locked_until = mapped_column(UTCDateTime)

    therapist = relationship("User", remote_side=[id], foreign_keys=[therapist_id])
    recovery_codes = relationship("RecoveryCode", back_populates="user",
                                  cascade="all, delete-orphan")
    passkeys = relationship("Passkey", back_populates="user", cascade="all, delete-orphan",
                            order_by="Passkey.id")

    def __repr__(self):
        return f"<User {self.id} {self.role}>"

    # --- roles -----------------------------------------------------------------------------
    @property
    def is_active(self):  # Flask-Login: deactivated accounts cannot log in
        return bool(self.is_active_account)

    @property
    def is_client(self):
        return self.role == Role.CLIENT.value

    @property
    def is_admin(self):
        return self.role == Role.ADMIN.value

    @property
    def is_clinician(self):
        """Therapists and admins: they see clients and must use MFA."""
        return self.role in (Role.THERAPIST.value, Role.ADMIN.value)

    @property
    def in_care(self):
        """A client who is neither paused nor discharged (may book sessions)."""
        return self.care_status == CareStatus.ACTIVE.value

    @property
    def mfa_required(self):
        return self.is_clinician or self.mfa_enabled_at is not None

    @property
    def email_verified(self):
        return self.email_verified_at is not None

    # --- lockout (ASVS V6.3.1: per-account throttling) -----------------------------------------
    def is_locked(self, now):
        return self.locked_until is not None and self.locked_until > now

    def record_failed_login(self, now, threshold, window, duration):
        """Count a failure; return True when this failure locks the account."""
        if self.failed_login_first_at is None or now - self.failed_login_first_at > window:
            self.failed_login_first_at = now
            self.failed_login_count = 0
        self.failed_login_count += 1
        if self.failed_login_count >= threshold:
            self.locked_until = now + duration
            self.failed_login_count = 0
            self.failed_login_first_at = None
            return True
        return False

    def clear_failed_logins(self):
        """The password step passed: clears password failures only, never second-factor ones."""
        self.failed_login_count = 0
        self.failed_login_first_at = None

    def record_failed_second_factor(self, now, threshold, duration):
        """Count a wrong TOTP or recovery code; return True when this failure locks the account.

        There is no time window and the lock does not reset the count: only a correct second
        factor or an admin's reset does. So after `threshold` wrong codes, each further wrong
        code (once the lock has ended) locks the account again at once, and the owner hears
        of it each time: the holder of a stolen password gets one guess per lock period instead
        of a fresh allowance (the stricter reading of ASVS V6.3.1 for a 6-digit code).
        """
        self.mfa_failed_count = (self.mfa_failed_count or 0) + 1
        if self.mfa_failed_count >= threshold:
            self.locked_until = now + duration
            return True
        return False

    def clear_failed_second_factors(self):
        self.mfa_failed_count = 0


class RecoveryCode(db.Model):
    """One single-use MFA recovery code, stored as a SHA-256 hash (the codes carry 50 random bits)."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at = mapped_column(UTCDateTime)

    user = relationship("User", back_populates="recovery_codes")


class UserSession(db.Model):
    """A server-side login session; the browser holds only its random id (hashed here).

    A session exists from the moment the password is accepted; it authenticates the user only
    once `mfa_passed_at` is set (or MFA is not required), so there is no half-logged-in state.
    """

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_active", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    mfa_passed_at = mapped_column(UTCDateTime)
    revoked_at = mapped_column(UTCDateTime)
    revoke_reason: Mapped[str | None] = mapped_column(String(32))
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    # The TOTP key being enrolled in this session: fresh for every visit of the set-up page and
    # stored on the user only once a code proves it, so a key shown to whoever opened the page
    # first is useless to them (encrypted like the user's key; never in the cookie).
    pending_totp_secret = mapped_column(EncryptedText("user_sessions.pending_totp_secret"))

    user = relationship("User")

    def __repr__(self):
        return f"<UserSession {self.id} user={self.user_id}>"

    def expiry_reason(self, now, idle, absolute):
        """Why this session can no longer be used at `now`, or None while it is valid."""
        if self.revoked_at is not None:
            return "revoked"
        if now - self.created_at > absolute:
            return "absolute_timeout"
        if now - self.last_seen_at > idle:
            return "idle_timeout"
        return None

    @property
    def authenticated(self):
        return self.mfa_passed_at is not None or not self.user.mfa_required


class Invitation(db.Model):
    """A therapist's invitation for a client to register; the link verifies the email."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=False)
    used_at = mapped_column(UTCDateTime)

    therapist = relationship("User")

    def usable(self, now):
        return self.used_at is None and self.expires_at > now
