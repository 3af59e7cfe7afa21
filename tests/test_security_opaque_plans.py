"""Issue 14, part 2: filters on opaque codes keep their indexes (the query plans stay sensible).

A practice of 20 therapists, 1,000 clients, 10,000 appointments and 10,000 safety flags is
written straight to the tables; then the portal's own queries run and the SQL
they send is explained (PostgreSQL after ANALYZE, as autovacuum would; SQLite as it ships, with
no statistics). The opaque column is an ordinary equality next to indexed columns, so each plan
names the index the query was written for. docs/security.md quotes the plans.
"""
import contextlib
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, insert, select, text

from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, FlagKind, Role, SessionKind, Severity
from portal.extensions import db
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment, SessionType
from portal.models.user import User
from portal.scheduling.queries import suggested_after_dosing
from portal.scheduling.services import ensure_default_types
from portal.workspace.queries_dashboard import dosing_soon, urgent_flags

THERAPISTS, CLIENTS_EACH, PER_CLIENT = 20, 50, 10
KINDS = list(SessionKind)


def _people():
    now = utcnow()
    person = {"timezone": "UTC", "is_active_account": True, "created_at": now,
              "password_hash": "x", "password_changed_at": now, "failed_login_count": 0}
    db.session.execute(insert(User), [
        {**person, "email": f"t{n}@example.com", "name": f"T{n}", "role": Role.THERAPIST.value}
        for n in range(THERAPISTS)])
    therapists = db.session.scalars(select(User).where(User.role == Role.THERAPIST.value)).all()
    db.session.execute(insert(User), [
        {**person, "email": f"c{t.id}-{n}@example.com", "name": "C", "role": Role.CLIENT.value,
         "therapist_id": t.id} for t in therapists for n in range(CLIENTS_EACH)])
    for therapist in therapists:
        ensure_default_types(therapist)
    db.session.commit()
    return therapists


def _appointments(therapists, origin):
    types = {(t.therapist_id, t.kind): t for t in db.session.scalars(select(SessionType))}
    rows = []
    for therapist in therapists:
        clients = db.session.scalars(select(User.id).where(User.therapist_id == therapist.id))
        for n, (client_id, i) in enumerate((c, i) for c in clients for i in range(PER_CLIENT)):
            kind = KINDS[(n + i) % len(KINDS)]
            start = origin + timedelta(hours=4 * n)
            rows.append({
                "therapist_id": therapist.id, "client_id": client_id, "kind": kind.value,
                "session_type_id": types[(therapist.id, kind.value)].id, "modality": "video",
                "starts_at": start, "ends_at": start + timedelta(hours=3), "block_start": start,
                "block_end": start + timedelta(hours=3), "idempotency_key": uuid.uuid4().hex,
                "status": (AppointmentStatus.BOOKED if start > utcnow()
                           else AppointmentStatus.COMPLETED).value, "created_at": origin,
                "updated_at": origin})
    db.session.execute(insert(Appointment), rows)


def _flags(origin):
    clients = db.session.scalars(select(User.id).where(User.role == Role.CLIENT.value)).all()
    severities = list(Severity)
    db.session.execute(insert(SafetyFlag), [
        {"client_id": c, "kind": FlagKind.CONTRAINDICATION.value, "code": "x",
         "severity": severities[i % len(severities)].value, "source": "intake",
         "created_at": origin, "acknowledged_at": None if i == 0 and c % 7 == 0 else origin}
        for c in clients for i in range(10)])


@pytest.fixture
def practice(app):
    origin = datetime(2026, 1, 5, 8, tzinfo=UTC)
    therapists = _people()
    _appointments(therapists, origin)
    _flags(origin)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    return therapists


@contextlib.contextmanager
def statements():
    """The SQL the portal sends inside the block, with its parameters (bound: codes)."""
    sent = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        sent.append((statement, parameters))
    event.listen(db.engine, "before_cursor_execute", capture)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", capture)


def plan_of(sent, marker):
    """The plan of the first statement that contains `marker`, as one text."""
    statement, parameters = next((s, p) for s, p in sent if marker in s)
    postgresql = db.engine.dialect.name == "postgresql"
    prefix = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
    db.session.commit()  # SQLite: the session's transaction holds the lock
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    plan = "\n".join(r[0] if postgresql else r[-1] for r in rows)
    print(f"\n--- {marker} ({db.engine.dialect.name})\n{plan}")
    return plan


def test_the_dashboards_urgent_flags_use_the_open_flags_index(practice):
    therapist = practice[3]
    with statements() as sent:
        found = urgent_flags(therapist)
    assert found and all(row.flag.severity in ("urgent", "exclude") for row in found)
    plan = plan_of(sent, "safety_flags")
    assert "ix_safety_flags_client_open" in plan
    assert "ix_users_therapist_id" in plan


def test_the_dashboards_dosing_sessions_use_the_therapists_appointments_index(practice):
    therapist = practice[5]
    now = datetime(2026, 1, 5, 8, tzinfo=UTC) + timedelta(days=40)
    with statements() as sent:
        dosing_soon(therapist, now)
    plan = plan_of(sent, "appointments.kind")
    assert ("ix_appointments_therapist_starts" in plan
            or "uq_appointments_therapist_start_live" in plan)
    assert "Seq Scan on appointments" not in plan and "SCAN appointments" not in plan


def test_the_booking_pages_dosing_lookup_uses_the_clients_appointments_index(practice):
    client = db.session.scalar(select(User).where(User.therapist_id == practice[0].id))
    integration = db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == practice[0].id,
        SessionType.kind == SessionKind.INTEGRATION))
    with statements() as sent:
        suggested_after_dosing(client, integration, datetime(2026, 1, 10, tzinfo=UTC))
    plan = plan_of(sent, "appointments.kind")
    assert "ix_appointments_client_starts" in plan

