"""Column types shared by the models: UTC timestamps, encrypted text/JSON and opaque codes.

Clinical words are kept out of the database in one of two ways, chosen per column and written
down next to it in the model:
- EncryptedText / EncryptedJSON: free text, or values never filtered on in SQL. Nothing can be
  learnt from the stored value, but SQL can neither compare nor index it.
- OpaqueCode: a closed vocabulary (session kinds, flag severities, audit event names...) that
  queries filter on and indexes cover. Each word is stored as a neutral code whose meaning lives
  only in the code base, so equality, IN and indexes keep working.
"""
import enum
import hashlib
import json
import re
from datetime import UTC

from sqlalchemy import DateTime, String, Text, TypeDecorator
from sqlalchemy.sql import ClauseElement, operators

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


def _refuse_values(op, other):
    if op in (operators.is_, operators.is_not) or (other and other[0] is None):
        return
    if other and all(isinstance(value, ClauseElement) for value in other):
        return  # column against column: no value is bound, nothing silently mismatches
    raise TypeError("an encrypted column cannot be compared in SQL (its ciphertext is random)")


class EncryptedText(TypeDecorator):
    """Text encrypted at rest with AES-256-GCM (portal.core.crypto).

    The context (table.column) is authenticated with the ciphertext, so a value moved to
    another column fails to decrypt. Decryption failures raise: never wrong data.
    """

    impl = Text
    cache_ok = True

    class comparator_factory(TypeDecorator.Comparator):
        """Ciphertext differs on every write, so comparing it in SQL with a value (=, IN, LIKE)
        or ordering by it would silently match nothing: refused. IS [NOT] NULL still works, and
        so do comparisons with other columns (the ORM's own bookkeeping makes them). Filter on
        the plaintext in Python, or make the column an OpaqueCode."""

        def operate(self, op, *other, **kwargs):
            _refuse_values(op, other)
            return super().operate(op, *other, **kwargs)

        def reverse_operate(self, op, other, **kwargs):
            _refuse_values(op, (other,))
            return super().reverse_operate(op, other, **kwargs)

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


# Every opaque column registers here as context -> (table, column), like ENCRYPTED_COLUMNS.
OPAQUE_COLUMNS = {}
CODE = re.compile(r"^k[0-9a-f]{6}$")


def opaque_code(context, value):
    """The stored form of `value` in the column `context` ("table.column"): "k" and the first 6
    hex digits of SHA-256(context ":" value). The context makes the same word differ between
    columns ("dosing" in appointments.kind and in session_notes.kind), so codes cannot be
    matched across tables by value."""
    return "k" + hashlib.sha256(f"{context}:{value}".encode()).hexdigest()[:6]


def _word(value):
    return value.value if isinstance(value, enum.Enum) else value


class OpaqueCode(TypeDecorator):
    """A word of a closed vocabulary stored as its neutral code (see `opaque_code`).

    `vocabulary` is an Enum class, a tuple of words, or a function returning either; it is
    resolved at first use, so a model can name a vocabulary without importing where it lives.
    Writing (and comparing with, as in `Model.kind == "dosing"` or `.in_([...])`) a word outside
    it raises ValueError; reading a code outside it raises LookupError: never wrong data.
    `suffix` lets values carry "#<digits>" after the word (reminder_log.kind: "reminder_24h#2");
    the digits are stored in clear after the code. `length` is the column's own size (a code is
    7 characters; existing columns keep their length, so no table is rebuilt).

    SQL sees codes only: LIKE, ordering and string functions on the words do not work (list the
    matching words and use IN). What it does not do: hide how often a word occurs, or which rows
    share a word; and anyone holding the source can recompute the table of codes. It keeps words
    out of a dump, a backup or a query console, not out of reach of someone who has both the
    data and the code.
    """

    impl = String
    cache_ok = True

    def __init__(self, context, vocabulary, length=16, suffix=False):
        super().__init__(length)
        self.context, self.vocabulary, self.length, self.suffix = context, vocabulary, length, suffix
        self._codes = None
        OPAQUE_COLUMNS.setdefault(context, tuple(context.split(".", 1)))

    def words(self):
        """The vocabulary's words, as strings."""
        found = self.vocabulary
        if callable(found) and not (isinstance(found, type) and issubclass(found, enum.Enum)):
            found = found()
        return [str(_word(value)) for value in found]

    def codes(self):
        """(word -> code, code -> word), built once; two words with one code would be an error."""
        if self._codes is None:
            to_code = {word: opaque_code(self.context, word) for word in self.words()}
            if len(set(to_code.values())) != len(to_code):
                raise RuntimeError(f"two words of {self.context} share a code: rename one")
            self._codes = (to_code, {code: word for word, code in to_code.items()})
        return self._codes

    def _split(self, text):
        if not self.suffix:
            return text, ""
        base, sep, tail = text.partition("#")
        if sep and not tail.isdigit():
            raise ValueError(f"{self.context}: only digits may follow '#'")
        return base, sep + tail

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        text = _word(value)
        if not isinstance(text, str):
            raise TypeError(f"{self.context} stores words of its vocabulary")
        base, tail = self._split(text)
        code = self.codes()[0].get(base)
        if code is None:  # the word itself stays out of the message (and so out of logs)
            raise ValueError(f"a value outside the vocabulary of {self.context}")
        return code + tail

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        base, tail = self._split(value)
        word = self.codes()[1].get(base)
        if word is None:
            raise LookupError(f"a stored value of {self.context} is not a code of its vocabulary")
        return word + tail
