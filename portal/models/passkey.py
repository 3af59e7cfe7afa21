"""Passkeys (WebAuthn credentials) of an account, and the single-use challenges of their
ceremonies. The ceremonies themselves are in portal/security/passkeys.py."""
from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.types import EncryptedText, UTCDateTime

# A credential id is at most 1023 bytes (WebAuthn §5.8.3): 1364 characters in base64url.
CREDENTIAL_ID_LENGTH = 1400


class Passkey(db.Model):
    """One authenticator's key pair for this portal: the public half, and how often it signed.

    The private key never leaves the person's phone, computer or security key. The signature
    counter it reports must grow with every use (when it counts at all): a counter that does
    not is refused as a possible clone.
    """

    __tablename__ = "passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # base64url, as the browser reports it: looked up by value at every passkey sign-in.
    credential_id: Mapped[str] = mapped_column(String(CREDENTIAL_ID_LENGTH), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE_Key, as registered
    sign_count: Mapped[int] = mapped_column(default=0)
    transports: Mapped[str | None] = mapped_column(String(100))  # "internal,hybrid", a hint
    # The random WebAuthn user handle the authenticator stores with the key (one per account,
    # never the database id or the email); a sign-in whose handle differs is refused.
    user_handle: Mapped[bytes] = mapped_column(LargeBinary(64))
    # Typed by the person ("My phone"); free text, so encrypted like any other.
    name = mapped_column(EncryptedText("passkeys.name"), nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_used_at = mapped_column(UTCDateTime)

    user = relationship("User", back_populates="passkeys")

    def __repr__(self):
        return f"<Passkey {self.id} user={self.user_id}>"

    def visible_to(self, user):
        """Only its owner sees or removes a passkey (get_or_404_for)."""
        return user is not None and user.id == self.user_id

    @property
    def transport_list(self):
        return [t for t in (self.transports or "").split(",") if t]


class PasskeyChallenge(db.Model):
    """A challenge handed to a browser for one ceremony: deleted when answered (once), dead
    after PASSKEY_CHALLENGE_LIFETIME. The browser's cookie session holds the challenge itself;
    this row is what makes it single-use even if an old cookie is replayed."""

    __tablename__ = "passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    # Registration and the second factor are for one known account; passwordless sign-in is not.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                                index=True)
    expires_at = mapped_column(UTCDateTime, nullable=False, index=True)
