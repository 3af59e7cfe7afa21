"""Passkeys (WebAuthn, ASVS V6.6/V6.8): the ceremonies, around py_webauthn, and the practice's rule
for clinicians.

- Challenges are 32 random bytes for one purpose (and one account, except passwordless sign-in),
  held in the browser's cookie session and, as a hash, in `passkey_challenges`: answering one
  deletes its row, so it works once, and only within PASSKEY_CHALLENGE_LIFETIME.
- The relying party is WEBAUTHN_RP_ID / WEBAUTHN_ORIGIN (required in production); elsewhere
  both come from the request's host.
- Signature counters: an authenticator that counts must report more than last time. A copy of
  the key (a cloned authenticator) soon reports a number already seen; that assertion is
  refused (ClonedAuthenticator) even though its signature is valid.
"""
import logging
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import webauthn
from flask import current_app, request, session
from sqlalchemy import delete, exists, select
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from portal.core.time import utcnow
from portal.core.tokens import token_hash
from portal.core.vocabulary import PASSKEY_CHALLENGE_LIFETIME, PasskeyPurpose
from portal.extensions import db
from portal.models.passkey import Passkey, PasskeyChallenge

log = logging.getLogger(__name__)
SESSION_KEY = "passkey_challenge"
TRANSPORTS = {t.value for t in AuthenticatorTransport}


class PasskeyRefused(Exception):
    """The browser's answer does not prove the passkey; `reason` is the audit detail."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


class ClonedAuthenticator(PasskeyRefused):
    """A valid signature with a counter that did not grow: possibly a copy of the key."""


@dataclass
class Challenge:
    value: bytes
    handle: bytes | None  # the user handle offered at registration


def relying_party():
    """(rp_id, origin) of this portal."""
    cfg = current_app.config
    rp_id = cfg.get("WEBAUTHN_RP_ID") or urlsplit(request.host_url).hostname
    origin = cfg.get("WEBAUTHN_ORIGIN") or request.host_url.rstrip("/")
    return rp_id, origin


# --- challenges ------------------------------------------------------------------------------
def issue_challenge(purpose, user=None, handle=None):
    """A fresh challenge for one ceremony of this browser. Not committed."""
    now = utcnow()
    db.session.execute(delete(PasskeyChallenge).where(PasskeyChallenge.expires_at <= now))
    value = secrets.token_bytes(32)
    encoded = bytes_to_base64url(value)
    db.session.add(PasskeyChallenge(challenge_hash=token_hash(encoded), purpose=purpose,
                                    user_id=getattr(user, "id", None),
                                    expires_at=now + PASSKEY_CHALLENGE_LIFETIME))
    session[SESSION_KEY] = {"purpose": purpose, "challenge": encoded,
                            "handle": bytes_to_base64url(handle) if handle else None}
    return value


def take_challenge(purpose, user=None):
    """Use up the challenge this browser holds for `purpose` (and `user`): a Challenge, or None
    when it holds none, or one for something else, already answered or expired. Not committed."""
    held = session.pop(SESSION_KEY, None)
    if not isinstance(held, dict) or held.get("purpose") != purpose:
        return None
    encoded = held.get("challenge")
    owner = (PasskeyChallenge.user_id == user.id if user is not None
             else PasskeyChallenge.user_id.is_(None))
    used = db.session.execute(delete(PasskeyChallenge).where(
        PasskeyChallenge.challenge_hash == token_hash(str(encoded)),
        PasskeyChallenge.purpose == purpose, owner,
        PasskeyChallenge.expires_at > utcnow()))
    if used.rowcount != 1:
        return None
    handle = held.get("handle")
    return Challenge(base64url_to_bytes(encoded), base64url_to_bytes(handle) if handle else None)


# --- registration ----------------------------------------------------------------------------
def user_handle(user):
    """The account's WebAuthn user handle: the one its passkeys carry, else a new random one."""
    return user.passkeys[0].user_handle if user.passkeys else secrets.token_bytes(32)


def _descriptor(passkey):
    return PublicKeyCredentialDescriptor(
        id=base64url_to_bytes(passkey.credential_id),
        transports=[AuthenticatorTransport(t) for t in passkey.transport_list if t in TRANSPORTS])


