"""Password hashing and strength rules (OWASP ASVS 5.0 V6.2 and V11.4.2).

argon2id with m = 19 MiB, t = 2, p = 1: the OWASP minimum, chosen so that a login costs ~25 ms
on a small server. Hashes made with other parameters are upgraded at the next successful login.
"""
import unicodedata

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 128
MIN_SCORE = 3
ZXCVBN_MAX_LENGTH = 72

hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16)

# Verified against unknown emails so that a login for a missing account costs the same time.
_DUMMY_HASH = hasher.hash("not-a-real-password-just-for-timing")


def normalise(password):
    """NFKC-normalise so the same password typed on different keyboards matches (NIST 800-63B)."""
    return unicodedata.normalize("NFKC", password)


def hash_password(password):
    return hasher.hash(normalise(password))


def verify_password(password_hash, password):
    """True when the password matches; never raises for a wrong or malformed hash."""
    try:
        return hasher.verify(password_hash or _DUMMY_HASH, normalise(password))
    except (VerificationError, InvalidHashError):
        return False


def waste_time_verifying(password):
    """Spend one verification's worth of time (login for an unknown email)."""
    verify_password(_DUMMY_HASH, password + "\x00")


def needs_rehash(password_hash):
    return hasher.check_needs_rehash(password_hash)


def password_problem(password, user_inputs=()):
    """A plain-language reason the password is not acceptable, or None when it is.

    Length 12–128 characters (counted after normalisation, never truncated), any characters,
    no composition rules; guessable passwords (zxcvbn score below 3) are refused with advice.
    """
    password = normalise(password or "")
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters. A short sentence you can remember works well."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    # zxcvbn refuses inputs over 72 characters (ValueError) and is quadratic on long ones;
    # the first 72 characters are plenty to judge guessability.
    result = zxcvbn(password[:ZXCVBN_MAX_LENGTH], user_inputs=[i for i in user_inputs if i])
    if result["score"] < MIN_SCORE:
        feedback = result.get("feedback") or {}
        hint = feedback.get("warning") or ""
        advice = " ".join(feedback.get("suggestions") or [])
        parts = ["This password would be easy to guess."]
        if hint:
            parts.append(hint.rstrip(".") + ".")
        parts.append(advice or "Try a few unrelated words together.")
        return " ".join(parts)
    return None
