"""The append-only, hash-chained audit trail (HIPAA §164.312(b), ASVS V16).

Each row stores the SHA-256 of its own content together with the previous row's hash, so an edit
or deletion anywhere breaks the chain from that row on; `flask audit-verify` finds the first break.
Rows never hold PHI or secrets: ids, event names and outcomes only.
"""
import hashlib
import json

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.types import UTCDateTime

GENESIS_HASH = "0" * 64


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    # "Who accessed my record" reads the events about one client's objects.
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                 index=True)
    event: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16), default="success")
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(256))
    detail: Mapped[str | None] = mapped_column(String(256))
    prev_hash: Mapped[str] = mapped_column(String(64))
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

    def compute_hash(self):
        return hashlib.sha256((self.prev_hash + self.canonical()).encode()).hexdigest()
