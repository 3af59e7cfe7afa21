"""The second factor: checking a code at sign-in, enrolling an authenticator app, renewing the
recovery codes and (clients only) turning two-step sign-in off. Each write is audited and
committed here."""
from flask_login import current_user

from portal.accounts.services import note_failure
from portal.core.time import utcnow
from portal.extensions import db
from portal.security import mfa, sessions
from portal.security.audit import record


def verify_second_factor(pending, code):
    """Finish a sign-in whose password was accepted with a TOTP or recovery code.

    Returns "totp" or "recovery_code" for the factor that signed the user in, or None when the
    code was refused (counted toward the lockout).
    """
    user = pending.user
    # Lock the user's row so two simultaneous sign-ins cannot both use one code (PostgreSQL;
    # SQLite transactions are already serialised).
    db.session.refresh(user, with_for_update=True)
    now = utcnow()
    code = code.strip()
    how = None
    if not user.is_locked(now):
        if mfa.verify_totp(user, code):
            how = "totp"
        elif (len(code.replace("-", "")) == mfa.RECOVERY_CODE_LENGTH
              and mfa.use_recovery_code(user, code)):
            how = "recovery_code"
    if how is None:
        note_failure(user, now, "bad_mfa_code")
        db.session.commit()
        return None
    sessions.mark_mfa_passed(pending)
    user.clear_failed_logins()
    record("mfa_success", actor=user, obj=("session", pending.id), detail=how)
    record("login_success", actor=user, obj=("session", pending.id))
    db.session.commit()
    return how


def enrolling_user():
    """(user, session) of who is setting up TOTP: a pending clinician, or a signed-in client
    opting in; (None, None) for anyone else."""
    pending = sessions.pending_session()
    if pending is not None and pending.user.mfa_enabled_at is None:
        return pending.user, pending
    if current_user.is_authenticated and current_user.mfa_enabled_at is None:
        return current_user, sessions.current_session()
    return None, None


def enrolment_secret(user):
    """The TOTP key the user is enrolling, made and stored (committed) on the first visit."""
    if user.totp_secret_enc is None:
        mfa.store_secret(user, mfa.new_secret())
        db.session.commit()
    return mfa.user_secret(user)


def enrol(user, row, code, secret):
    """Turn two-step sign-in on when `code` proves the app works; a pending sign-in completes.
    Returns the new recovery codes (shown once), or None when the code did not match."""
    if not mfa.verify_totp(user, code, secret=secret):
        return None
    user.mfa_enabled_at = utcnow()
    codes = mfa.new_recovery_codes(user)
    if not row.authenticated:
        sessions.mark_mfa_passed(row)
        record("login_success", actor=user, obj=("session", row.id))
    record("mfa_enrolled", actor=user, obj=("user", user.id))
    db.session.commit()
    return codes


def renew_recovery_codes(user):
    """Replace the user's recovery codes; returns the new ones, shown once."""
    codes = mfa.new_recovery_codes(user)
    record("mfa_recovery_codes_renewed", actor=user, obj=("user", user.id))
    db.session.commit()
    return codes


def disable(user):
    """Turn two-step sign-in off: the key and the recovery codes are deleted."""
    user.mfa_enabled_at = None
    user.totp_secret_enc = None
    user.recovery_codes.clear()
    record("mfa_disabled", actor=user, obj=("user", user.id))
    db.session.commit()
