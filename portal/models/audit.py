"""The append-only, hash-chained audit trail (HIPAA §164.312(b), ASVS V16).

Each row stores a MAC of its own content together with the previous row's hash, so an edit or
deletion anywhere breaks the chain from that row on; `flask audit-verify` finds the first break.
Rows never hold PHI or secrets: ids, event names and outcomes, and a short detail. What could
still tell a clinical fact is kept out of the clear: event names and object kinds are opaque
codes, the detail is encrypted (docs/security.md, "Clinical facts at rest").

Keyed rows carry HMAC-SHA-256 under an AUDIT_KEYS key, a key held outside the database, and
name that key's id in their hash (`key_id:mac`): someone who can write the database but lacks the
key cannot recompute the chain after an edit (docs/security.md). Rows written before keys
existed keep their plain SHA-256; the first keyed row links to the last of them, so old
databases keep verifying.
"""
import base64
import hashlib
import hmac
import json

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.audit_words import AUDIT_EVENTS, AUDIT_OBJECTS
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.types import EncryptedText, OpaqueCode, UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    # "Who accessed my record" reads the events about one client's objects.
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                 index=True)
    # event and object_type: opaque, not encrypted. `post_dosing_checkin_submitted`, or an
    # object `safety_flag`, beside an actor id is a clinical fact; both are filtered and indexed
    # (the audit page, "who accessed my record") and both are closed sets (core/audit_words.py).
    event: Mapped[str] = mapped_column(OpaqueCode("audit_events.event", AUDIT_EVENTS, length=64),
                                       index=True)
    object_type: Mapped[str | None] = mapped_column(
        OpaqueCode("audit_events.object_type", AUDIT_OBJECTS, length=32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    # Encrypted: free text (a flag code, a decision, a consent's kind), never filtered in SQL.
    # The chain hashes the plaintext (`canonical`), so encryption and key rotation leave every
    # hash as it was (portal/security/rotation.py re-encrypts these append-only rows).
    detail = mapped_column(EncryptedText("audit_events.detail"))
    prev_hash: Mapped[str] = mapped_column(String(64))
    # 64 hex digits (unkeyed era) or `key_id:base64url(HMAC)` (at most 16 + 1 + 43 characters).
    row_hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self):
        return f"<AuditEvent {self.id} {self.event} {self.outcome}>"

    def canonical(self):
        """The row's content in a fixed textual form, the input of its hash."""
        return json.dumps({
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id, "event": self.event,
            "object_type": self.object_type, "object_id": self.object_id,
            "outcome": self.outcome, "ip": self.ip, "user_agent": self.user_agent,
            "detail": self.detail,
        }, sort_keys=True, separators=(",", ":"))

    @property
    def key_id(self):
        """The AUDIT_KEYS id that signed this row (the prefix of a keyed row's hash); None for the
        rows of the unkeyed era, whose hash is 64 hex digits."""
        head, sep, _ = self.row_hash.partition(":") if self.row_hash else ("", "", "")
        return head if sep else None

    def compute_hash(self, key=None, key_id=None):
        """`key_id:base64url(HMAC-SHA-256)` under `key` (AUDIT_KEYS[key_id]) for a keyed row;
        the plain SHA-256 hex digest of the unkeyed era without a key. The key id is part of the
        MAC input too, so relabelling a row with another key id breaks it. The keyed form fits
        the same 64-character column (ids are at most 16 characters), so no migration is needed
        and a database of either era verifies."""
        if key_id is None:
            return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()
        message = f"{key_id}:{self.prev_hash}{self.canonical()}".encode()
        mac = hmac.new(key, message, hashlib.sha256).digest()
        return f"{key_id}:" + base64.urlsafe_b64encode(mac).decode().rstrip("=")
