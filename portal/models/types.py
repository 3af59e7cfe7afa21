"""Column types shared by the models: UTC timestamps and encrypted text/JSON."""
import json
from datetime import UTC

from sqlalchemy import DateTime, Text, TypeDecorator

from portal.core import crypto


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC and always returned timezone-aware.

    SQLite has no time zone support, so values are normalised to UTC on the way in and marked
    UTC on the way out; PostgreSQL stores them as `timestamp with time zone`.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# Every encrypted column registers here as context -> (table, column): `flask rotate-keys` and
# the canary test walk it. The context of an EncryptedText column is "table.column".
# A new text/JSON column of any model must be EncryptedText/EncryptedJSON or be named, with the
# reason it is not clinical, in tests/phi_columns.py (tests/test_security_columns.py checks).
ENCRYPTED_COLUMNS = {"users.totp_secret": ("users", "totp_secret_enc")}


class EncryptedText(TypeDecorator):
    """Text encrypted at rest with AES-256-GCM (portal.core.crypto).

    The context (table.column) is authenticated with the ciphertext, so a value moved to
    another column fails to decrypt. Decryption failures raise: never wrong data.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context):
        super().__init__()
        self.context = context
        ENCRYPTED_COLUMNS.setdefault(context, tuple(context.split(".", 1)))

    def process_bind_param(self, value, dialect):
        return None if value is None else crypto.encrypt(self.serialize(value), self.context)

    def process_result_value(self, value, dialect):
        return None if value is None else self.deserialize(crypto.decrypt(value, self.context))

    def serialize(self, value):
        if not isinstance(value, str):
            raise TypeError("EncryptedText stores strings")
        return value

    def deserialize(self, text):
        return text

    def copy(self, **kw):
        return type(self)(self.context)


class EncryptedJSON(EncryptedText):
    """A JSON document (dict or list) encrypted at rest like EncryptedText."""

    cache_ok = True

    def serialize(self, value):
        return json.dumps(value, separators=(",", ":"), sort_keys=True)

    def deserialize(self, text):
        return json.loads(text)
