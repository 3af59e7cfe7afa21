"""Test data builders: `make_client(**overrides)` and friends, committed and ready to use.

Passwords are hashed with the real argon2 parameters; use DEFAULT_PASSWORD to sign in.
"""
import itertools

import pyotp

from portal.core.time import utcnow
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.user import User
from portal.security import mfa
from portal.security.passwords import hash_password

DEFAULT_PASSWORD = "violet-harbor-lantern-93"
_seq = itertools.count(1)
_HASH_CACHE = {}


def _hash(password):
    if password not in _HASH_CACHE:
        _HASH_CACHE[password] = hash_password(password)
    return _HASH_CACHE[password]


def make_user(role=Role.CLIENT.value, password=DEFAULT_PASSWORD, **overrides):
    n = next(_seq)
    fields = {"email": f"person{n}@example.com", "name": f"Person {n}",
              "timezone": "America/New_York", "role": role,
              "password_hash": _hash(password), "email_verified_at": utcnow()}
    fields.update(overrides)
    user = User(**fields)
    db.session.add(user)
    db.session.commit()
    return user


def make_therapist(with_totp=True, role=Role.THERAPIST.value, **overrides):
    """A therapist with TOTP enrolled (the secret is on `user.totp_secret` for tests)."""
    user = make_user(role=role, **overrides)
    if with_totp:
        secret = pyotp.random_base32(32)
        mfa.store_secret(user, secret)
        user.mfa_enabled_at = utcnow()
        db.session.commit()
        user.totp_secret = secret
    return user


def make_admin(**overrides):
    return make_therapist(role=Role.ADMIN.value, **overrides)


def make_client(therapist=None, **overrides):
    if therapist is None:
        therapist = make_therapist()
    return make_user(role=Role.CLIENT.value, therapist_id=therapist.id, **overrides)
