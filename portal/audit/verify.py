"""Walk the audit chain and report the first row whose hash or link does not hold."""
from sqlalchemy import select

from portal.extensions import db
from portal.models.audit import GENESIS_HASH, AuditEvent


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
