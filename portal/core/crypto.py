"""Field encryption at rest with AES-256-GCM under keys from PHI_KEYS (HIPAA §164.312(a)(2)(iv)).

PHI_KEYS is a comma-separated list of `id:base64-key` entries; the first encrypts, all decrypt, so
keys can be rotated without downtime (`flask rotate-keys` re-encrypts under the newest key).
Stored form: `v1:<key id>:<base64(nonce || ciphertext+tag)>`. The column's name is authenticated
data, so a ciphertext copied into another column fails to decrypt instead of reading as valid.
"""
import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "v1"


class DecryptionError(Exception):
    """A stored value could not be authenticated: wrong key, tampering or truncation."""


def parse_key_spec(spec, name, max_id_length=None):
    """A key list `id:base64,...` (PHI_KEYS, AUDIT_KEYS) → {id: 32 key bytes}, in order: the first
    is the current key, all of them read. `name` is the setting's, for the error messages."""
    keys = {}
    for entry in (spec or "").split(","):
        entry = entry.strip()
        if not entry:
            continue
        key_id, _, b64 = entry.partition(":")
        try:
            key = base64.urlsafe_b64decode(b64.encode())
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"{name} entry {key_id!r} is not base64") from exc
        too_long = max_id_length is not None and len(key_id) > max_id_length
        if len(key) != 32 or not key_id or ":" in key_id or too_long:
            raise ValueError(f"{name} entry {key_id!r} must be id:base64(32 bytes)")
        keys[key_id] = key
    if not keys:
        raise ValueError(f"{name} holds no key")
    return keys


class KeyRing:
    def __init__(self, spec):
        raw = parse_key_spec(spec, "PHI_KEYS")
        self.keys = {key_id: AESGCM(key) for key_id, key in raw.items()}
        self.order = list(raw)

    @property
    def current_id(self):
        return self.order[0]

    def encrypt(self, plaintext, context):
        if plaintext is None:
            return None
        nonce = os.urandom(12)
        sealed = self.keys[self.current_id].encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}:{self.current_id}:" + base64.b64encode(nonce + sealed).decode()

    def decrypt(self, stored, context):
        if stored is None:
            return None
        try:
            prefix, key_id, b64 = stored.split(":", 2)
            blob = base64.b64decode(b64.encode(), validate=True)
        except (ValueError, binascii.Error) as exc:
            raise DecryptionError("malformed ciphertext") from exc
        if prefix != PREFIX or key_id not in self.keys or len(blob) < 12 + 16:
            raise DecryptionError(f"cannot decrypt with key {key_id!r}")
        try:
            return self.keys[key_id].decrypt(blob[:12], blob[12:], context.encode()).decode()
        except InvalidTag as exc:
            raise DecryptionError("ciphertext failed authentication") from exc

    def key_id_of(self, stored):
        return stored.split(":", 2)[1] if stored else None


def keyring():
    from flask import current_app
    ring = current_app.extensions.get("phi_keyring")
    if ring is None:
        ring = current_app.extensions["phi_keyring"] = KeyRing(current_app.config["PHI_KEYS"])
    return ring


def encrypt(plaintext, context):
    return keyring().encrypt(plaintext, context)


def decrypt(stored, context):
    return keyring().decrypt(stored, context)
