"""Signing in and out, and the credentials of an account: password checks with lockout, the
signed links of emails, password reset and change, and the change of sign-in email.

Registration, the second factor and the other account settings are in services_<topic>.py.
Each workflow that changes data writes its audit record and commits, unless it says otherwise.
"""
import hashlib
from dataclasses import dataclass

from flask import current_app, session, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from portal.core.signals import sessions_revoked
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.user import User, UserSession
from portal.notifications.email import queue_email
from portal.security import passwords, sessions
from portal.security.audit import record
from portal.security.redirects import safe_next

VERIFY_SALT = "verify-email"
RESET_SALT = "reset-password"
CHANGE_EMAIL_SALT = "change-email"


@dataclass
class LoginResult:
    user: User | None = None
    ok: bool = False
    needs_verification: bool = False
    login_session: UserSession | None = None


def find_user(email):
    return db.session.scalar(select(User).where(func.lower(User.email) == (email or "").lower()))


def absolute_url(endpoint, **values):
    """A link for an email or a calendar app, built from BASE_URL, never from the request's Host
    header (a forged Host would otherwise turn a reset email into a phishing link)."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


# --- signing in and out ----------------------------------------------------------------------
def sign_in(email, password):
    """The password step (committed). On success a server-side session starts; it signs the
    user in at once, or after the second factor when the account needs one."""
    result = authenticate(email, password)
    if result.ok:
        result.login_session = begin_login(result.user)
    db.session.commit()
    return result


def authenticate(email, password):
    """Check a password login; count failures, lock after too many, email the owner on lockout.

    The caller shows one generic message for every failure, so unknown emails, wrong passwords
    and locked accounts look the same from outside. Not committed.
    """
    now = utcnow()
    user = find_user(email)
    if user is None:
        passwords.waste_time_verifying(password)
        record("login_failure", outcome="failure", detail="unknown_account")
        return LoginResult()
    if user.is_locked(now):
        passwords.waste_time_verifying(password)
        record("login_failure", actor=user, obj=("user", user.id), outcome="failure",
               detail="locked")
        return LoginResult(user=user)
    if not passwords.verify_password(user.password_hash, password):
        note_failure(user, now, "bad_password")
        return LoginResult(user=user)
    if not user.is_active:
        record("login_failure", actor=user, obj=("user", user.id), outcome="failure",
               detail="deactivated")
        return LoginResult(user=user)
    user.clear_failed_logins()
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
        record("password_rehash", actor=user, obj=("user", user.id))
    if user.is_client and not user.email_verified:
        record("login_failure", actor=user, obj=("user", user.id), outcome="failure",
               detail="email_unverified")
        return LoginResult(user=user, needs_verification=True)
    return LoginResult(user=user, ok=True)


def note_failure(user, now, detail):
    """A failed password or second factor: audit it and lock the account at the threshold.
    Not committed."""
    cfg = current_app.config
    record("login_failure", actor=user, obj=("user", user.id), outcome="failure", detail=detail)
    if user.record_failed_login(now, cfg["LOCKOUT_THRESHOLD"], cfg["LOCKOUT_WINDOW"],
                                cfg["LOCKOUT_DURATION"]):
        record("account_locked", actor=user, obj=("user", user.id), outcome="failure")
        queue_email(user.email, "Sign-in paused on your account", "account_locked",
                    minutes=int(cfg["LOCKOUT_DURATION"].total_seconds() // 60),
                    reset_url=absolute_url("accounts.reset_request"))


def reauthenticate(user, password):
    """Check the current password before a sensitive change (ASVS V6.2.3 / V7.5).

    A wrong password counts toward the account lockout (committed), so a stolen session cannot
    be used to guess the password freely; a locked account is refused even with the right one.
    """
    now = utcnow()
    if user.is_locked(now):
        passwords.waste_time_verifying(password or "")
        return False
    if passwords.verify_password(user.password_hash, password or ""):
        return True
    note_failure(user, now, "bad_reauth")
    db.session.commit()
    return False


def begin_login(user):
    """Start a server-side session after the password step; MFA may still be needed.
    Not committed."""
    row = sessions.start_session(user, mfa_passed=not user.mfa_required)
    record("login_success" if row.authenticated else "login_password_ok",
           actor=user, obj=("session", None))
    return row


def page_after_sign_in(user):
    """Where a finished sign-in goes: choosing one's own password first when an admin set it
    (the wanted page, kept in the session by the sign-in form, stays there for afterwards)."""
    if user.must_change_password:
        return url_for("accounts.choose_password")
    return safe_next(session.pop("next", ""), url_for("main.home"))


def sign_out():
    """End this request's session on the server (committed), so the old cookie no longer works,
    and tell the areas that hold something open for it."""
    row = sessions.end_session("logout")
    if row is None:
        return
    record("logout", actor=row.user_id, obj=("session", row.id))
    db.session.commit()
    sessions_revoked.send(current_app._get_current_object(), session_ids={row.id})


def keep_alive():
    """The idle warning's "stay signed in": this session's idle timer starts again."""
    sessions.current_session().last_seen_at = utcnow()
    db.session.commit()


# --- signed tokens ---------------------------------------------------------------------------
def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def password_fingerprint(user):
    """Changes whenever the password changes, which voids reset and email-change links."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_token(salt, **payload):
    return _serializer(salt).dumps(payload)


