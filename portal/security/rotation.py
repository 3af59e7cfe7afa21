"""Re-encrypt every encrypted column under the newest PHI key, online and in small batches.

Procedure (docs/deploy.md): put the new key first in PHI_KEYS on every server (old keys stay
after it, so both decrypt), run `flask rotate-keys`, then remove the old key. Each row is updated
only if it still holds the ciphertext that was read, so a concurrent write is never overwritten.

Append-only tables (audit_events.detail) are re-encrypted too, not skipped: skipping them would
tie every old key to the audit trail forever, and a key that must be retired (leaked) could
never go. Their triggers are lifted inside each batch's own transaction and restored before it
commits (PostgreSQL: DISABLE/ENABLE TRIGGER USER, which needs the table's owner; SQLite: the
triggers are dropped and re-created from their own stored SQL), so no other transaction ever
sees the table unguarded. Only the ciphertext changes: the chain hashes the plaintext, so every
row hash stays valid and `flask audit-verify` passes before and after (tests/test_phi_at_rest.py).
"""
from contextlib import contextmanager

from sqlalchemy import text

import portal.models  # noqa: F401  (every encrypted column registers on import)
from portal.core.crypto import keyring
from portal.extensions import db
from portal.models.types import ENCRYPTED_COLUMNS

BATCH = 200
APPEND_ONLY = {"audit_events"}  # guarded by triggers (migration 0001)


@contextmanager
def _writable(table):
    """Within the current transaction: lift an append-only table's triggers, then restore."""
    if table not in APPEND_ONLY:
        yield
        return
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        yield
        db.session.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
        return
    saved = db.session.execute(text("SELECT name, sql FROM sqlite_master "
                                    "WHERE type = 'trigger' AND tbl_name = :t"),
                               {"t": table}).all()
    for name, _ in saved:
        db.session.execute(text(f'DROP TRIGGER "{name}"'))
    yield
    for _, sql in saved:
        db.session.execute(text(sql))


def rotate_column(context, table, column):
    ring = keyring()
    prefix = f"v1:{ring.current_id}:"
    done = 0
    last_id = 0
    while True:
        rows = db.session.execute(text(
            f"SELECT id, {column} FROM {table} WHERE id > :last AND {column} IS NOT NULL "  # noqa: S608 (names from the registry)
            f"ORDER BY id LIMIT {BATCH}"), {"last": last_id}).all()
        if not rows:
            return done
        stale = [(row_id, stored) for row_id, stored in rows if not stored.startswith(prefix)]
        last_id = rows[-1][0]
        if stale:
            with _writable(table):
                for row_id, stored in stale:
                    fresh = ring.encrypt(ring.decrypt(stored, context), context)
                    result = db.session.execute(text(
                        f"UPDATE {table} SET {column} = :new WHERE id = :id AND {column} = :old"),  # noqa: S608
                        {"new": fresh, "id": row_id, "old": stored})
                    done += result.rowcount
        db.session.commit()


def rotate_all():
    """Re-encrypt everything; returns {context: rows re-encrypted}."""
    return {context: rotate_column(context, table, column)
            for context, (table, column) in sorted(ENCRYPTED_COLUMNS.items())}


def rows_under_old_keys():
    """How many stored values are not yet under the newest key (0 after a full rotation)."""
    prefix = f"v1:{keyring().current_id}:%"
    total = 0
    for _, (table, column) in ENCRYPTED_COLUMNS.items():
        total += db.session.execute(text(
            f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL "  # noqa: S608
            f"AND {column} NOT LIKE :p"), {"p": prefix}).scalar()
    return total