def registration_options(user, site_name):
    """JSON for navigator.credentials.create(): a discoverable passkey (so it can also sign in
    without the password), never a second one on an authenticator that holds one already."""
    handle = user_handle(user)
    options = webauthn.generate_registration_options(
        rp_id=relying_party()[0], rp_name=site_name, user_id=handle, user_name=user.email,
        user_display_name=user.name,
        challenge=issue_challenge(PasskeyPurpose.REGISTER, user, handle),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.PREFERRED),
        exclude_credentials=[_descriptor(p) for p in user.passkeys])
    return webauthn.options_to_json(options)


def verify_registration(credential, challenge):
    """(credential id, public key, sign count, transports) of a new passkey, or PasskeyRefused."""
    rp_id, origin = relying_party()
    try:
        verified = webauthn.verify_registration_response(
            credential=credential, expected_challenge=challenge.value, expected_rp_id=rp_id,
            expected_origin=origin)
    except Exception as exc:  # untrusted bytes of any shape: every failure is a refusal
        log.info("passkey registration refused: %s", type(exc).__name__)
        raise PasskeyRefused("invalid_registration") from exc
    listed = (credential.get("response") or {}).get("transports") or []
    transports = ",".join(t for t in listed if t in TRANSPORTS)[:100] or None
    return (bytes_to_base64url(verified.credential_id), verified.credential_public_key,
            verified.sign_count, transports)


# --- sign-in ---------------------------------------------------------------------------------
def authentication_options(purpose, user=None):
    """JSON for navigator.credentials.get(). As the second factor: the user's passkeys, no
    verification needed (the password was the first factor). Passwordless: any passkey of this
    site, with user verification required (fingerprint, face or PIN: the second factor)."""
    passwordless = purpose == PasskeyPurpose.SIGN_IN
    options = webauthn.generate_authentication_options(
        rp_id=relying_party()[0], challenge=issue_challenge(purpose, user),
        allow_credentials=[] if passwordless else [_descriptor(p) for p in user.passkeys],
        user_verification=(UserVerificationRequirement.REQUIRED if passwordless
                           else UserVerificationRequirement.DISCOURAGED))
    return webauthn.options_to_json(options)


def find(credential, lock=False):
    """The registered passkey a browser's answer names, or None."""
    credential_id = credential.get("id") if isinstance(credential, dict) else None
    if not isinstance(credential_id, str) or not credential_id:
        return None
    query = select(Passkey).where(Passkey.credential_id == credential_id)
    return db.session.scalar(query.with_for_update() if lock else query)


def verify_assertion(credential, challenge, passkey, require_user_verification):
    """Check a signed answer against `passkey` and move its counter on. Raises PasskeyRefused
    (ClonedAuthenticator for a counter that did not grow). Not committed."""
    rp_id, origin = relying_party()
    if not _same_user(credential, passkey):
        raise PasskeyRefused("passkey_user_mismatch")
    try:
        verified = webauthn.verify_authentication_response(
            credential=credential, expected_challenge=challenge.value, expected_rp_id=rp_id,
            expected_origin=origin, credential_public_key=passkey.public_key,
            # 0: the library's own counter check is replaced by the one below, which can tell
            # a clone (valid signature, old counter) from a forgery (invalid signature).
            credential_current_sign_count=0,
            require_user_verification=require_user_verification)
    except Exception as exc:  # untrusted bytes of any shape: every failure is a refusal
        log.info("passkey assertion refused: %s", type(exc).__name__)
        raise PasskeyRefused("bad_passkey") from exc
    count = verified.new_sign_count
    if (count or passkey.sign_count) and count <= passkey.sign_count:
        raise ClonedAuthenticator("passkey_counter_not_increased")
    passkey.sign_count = count
    passkey.last_used_at = utcnow()


def _same_user(credential, passkey):
    """The user handle the authenticator returned (passwordless sign-in) is the account's."""
    handle = (credential.get("response") or {}).get("userHandle")
    if not handle:
        return True  # not sent with an allow-list (second factor): the credential id decides
    try:
        return isinstance(handle, str) and base64url_to_bytes(handle) == passkey.user_handle
    except ValueError:
        return False


# --- the practice's rule ---------------------------------------------------------------------
def has_passkey(user):
    return db.session.scalar(select(exists().where(Passkey.user_id == user.id)))


def _rule_applies(user):
    return bool(current_app.config.get("REQUIRE_CLINICIAN_PASSKEYS")) and user.is_clinician


def must_register(user):
    """A clinician the practice requires to add a passkey before anything else."""
    return _rule_applies(user) and not has_passkey(user)


def totp_refused(user):
    """A clinician under the rule who has a passkey: an app's code alone no longer signs in
    (the passkey does; recovery codes still do)."""
    return _rule_applies(user) and has_passkey(user)