def read_token(salt, token, max_age):
    """The payload of a valid token, or None when it is forged, expired or malformed."""
    try:
        data = _serializer(salt).loads(token, max_age=int(max_age.total_seconds()))
    except (BadSignature, SignatureExpired):
        return None
    return data if isinstance(data, dict) else None


# --- passwords -------------------------------------------------------------------------------
def send_reset(email):
    """Email a reset link to an active account (committed); the same outcome for unknown ones."""
    user = find_user(email)
    if user is None or not user.is_active:
        record("password_reset_requested", outcome="failure", detail="unknown_account")
    else:
        token = make_token(RESET_SALT, uid=user.id, pw=password_fingerprint(user))
        record("password_reset_requested", actor=user, obj=("user", user.id))
        queue_email(user.email, "Reset your password", "reset_password", name=user.name,
                    reset_url=absolute_url("accounts.reset_password", token=token),
                    minutes=int(current_app.config["PASSWORD_RESET_MAX_AGE"].total_seconds() // 60))
    db.session.commit()


def user_for_reset(token):
    data = read_token(RESET_SALT, token, current_app.config["PASSWORD_RESET_MAX_AGE"])
    user = db.session.get(User, data.get("uid")) if data else None
    if user is None or data.get("pw") != password_fingerprint(user) or not user.is_active:
        return None
    return user


def reset_password(user, new_password):
    """The holder of a reset link chose a new password: every session ends (committed)."""
    _set_password(user, new_password, "password_reset")
    db.session.commit()


def change_password(user, new_password):
    """A signed-in user changed their password: their other sessions end (committed)."""
    _set_password(user, new_password, "password_changed", keep_session=sessions.current_session())
    db.session.commit()


def replace_initial_password(user, new_password):
    """A clinician chose their own password in place of the one an admin (or `flask
    create-user`) set; the mark clears and their other sessions end (committed). False, with
    nothing changed, when the new password is the one they were given."""
    if passwords.verify_password(user.password_hash, new_password):
        return False
    user.must_change_password = False
    _set_password(user, new_password, "initial_password_changed",
                  keep_session=sessions.current_session())
    db.session.commit()
    return True


def _set_password(user, new_password, event, keep_session=None):
    """Store a new password and end every other session of the user."""
    user.password_hash = passwords.hash_password(new_password)
    user.password_changed_at = utcnow()
    user.clear_failed_logins()
    user.locked_until = None if event == "password_reset" else user.locked_until
    sessions.revoke_all(user, reason=event, keep=keep_session)
    record(event, actor=user, obj=("user", user.id))
    queue_email(user.email, "Your password was changed", "password_changed", name=user.name,
                reset_url=absolute_url("accounts.reset_request"))


# --- changing the sign-in email --------------------------------------------------------------
def request_email_change(user, new_email):
    """Send a confirmation link to the new address (committed), unless another account has it:
    the answer looks the same either way."""
    token = make_token(CHANGE_EMAIL_SALT, uid=user.id, email=new_email,
                       pw=password_fingerprint(user))
    record("email_change_requested", actor=user, obj=("user", user.id))
    if find_user(new_email) is None:
        queue_email(new_email, "Please confirm your new email address", "verify_email",
                    name=user.name, verify_url=absolute_url("accounts.confirm_email_change",
                                                           token=token), hours=48)
    db.session.commit()


def confirm_email_change(token):
    """The link from the new address was followed: switch the sign-in email and tell the old
    address (committed). None when the link is invalid, expired or the address was taken."""
    data = read_token(CHANGE_EMAIL_SALT, token, current_app.config["EMAIL_VERIFY_MAX_AGE"])
    user = db.session.get(User, data.get("uid")) if data else None
    if user is None or data.get("pw") != password_fingerprint(user) or find_user(data["email"]):
        return None
    old = user.email
    user.email = data["email"]
    user.email_verified_at = utcnow()
    record("email_changed", actor=user, obj=("user", user.id))
    queue_email(old, "Your sign-in email was changed", "email_changed", name=user.name)
    db.session.commit()
    return user
