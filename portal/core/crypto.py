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


class KeyRing:
    def __init__(self, spec):
        self.keys = {}
        self.order = []
        for entry in (spec or "").split(","):
            entry = entry.strip()
            if not entry:
                continue
            key_id, _, b64 = entry.partition(":")
            try:
                key = base64.urlsafe_b64decode(b64.encode())
            except (binascii.Error, ValueError) as exc:
                raise ValueError(f"PHI_KEYS entry {key_id!r} is not base64") from exc
            if len(key) != 32 or not key_id or ":" in key_id:
                raise ValueError(f"PHI_KEYS entry {key_id!r} must be id:base64(32 bytes)")
            self.keys[key_id] = AESGCM(key)
            self.order.append(key_id)
        if not self.order:
            raise ValueError("PHI_KEYS holds no key")

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
