"""Append a row to the hash-chained audit trail inside the caller's transaction.

The chain needs one writer at a time: PostgreSQL takes a transaction-scoped advisory lock, and
SQLite transactions are opened with BEGIN IMMEDIATE (see portal/db_setup.py), which already
serialises writers. Values are escaped so that a name with a newline cannot forge a log line.
"""
from flask import has_request_context, request
from sqlalchemy import select, text

from portal.core.logs import escape_control
from portal.extensions import db
from portal.models.audit import GENESIS_HASH, AuditEvent
from portal.models.types import utcnow

AUDIT_LOCK_KEY = 727_001  # arbitrary constant shared by every writer of the chain


def record(event, actor=None, obj=None, outcome="success", detail=None):
    """Add an audit event (not committed: it lands with the caller's transaction)."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    prev = db.session.scalar(select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1))
    ip = ua = None
    if has_request_context():
        ip = request.remote_addr
        ua = request.user_agent.string or None
    actor_id = getattr(actor, "id", actor)
    row = AuditEvent(
        created_at=utcnow(), actor_id=actor_id, event=event,
        object_type=obj[0] if obj else None,
        object_id=str(obj[1]) if obj and obj[1] is not None else None,
        outcome=outcome, ip=_clip(ip, 64), user_agent=_clip(ua, 256), detail=_clip(detail, 256),
        prev_hash=prev or GENESIS_HASH,
    )
    row.row_hash = row.compute_hash()
    db.session.add(row)
    db.session.flush()
    return row


def _clip(value, size):
    return escape_control(str(value))[:size] if value is not None else None
