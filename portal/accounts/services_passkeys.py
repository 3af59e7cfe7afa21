"""Passkeys: adding and removing them, and signing in with one, as the second factor after the
password or without a password. Each write is audited and committed here.

Refused passkeys at the second-factor step count toward the second-factor lockout, like wrong
codes: whoever is there holds the password, and the owner is emailed at the lock. Refused
passwordless attempts do not count: a signature cannot be guessed, and counting them would let
anyone who learns a credential id lock an account without even knowing its password. Both are
audited; a locked or deactivated account is refused either way.
"""
from flask import current_app

from portal.accounts.services import LoginResult, absolute_url
from portal.accounts.services_mfa import note_second_factor_failure
from portal.core.time import utcnow
from portal.core.vocabulary import PasskeyPurpose
from portal.extensions import db
from portal.models.passkey import Passkey
from portal.notifications.email import queue_email
from portal.security import passkeys, sessions
from portal.security.audit import record
from portal.security.passkeys import ClonedAuthenticator, PasskeyRefused


# --- adding and removing ---------------------------------------------------------------------
def setup_user():
    """The clinician held at the passkey set-up page by the practice's rule, or None."""
    row = sessions.passkey_setup_session()
    return row.user if row is not None else None


def start_registration(user):
    """Options for the browser to make a passkey for `user` (committed: the challenge)."""
    options = passkeys.registration_options(user, current_app.config["MFA_ISSUER"])
    db.session.commit()
    return options


def finish_registration(user, name, credential):
    """Store the passkey the browser made for the challenge it was given, named by the user.
    Returns it, or None when refused (audited). Committed."""
    challenge = passkeys.take_challenge(PasskeyPurpose.REGISTER, user)
    try:
        if challenge is None or not isinstance(credential, dict):
            raise PasskeyRefused("no_challenge" if challenge is None else "malformed")
        credential_id, public_key, count, transports = passkeys.verify_registration(
            credential, challenge)
        if passkeys.find({"id": credential_id}) is not None:
            raise PasskeyRefused("already_registered")
    except PasskeyRefused as refused:
        record("passkey_registration_failed", actor=user, obj=("user", user.id),
               outcome="failure", detail=refused.reason)
        db.session.commit()
        return None
    passkey = Passkey(user=user, credential_id=credential_id, public_key=public_key,
                      sign_count=count, transports=transports, user_handle=challenge.handle,
                      name=name)
    db.session.add(passkey)
    db.session.flush()
    record("passkey_registered", actor=user, obj=("passkey", passkey.id))
    _tell_owner(user, "A passkey was added to your account", added=True)
    db.session.commit()
    return passkey


def must_keep(user, passkey):
    """The practice's rule forbids removing a clinician's last passkey."""
    return passkeys.totp_refused(user) and len(user.passkeys) == 1


def remove(user, passkey):
    """Remove one of the user's passkeys; it signs in no more. False (nothing changed) for the
    last one of a clinician under the practice's rule. Committed."""
    if must_keep(user, passkey):
        return False
    passkey_id = passkey.id
    user.passkeys.remove(passkey)
    record("passkey_removed", actor=user, obj=("passkey", passkey_id))
    _tell_owner(user, "A passkey was removed from your account", added=False)
    db.session.commit()
    return True


def _tell_owner(user, subject, added):
    queue_email(user.email, subject, "passkey_changed", name=user.name, added=added,
                reset_url=absolute_url("accounts.reset_request"))


# --- the second factor -----------------------------------------------------------------------
def start_second_factor(pending):
    """Options for the browser to sign with one of the pending user's passkeys (committed)."""
    options = passkeys.authentication_options(PasskeyPurpose.SECOND_FACTOR, pending.user)
    db.session.commit()
    return options


def finish_second_factor(pending, credential):
    """Finish a sign-in whose password was accepted with a passkey of the user. True when it
    signed them in; a refusal counts toward the second-factor lockout. Committed."""
    user = pending.user
    db.session.refresh(user, with_for_update=True)  # one sign-in at a time (see services_mfa)
    now = utcnow()
    challenge = passkeys.take_challenge(PasskeyPurpose.SECOND_FACTOR, user)
    if user.is_locked(now) or challenge is None:
        record("login_failure", actor=user, obj=("user", user.id), outcome="failure",
               detail="locked" if user.is_locked(now) else "passkey_no_challenge")
        db.session.commit()
        return False
    passkey = passkeys.find(credential, lock=True)
    refusal = _check(credential, challenge, passkey, user, require_user_verification=False)
    if refusal is not None:
        note_second_factor_failure(user, now, detail=refusal)
        db.session.commit()
        return False
    sessions.mark_mfa_passed(pending)
    user.clear_failed_second_factors()
    user.clear_failed_logins()
    record("mfa_success", actor=user, obj=("session", pending.id), detail="passkey")
    record("login_success", actor=user, obj=("session", pending.id))
    db.session.commit()
    return True


# --- passwordless ----------------------------------------------------------------------------
def start_sign_in():
    """Options for the browser to sign in with any passkey of this site (committed)."""
    options = passkeys.authentication_options(PasskeyPurpose.SIGN_IN)
    db.session.commit()
    return options


def finish_sign_in(credential):
    """A passkey with user verification signs its owner in (both factors), under the same rules
    as a password: locked, deactivated and unverified accounts are refused. Committed."""
    challenge = passkeys.take_challenge(PasskeyPurpose.SIGN_IN)
    passkey = passkeys.find(credential, lock=True) if challenge is not None else None
    user = passkey.user if passkey is not None else None
    reason = _account_refusal(user, challenge)
    if reason is None:
        reason = _check(credential, challenge, passkey, user, require_user_verification=True)
    if reason is not None:
        record("login_failure", actor=user, obj=("user", user.id) if user else None,
               outcome="failure", detail=reason)
        db.session.commit()
        return LoginResult(user=user, needs_verification=reason == "email_unverified")
    user.clear_failed_logins()
    user.clear_failed_second_factors()
    row = sessions.start_session(user, mfa_passed=True)
    record("login_success", actor=user, obj=("session", None), detail="passkey")
    db.session.commit()
    return LoginResult(user=user, ok=True, login_session=row)


def _account_refusal(user, challenge):
    if challenge is None:
        return "passkey_no_challenge"
    if user is None:
        return "unknown_passkey"
    if user.is_locked(utcnow()):
        return "locked"
    if not user.is_active:
        return "deactivated"
    if user.is_client and not user.email_verified:
        return "email_unverified"
    return None


def _check(credential, challenge, passkey, user, require_user_verification):
    """None when `credential` is a valid answer from `user`'s `passkey`, else the audit detail
    of the refusal; a counter that did not grow is also recorded as a possible clone."""
    if passkey is None or passkey.user_id != user.id:
        return "unknown_passkey"
    try:
        passkeys.verify_assertion(credential, challenge, passkey, require_user_verification)
    except ClonedAuthenticator as cloned:
        record("passkey_clone_suspected", actor=user, obj=("passkey", passkey.id),
               outcome="failure", detail=f"counter {passkey.sign_count}")
        return cloned.reason
    except PasskeyRefused as refused:
        return refused.reason
    return None
