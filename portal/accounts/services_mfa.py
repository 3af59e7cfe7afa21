"""The second factor: checking a code at sign-in, enrolling an authenticator app, renewing the
recovery codes and (clients only) turning two-step sign-in off. Each write is audited and
committed here.

Wrong codes count on the user's own second-factor counter (User.record_failed_second_factor),
which the password step never clears, and lock the whole account like password failures do.
"""
from flask import current_app
from flask_login import current_user

from portal.accounts.services import absolute_url
from portal.core.time import utcnow
from portal.extensions import db
from portal.notifications.email import queue_email
from portal.security import mfa, passkeys, sessions
from portal.security.audit import record


def verify_second_factor(pending, code):
    """Finish a sign-in whose password was accepted with a TOTP or recovery code.

    Returns "totp" or "recovery_code" for the factor that signed the user in, or None when the
    code was refused (counted toward the second-factor lockout unless already locked).
    """
    user = pending.user
    # Lock the user's row so two simultaneous sign-ins cannot both use one code (PostgreSQL;
    # SQLite transactions are already serialised).
    db.session.refresh(user, with_for_update=True)
    now = utcnow()
    code = code.strip()
    if user.is_locked(now):
        record("login_failure", actor=user, obj=("user", user.id), outcome="failure",
               detail="locked")
        db.session.commit()
        return None
    if passkeys.totp_refused(user) and mfa.looks_like_totp(code):
        # Not counted: no app code is accepted for this account, so guessing one gains nothing.
        record("login_failure", actor=user, obj=("user", user.id), outcome="failure",
               detail="totp_not_accepted")
        db.session.commit()
        return None
    how = None
    if mfa.verify_totp(user, code):
        how = "totp"
    elif (len(code.replace("-", "")) == mfa.RECOVERY_CODE_LENGTH
          and mfa.use_recovery_code(user, code)):
        how = "recovery_code"
    if how is None:
        note_second_factor_failure(user, now)
        db.session.commit()
        return None
    sessions.mark_mfa_passed(pending)
    user.clear_failed_second_factors()
    user.clear_failed_logins()
    record("mfa_success", actor=user, obj=("session", pending.id), detail=how)
    record("login_success", actor=user, obj=("session", pending.id))
    db.session.commit()
    return how


def note_second_factor_failure(user, now, detail="bad_mfa_code"):
    """A wrong TOTP or recovery code (or a refused passkey): audit it, lock the account at the
    threshold and email the owner, whose password was right, so they know to change it. Not
    committed."""
    cfg = current_app.config
    record("login_failure", actor=user, obj=("user", user.id), outcome="failure",
           detail=detail)
    if user.record_failed_second_factor(now, cfg["MFA_LOCKOUT_THRESHOLD"],
                                        cfg["LOCKOUT_DURATION"]):
        record("account_locked", actor=user, obj=("user", user.id), outcome="failure",
               detail="second_factor")
        queue_email(user.email, "Sign-in paused on your account", "mfa_locked",
                    minutes=int(cfg["LOCKOUT_DURATION"].total_seconds() // 60),
                    reset_url=absolute_url("accounts.reset_request"))


def enrolling_user():
    """(user, session) of who is setting up TOTP: a pending clinician, or a signed-in client
    opting in; (None, None) for anyone else."""
    pending = sessions.pending_session()
    if pending is not None and pending.user.mfa_enabled_at is None:
        return pending.user, pending
    if current_user.is_authenticated and current_user.mfa_enabled_at is None:
        return current_user, sessions.current_session()
    return None, None


def enrolment_key(user, row, fresh):
    """The TOTP key of this set-up attempt, kept encrypted on the session row only; the user's
    row gets a key only once a code proves it (enrol). Every visit of the set-up page (`fresh`)
    makes a new one (committed), so no key shown earlier, to anyone, can be enrolled later;
    posting a code checks it against the key the page showed."""
    if fresh or row.pending_totp_secret is None:
        row.pending_totp_secret = mfa.new_secret()
        record("mfa_enrolment_started", actor=user, obj=("session", row.id))
        db.session.commit()
    return row.pending_totp_secret


def enrol(user, row, code):
    """Turn two-step sign-in on when `code` proves the app holds this session's pending key; a
    pending sign-in completes. Returns the new recovery codes (shown once), or None when the
    code did not match (or no key is pending)."""
    secret = row.pending_totp_secret
    counter = mfa.matching_counter(secret, code)
    if counter is None:
        return None
    mfa.store_secret(user, secret)
    user.totp_last_counter = counter  # the code just shown cannot sign in again
    user.mfa_enabled_at = utcnow()
    sessions.forget_pending_secrets(user)
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
