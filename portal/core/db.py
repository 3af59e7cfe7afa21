"""Engine settings per database.

SQLite (the single-machine default): WAL journal so readers never block the writer,
synchronous=FULL so a committed row survives a power cut, foreign keys on, and every
transaction opened with BEGIN IMMEDIATE. The last one serialises writers up front: the audit
chain and (later) booking re-check their invariants inside a transaction that already holds the
write lock, instead of failing with "database is locked" when a read tries to become a write.
PostgreSQL needs none of this; it is the choice for more than one server process.

Within one process, writers queue at a gate (WriterGate) before BEGIN IMMEDIATE instead of
meeting SQLite's busy handler: that handler polls with sleeps of 1, 2, 5, 10 ms and more, so a
writer that finds the lock taken waits for the next poll, not for the lock. Two video joins at
once took 20 ms instead of 10 (bench/call_setup.py). The gate wakes the next writer when the
previous one commits or rolls back; across processes the busy handler still applies.
"""
import os
import threading

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from portal.extensions import db

BUSY_TIMEOUT_S = 15


class WriterGate:
    """A process-wide queue for one SQLite database's write lock, re-entrant per thread (or
    greenlet, under gevent's monkey patching) so that a second connection opened by the same
    code path meets SQLite's own busy handling exactly as without the gate."""

    def __init__(self):
        self._cond = threading.Condition()
        self._owner = None
        self._depth = 0
        self._holders = set()  # ids of DBAPI connections whose transaction holds the gate

    def enter(self, key):
        me = threading.get_ident()
        with self._cond:
            if self._owner != me and not self._cond.wait_for(lambda: self._owner is None,
                                                             BUSY_TIMEOUT_S):
                return  # give up queueing: SQLite's busy handler decides, as without the gate
            self._owner = me
            self._depth += 1
            self._holders.add(key)

    def leave(self, key):
        with self._cond:
            if key not in self._holders:
                return
            self._holders.discard(key)
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify()


def _key(connection):
    return id(getattr(connection, "dbapi_connection", connection))


def _gate_writers(engine):
    gate = WriterGate()
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback", "do_close"):
        original = getattr(dialect, name)

        def wrapped(dbapi_connection, _original=original):
            try:
                _original(dbapi_connection)
            finally:
                gate.leave(_key(dbapi_connection))
        setattr(dialect, name, wrapped)
    return gate


def private_database_file(path):
    """Make the SQLite file owner-only (0600), creating it empty when missing (SQLite takes an
    empty file as a new database). It holds encrypted PHI but also, in clear, who is whose
    client and when they meet: no other account on the machine may read it. SQLite gives its
    -wal and -shm files the database file's mode, so they are private too."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        os.chmod(path, 0o600)  # an older file made with the default umask
    except PermissionError:  # not ours (a shared read-only copy): leave it as it is
        pass


def configure_engine(engine: Engine):
    if engine.dialect.name != "sqlite":
        return
    path = engine.url.database
    if path not in (None, "", ":memory:") and not path.startswith("file:"):
        private_database_file(path)

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

    gate = _gate_writers(engine) if engine.url.database not in (None, "", ":memory:") else None

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        if gate is not None:
            gate.enter(_key(conn.connection))
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except Exception:
            if gate is not None:
                gate.leave(_key(conn.connection))
            raise


def race_safe_insert(add):
    """Run `add()`, which adds rows guarded by a unique constraint, in a savepoint. Returns False
    when a concurrent transaction inserted the same row first: only the savepoint is rolled
    back, so the caller's transaction goes on and can read the winner's row."""
    try:
        with db.session.begin_nested():
            add()
    except IntegrityError:
        return False
    return True
