"""TOTP second factor and recovery codes (ASVS V6.5, V6.6).

A code is accepted once: the counter of the last accepted code is stored, and only a later
counter passes, so a code seen over someone's shoulder cannot be replayed within its window.
"""
import hmac
import secrets

import pyotp
import segno

from portal.core import crypto
from portal.core.time import utcnow
from portal.core.tokens import token_hash
from portal.models.user import RecoveryCode

RECOVERY_CODE_COUNT = 10
RECOVERY_CODE_LENGTH = 10  # characters, without the dash shown in the middle
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)
SECRET_CONTEXT = "users.totp_secret"  # noqa: S105 (a column name)


def new_secret():
    return pyotp.random_base32(length=32)


def provisioning_uri(secret, email, issuer):
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=issuer)


def qr_svg(uri):
    """The enrolment QR code as inline SVG markup (no image request, no inline style)."""
    return segno.make(uri, error="m").svg_inline(scale=5, title="QR code for your authenticator app")


def store_secret(user, secret):
    user.totp_secret_enc = crypto.encrypt(secret, SECRET_CONTEXT)
    user.totp_last_counter = None


def user_secret(user):
    return crypto.decrypt(user.totp_secret_enc, SECRET_CONTEXT) if user.totp_secret_enc else None


def matching_counter(secret, code, now=None):
    """The time step (±1 around now) whose code `code` is, or None when it matches none."""
    code = "".join((code or "").split())
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now or utcnow())
    for counter in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def looks_like_totp(code):
    """Six digits (spaces ignored): what an authenticator app shows, not a recovery code."""
    code = "".join((code or "").split())
    return len(code) == 6 and code.isdigit()


def verify_totp(user, code, now=None):
    """Accept a 6-digit code of the user's key within ±1 step that is newer than the last one used."""
    counter = matching_counter(user_secret(user), code, now)
    if counter is None:
        return False
    if user.totp_last_counter is not None and counter <= user.totp_last_counter:
        return False  # replay of an already used code
    user.totp_last_counter = counter
    return True


def _hash_code(code):
    """Recovery codes are stored like link tokens: as the SHA-256 of their normal form."""
    return token_hash(code.replace("-", "").strip().lower())


def new_recovery_codes(user):
    """Replace the user's recovery codes with 10 fresh ones; return them in clear once."""
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
        half = RECOVERY_CODE_LENGTH // 2
        codes.append(f"{raw[:half]}-{raw[half:]}")
    user.recovery_codes.clear()
    for code in codes:
        user.recovery_codes.append(RecoveryCode(code_hash=_hash_code(code)))
    return codes


def use_recovery_code(user, code):
    """Consume a matching unused recovery code; True when one was consumed."""
    wanted = _hash_code(code or "")
    for stored in user.recovery_codes:
        if stored.used_at is None and hmac.compare_digest(stored.code_hash, wanted):
            stored.used_at = utcnow()
            return True
    return False


def remaining_recovery_codes(user):
    return sum(1 for c in user.recovery_codes if c.used_at is None)
