"""Engine settings per database.

SQLite (the single-machine default): WAL journal so readers never block the writer,
synchronous=FULL so a committed row survives a power cut, foreign keys on, and every
transaction opened with BEGIN IMMEDIATE. The last one serialises writers up front: the audit
chain and (later) booking re-check their invariants inside a transaction that already holds the
write lock, instead of failing with "database is locked" when a read tries to become a write.
PostgreSQL needs none of this; it is the choice for more than one server process.
"""
from sqlalchemy import event
from sqlalchemy.engine import Engine


def configure_engine(engine: Engine):
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cur = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
