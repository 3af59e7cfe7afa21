"""Re-encrypt every encrypted column under the newest PHI key, online and in small batches.

Procedure (docs/deploy.md): put the new key first in PHI_KEYS on every server (old keys stay
after it, so both decrypt), run `flask rotate-keys`, then remove the old key. Each row is updated
only if it still holds the ciphertext that was read, so a concurrent write is never overwritten.
"""
from sqlalchemy import text

import portal.models  # noqa: F401  (every encrypted column registers on import)
from portal.core.crypto import keyring
from portal.extensions import db
from portal.models.types import ENCRYPTED_COLUMNS

BATCH = 200


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
        for row_id, stored in rows:
            last_id = row_id
            if stored.startswith(prefix):
                continue
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
