"""The keyed, hash-chained audit trail (HIPAA §164.312(b)): `record` appends a row inside the
caller's transaction; `verify_chain` walks the chain (`flask audit-verify`).

Each new row is signed with HMAC-SHA-256 under the first key of AUDIT_KEYS (`id:base64,...`, like
PHI_KEYS: the first signs, all verify, so keys rotate by putting a new one first). The key lives
outside the database, so a database writer cannot recompute the chain after an edit. Rows of the
unkeyed era (no key id) verify as plain SHA-256, but only before the first keyed row: an unkeyed
row after it is a downgrade forged with the old method and breaks the chain. A row names the
key that signed it in its hash (`key_id:mac`, portal/models/audit.py).

The chain needs one writer at a time: PostgreSQL takes a transaction-scoped advisory lock, and
SQLite transactions are opened with BEGIN IMMEDIATE (see portal/core/db.py), which already
serialises writers. Values are escaped so that a name with a newline cannot forge a log line.
"""
import hmac
import weakref

from flask import current_app, has_request_context, request
from sqlalchemy import select, text

from portal.core.audit_words import AUDIT_EVENTS, AUDIT_OBJECTS
from portal.core.crypto import parse_key_spec
from portal.core.logs import escape_control
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.audit import GENESIS_HASH, AuditEvent

AUDIT_LOCK_KEY = 727_001  # arbitrary constant shared by every writer of the chain


def parse_keys(spec):
    """AUDIT_KEYS `id:base64,...` → {id: key bytes}, in order (the first signs). 32 bytes: a
    256-bit key for HMAC-SHA-256. The id is at most 16 characters so that `id:mac` fits the
    64-character row_hash column."""
    return parse_key_spec(spec, "AUDIT_KEYS", max_id_length=16)


def audit_keys():
    """The app's audit keys, parsed once per app."""
    keys = current_app.extensions.get("audit_keys")
    if keys is None:
        keys = current_app.extensions["audit_keys"] = parse_keys(current_app.config["AUDIT_KEYS"])
    return keys


def record(event, actor=None, obj=None, outcome="success", detail=None):
    """Add an audit event (not committed: it lands with the caller's transaction). `event` and
    the kind in `obj` are words of portal/core/audit_words.py (stored as opaque codes)."""
    if event not in AUDIT_EVENTS or (obj and obj[0] not in AUDIT_OBJECTS):
        raise ValueError("audit event or object kind missing from portal/core/audit_words.py")
    prev = _chain_head()
    ip = ua = None
    if has_request_context():
        ip = request.remote_addr
        ua = request.user_agent.string or None
    actor_id = getattr(actor, "id", actor)
    key_id, key = next(iter(audit_keys().items()))
    row = AuditEvent(
        created_at=utcnow(), actor_id=actor_id, event=event,
        object_type=obj[0] if obj else None,
        object_id=str(obj[1]) if obj and obj[1] is not None else None,
        outcome=outcome, ip=_clip(ip, 64), user_agent=_clip(ua, 256), detail=_clip(detail, 256),
        prev_hash=prev or GENESIS_HASH,
    )
    row.row_hash = row.compute_hash(key, key_id)
    db.session.add(row)
    db.session.flush()
    _remember_head(row.row_hash)
    return row


_HEAD = "audit_chain_head"  # Session.info: (weak ref to a transaction, its last row's hash)


def _transaction():
    session = db.session()
    return session.get_nested_transaction() or session.get_transaction()


def _chain_head():
    """The hash the next row links to, with the chain's lock held. The first row of a
    transaction takes the lock and reads the newest row; a later row of the same transaction
    (a therapist's join records the join and the safety panel) links to the row this
    transaction just wrote, without asking again: the lock, held until the commit, keeps
    every other writer out meanwhile. Keyed by the innermost transaction, so a savepoint
    rolled back (and its rows with it) is never linked to."""
    cached, current = db.session.info.get(_HEAD), _transaction()
    if cached is not None and current is not None and cached[0]() is current:
        return cached[1]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK_KEY})
    return db.session.scalar(select(AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1))


def _remember_head(row_hash):
    db.session.info[_HEAD] = (weakref.ref(_transaction()), row_hash)


def _clip(value, size):
    return escape_control(str(value))[:size] if value is not None else None


def row_check(row, expected_prev, keyed_seen, keys):
    """"keyed" or "unkeyed" when the row links to `expected_prev` and carries a valid MAC or
    (in the unkeyed era only, before any keyed row) hash; None when it is broken."""
    if row.prev_hash != expected_prev:
        return None
    key_id = row.key_id
    if key_id is None:
        ok = not keyed_seen and hmac.compare_digest(row.row_hash, row.compute_hash())
        return "unkeyed" if ok else None
    key = keys.get(key_id)
    ok = key is not None and hmac.compare_digest(row.row_hash, row.compute_hash(key, key_id))
    return "keyed" if ok else None


def verify_chain(batch=1000):
    """Return (rows checked, id of the first broken row or None)."""
    keys = audit_keys()
    expected_prev = GENESIS_HASH
    keyed_seen = False
    checked = 0
    last_id = 0
    while True:
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id > last_id)
                                  .order_by(AuditEvent.id).limit(batch)).all()
        if not rows:
            return checked, None
        for row in rows:
            kind = row_check(row, expected_prev, keyed_seen, keys)
            if kind is None:
                return checked, row.id
            keyed_seen = keyed_seen or kind == "keyed"
            expected_prev = row.row_hash
            checked += 1
            last_id = row.id
        db.session.expunge_all()
