"""No double booking (acceptance 2): many people booking the same time at once get exactly one
appointment and clean "this time was just taken" answers with the nearest free times, on
whichever database the run uses. The database itself refuses overlaps, not only the Python check.
"""
import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.schedule import Appointment, SessionType
from portal.models.user import User
from portal.scheduling import services, slots
from portal.scheduling.slots import free_slots
from tests.scheduling_helpers import (
    at,
    complete_consultation,
    make_appointment,
    make_eligible,
    session_type,
    weekly_hours,
)

NEW_YORK = "America/New_York"
NOW = at(NEW_YORK, 2026, 6, 1, 8)  # Monday 1 June 2026
SLOT = at(NEW_YORK, 2026, 6, 3, 10)  # Wednesday 10:00, well inside notice and horizon


@pytest.fixture
def therapist_details():
    """Times here are wall-clock times in New York, the therapist's zone."""
    return {"timezone": NEW_YORK}


@pytest.fixture(autouse=True)
def works_weekdays(therapist):
    """The therapist works 9 to 5 on weekdays, so SLOT (a Wednesday at 10:00) is on offer."""
    weekly_hours(therapist)


@pytest.fixture
def consultation(therapist):
    return session_type(therapist, SessionKind.CONSULTATION)


def book_as(client_id, type_id, start, key):
    """One request: load the people and the type, book, commit. Returns the appointment id."""
    client = db.session.get(User, client_id)
    kind = db.session.get(SessionType, type_id)
    appointment_id = services.book(client, kind, start, key, now=NOW).id
    db.session.commit()
    return appointment_id


