"""A software authenticator for tests: it makes passkeys and signs challenges the way a phone or
security key does (ES256, "none" attestation), so Flask-client tests drive the real WebAuthn
checks of py_webauthn end to end. The browser tests use Chromium's virtual authenticator.
"""
import copy
import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select
from webauthn.helpers import bytes_to_base64url

from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.passkey import Passkey
from tests.conftest import csrf_from
from tests.factories import DEFAULT_PASSWORD

ORIGIN = "http://localhost"  # the Flask test client's host
RP_ID = "localhost"
UP, UV, AT = 0x01, 0x04, 0x40  # authenticator data flags: user present, verified, attested


class SoftAuthenticator:
    """One passkey on one imaginary device."""

    def __init__(self, user_verified=True, origin=ORIGIN, rp_id=RP_ID):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.sign_count = 0
        self.user_handle = None
        self.user_verified = user_verified
        self.origin, self.rp_id = origin, rp_id

    @property
    def id(self):
        return bytes_to_base64url(self.credential_id)

    def cose_key(self):
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"),
                            -3: numbers.y.to_bytes(32, "big")})

    def _head(self, flags):
        flags |= UP | (UV if self.user_verified else 0)
        return (hashlib.sha256(self.rp_id.encode()).digest() + bytes([flags])
                + struct.pack(">I", self.sign_count))

    def _client_data(self, kind, challenge):
        return json.dumps({"type": kind, "challenge": challenge, "origin": self.origin,
                           "crossOrigin": False}).encode()

    def register(self, options):
        """The browser's answer to registration options (the server's JSON, as a dict)."""
        self.user_handle = options["user"]["id"]
        auth_data = (self._head(AT) + bytes(16) + struct.pack(">H", len(self.credential_id))
                     + self.credential_id + self.cose_key())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": self.id, "rawId": self.id, "type": "public-key",
                "response": {"clientDataJSON": b64(self._client_data("webauthn.create",
                                                                     options["challenge"])),
                             "attestationObject": b64(attestation), "transports": ["internal"]},
                "clientExtensionResults": {}}

    def sign(self, options, step=1):
        """The browser's answer to sign-in options; the counter moves on by `step` (0 for
        authenticators that do not count, such as synced passkeys)."""
        self.sign_count += step
        auth_data = self._head(0)
        client_data = self._client_data("webauthn.get", options["challenge"])
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(),
                                  ec.ECDSA(hashes.SHA256()))
        return {"id": self.id, "rawId": self.id, "type": "public-key",
                "response": {"clientDataJSON": b64(client_data),
                             "authenticatorData": b64(auth_data), "signature": b64(signature),
                             "userHandle": self.user_handle},
                "clientExtensionResults": {}}

    def clone(self, sign_count=0):
        """A copy of the key on another device, whose counter starts again from `sign_count`."""
        twin = copy.copy(self)
        twin.sign_count = sign_count
        return twin


def b64(data):
    return bytes_to_base64url(data)


def make_passkey(user, authenticator=None, name="My phone"):
    """A stored passkey of `user` for `authenticator` (made without the browser ceremony)."""
    authenticator = authenticator or SoftAuthenticator()
    handle = os.urandom(32)
    authenticator.user_handle = b64(handle)
    passkey = Passkey(user_id=user.id, credential_id=authenticator.id,
                      public_key=authenticator.cose_key(), sign_count=authenticator.sign_count,
                      user_handle=handle, name=name, transports="internal")
    db.session.add(passkey)
    db.session.commit()
    return passkey


# --- the JSON calls the pages' scripts make -------------------------------------------------
def csrf(client, path):
    return csrf_from(client.get(path).get_data(as_text=True))


def post_json(client, path, body, token):
    return client.post(path, json=body, headers={"X-CSRFToken": token,
                                                 "Accept": "application/json"})


def add_passkey(client, authenticator, name="My phone", password=DEFAULT_PASSWORD):
    """Add a passkey in account settings, as passkey-add.js does; returns the last response."""
    token = csrf(client, "/account/passkeys")
    options = post_json(client, "/account/passkeys/options",
                        {"name": name, "current": password}, token)
    if options.status_code != 200:
        return options
    return post_json(client, "/account/passkeys",
                     {"name": name, "credential": authenticator.register(options.get_json())},
                     token)


def passwordless(client, authenticator, step=1, next_url=""):
    """Sign in with a passkey from the sign-in page, as passkey-sign-in.js does."""
    token = csrf(client, "/auth/login")
    options = post_json(client, "/auth/passkey/options", {}, token).get_json()
    return post_json(client, "/auth/passkey",
                     {"credential": authenticator.sign(options, step), "next": next_url}, token)


def second_factor(client, authenticator, step=1):
    """Finish a pending sign-in with a passkey from the two-step page."""
    token = csrf(client, "/auth/mfa")
    options = post_json(client, "/auth/mfa/passkey/options", {}, token).get_json()
    return post_json(client, "/auth/mfa/passkey",
                     {"credential": authenticator.sign(options, step)}, token)


# --- checks ----------------------------------------------------------------------------------
def events(name):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == name)
                              .order_by(AuditEvent.id)).all()


def passkeys_of(user):
    return db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)).all()


def signed_in_now(client):
    return client.get("/account").status_code == 200
