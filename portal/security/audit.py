"""The hash-chained audit trail (HIPAA §164.312(b)): `record` appends a row inside the caller's
transaction; `verify_chain` walks the chain (`flask audit-verify`).

The chain needs one writer at a time: PostgreSQL takes a transaction-scoped advisory lock, and
SQLite transactions are opened with BEGIN IMMEDIATE (see portal/core/db.py), which already
serialises writers. Values are escaped so that a name with a newline cannot forge a log line.
"""
from flask import has_request_context, request
from sqlalchemy import select, text

from portal.core.logs import escape_control
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.audit import GENESIS_HASH, AuditEvent

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


def verify_chain(batch=1000):
    """Return (rows checked, id of the first broken row or None)."""
    expected_prev = GENESIS_HASH
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                                  .order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return checked, None
        for row in rows:
            if row.prev_hash != expected_prev or row.row_hash != row.compute_hash():
                return checked, row.id
            expected_prev = row.row_hash
            checked += 1
            last_id = row.id
        db.session.expunge_all()