def at_once(app, calls):
    """Run each (client_id, type_id, start, key) booking in its own thread and app context, all
    released together. Returns one ("booked", id) / ("taken", nearest) / ("error", text) each."""
    db.session.commit()  # SQLite: the test's own transaction would hold the write lock
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def request(i, call):
        with app.app_context():
            barrier.wait(timeout=30)
            try:
                results[i] = ("booked", book_as(*call))
            except services.SlotTaken as taken:
                results[i] = ("taken", taken.nearest)
            except Exception as exc:  # any other outcome fails the test with its text
                results[i] = ("error", repr(exc))
            finally:
                db.session.rollback()

    threads = [threading.Thread(target=request, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def live_appointments(therapist):
    """The therapist's booked sessions (a consultation completed long ago competes for no slot)."""
    return db.session.scalars(select(Appointment).where(
        Appointment.therapist_id == therapist.id,
        Appointment.status == AppointmentStatus.BOOKED.value)).all()


def outcomes(results):
    return sorted(kind for kind, _ in results)


# --- the race -------------------------------------------------------------------------------
def test_twenty_people_booking_the_same_slot_get_one_booking_and_nineteen_clean_refusals(
        app, factories, therapist, consultation):
    clients = [factories.make_client(therapist=therapist) for _ in range(20)]
    calls = [(c.id, consultation.id, SLOT, uuid.uuid4().hex) for c in clients]

    results = at_once(app, calls)

    assert outcomes(results) == ["booked"] + ["taken"] * 19, results
    [appointment] = live_appointments(therapist)
    assert appointment.starts_at == SLOT
    free = set(free_slots(consultation, NOW, NOW + timedelta(days=30), now=NOW))
    for kind, nearest in results:
        if kind == "taken":
            assert nearest and SLOT not in nearest
            assert set(nearest) <= free  # offered times really are free
            assert min(abs(s - SLOT) for s in nearest) <= timedelta(hours=1)


def test_an_overlapping_slot_of_another_type_is_refused_the_same_way(
        app, factories, therapist, consultation):
    # 50-min preparations may start every 10 minutes, so 10:10 is a time on offer...
    preparation = session_type(therapist, SessionKind.PREPARATION, slot_step_min=10)
    inside = SLOT + timedelta(minutes=10)
    assert inside in free_slots(preparation, SLOT, SLOT + timedelta(hours=1), now=NOW)
    # ...until a consultation takes 10:00–10:20 (and its 10-minute buffer).
    booked = factories.make_client(therapist=therapist)
    services.book(booked, consultation, SLOT, "first", now=NOW)
    db.session.commit()
    eligible = make_eligible(factories.make_client(therapist=therapist))
    complete_consultation(eligible)  # preparation opens after a consultation

    with pytest.raises(services.SlotTaken) as taken:
        services.book(eligible, preparation, inside, "second", now=NOW)
    db.session.rollback()
    assert taken.value.nearest and inside not in taken.value.nearest
    assert len(live_appointments(therapist)) == 1


def test_overlapping_bookings_of_two_types_at_once_leave_one(app, factories, therapist,
                                                            consultation):
    preparation = session_type(therapist, SessionKind.PREPARATION, slot_step_min=10)
    inside = SLOT + timedelta(minutes=10)
    people = [factories.make_client(therapist=therapist) for _ in range(10)]
    for person in people[5:]:
        make_eligible(person)
        complete_consultation(person)  # preparation opens after a consultation
    calls = [(p.id, consultation.id, SLOT, uuid.uuid4().hex) for p in people[:5]]
    calls += [(p.id, preparation.id, inside, uuid.uuid4().hex) for p in people[5:]]

    results = at_once(app, calls)

    assert outcomes(results) == ["booked"] + ["taken"] * 9, results
    assert len(live_appointments(therapist)) == 1


def test_cancel_then_rebook_the_same_slot(app, factories, therapist, consultation):
    first, second = (factories.make_client(therapist=therapist) for _ in range(2))
    appointment = services.book(first, consultation, SLOT, "k1", now=NOW)
    db.session.commit()
    services.cancel(appointment, by=first, now=NOW)
    db.session.commit()

    rebooked = services.book(second, consultation, SLOT, "k2", now=NOW)
    db.session.commit()
    assert rebooked.id != appointment.id and rebooked.starts_at == SLOT
    assert [a.id for a in live_appointments(therapist)] == [rebooked.id]
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 2  # history kept


# --- idempotency ----------------------------------------------------------------------------
def test_the_same_idempotency_key_twice_returns_the_same_booking(factories, therapist,
                                                                 consultation):
    client = factories.make_client(therapist=therapist)
    first = services.book(client, consultation, SLOT, "double-click", now=NOW)
    db.session.commit()
    again = services.book(client, consultation, SLOT, "double-click", now=NOW)
    db.session.commit()
    assert again.id == first.id
    assert len(live_appointments(therapist)) == 1


def test_five_retries_with_one_key_at_once_make_one_booking(app, factories, therapist,
                                                            consultation):
    client = factories.make_client(therapist=therapist)
    results = at_once(app, [(client.id, consultation.id, SLOT, "retry-key")] * 5)

    assert outcomes(results) == ["booked"] * 5, results
    assert len({appointment_id for _, appointment_id in results}) == 1
    assert len(live_appointments(therapist)) == 1


# --- the database has the last word ---------------------------------------------------------
def test_the_database_refuses_a_second_live_appointment_at_the_same_start(factories, therapist,
                                                                          consultation):
    first, second = (factories.make_client(therapist=therapist) for _ in range(2))
    make_appointment(first, consultation, SLOT)
    with pytest.raises(IntegrityError):
        make_appointment(second, consultation, SLOT)  # straight to the table, no Python check
    db.session.rollback()
    make_appointment(second, consultation, SLOT + timedelta(days=1), AppointmentStatus.CANCELLED)
    make_appointment(second, consultation, SLOT + timedelta(days=1))  # cancelled ones don't count


def test_postgresql_refuses_overlapping_blocks_of_different_starts(app, factories, therapist,
                                                                   consultation):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no exclusion constraints: booking re-checks under the write lock")
    preparation = session_type(therapist, SessionKind.PREPARATION)
    first, second = (factories.make_client(therapist=therapist) for _ in range(2))
    make_appointment(first, consultation, SLOT)  # block 10:00–10:30
    with pytest.raises(IntegrityError, match="ex_appointments_no_overlap"):
        make_appointment(second, preparation, SLOT + timedelta(minutes=10))
    db.session.rollback()
    make_appointment(second, preparation, SLOT + timedelta(minutes=30))  # touching is fine


@pytest.fixture
def without_python_check(monkeypatch):
    """services.book with its free-slot re-check switched off: only the database stands guard."""
    monkeypatch.setattr(slots, "is_free", lambda *args, **kwargs: True)


@pytest.mark.parametrize("minutes_apart", [0, 3], ids=["same-start", "overlapping-starts"])
def test_without_the_python_check_racing_bookings_still_leave_one(
        app, factories, therapist, consultation, without_python_check, minutes_apart):
    if minutes_apart and db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no exclusion constraints: booking re-checks under the write lock")
    # Ten 20-minute consultations (30-minute blocks) starting 0–27 minutes after 10:00: every
    # pair overlaps. On PostgreSQL two inserters can also deadlock on the exclusion check;
    # the loser of that is a clean "taken" too, never a 500.
    people = [factories.make_client(therapist=therapist) for _ in range(10)]
    calls = [(p.id, consultation.id, SLOT + timedelta(minutes=i * minutes_apart), uuid.uuid4().hex)
             for i, p in enumerate(people)]

    results = at_once(app, calls)

    assert outcomes(results) == ["booked"] + ["taken"] * 9, results
    assert len(live_appointments(therapist)) == 1


class DriverError(Exception):
    def __init__(self, sqlstate):
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


@pytest.fixture
def insert_fails_with(app):
    """Make the next INSERT of an appointment fail with a driver error of the given SQLSTATE."""
    listeners = []

    def arm(sqlstate):
        def fail(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("INSERT INTO APPOINTMENTS"):
                raise OperationalError(statement, None, DriverError(sqlstate))
        event.listen(db.engine, "before_cursor_execute", fail)
        listeners.append(fail)

    yield arm
    for fail in listeners:
        event.remove(db.engine, "before_cursor_execute", fail)


def test_a_deadlock_between_two_inserters_is_a_clean_slot_taken(factories, therapist, consultation,
                                                               insert_fails_with):
    # Two PostgreSQL inserters checking the exclusion constraint can each wait for the other's
    # row; the deadlock detector then aborts one with SQLSTATE 40P01. Rare in tests (the Python
    # work before the INSERT staggers the threads), it shows up with bare concurrent INSERTs.
    client = factories.make_client(therapist=therapist)
    insert_fails_with("40P01")
    with pytest.raises(services.SlotTaken) as taken:
        services.book(client, consultation, SLOT, "k", now=NOW)
    assert taken.value.nearest
    db.session.rollback()


def test_other_database_errors_are_not_mistaken_for_a_taken_slot(factories, therapist, consultation,
                                                                insert_fails_with):
    client = factories.make_client(therapist=therapist)
    insert_fails_with("57014")  # query cancelled
    with pytest.raises(OperationalError):
        services.book(client, consultation, SLOT, "k", now=NOW)
    db.session.rollback()
