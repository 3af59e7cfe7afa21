"""Reminders 24 h and 1 h before, and the readiness request before dosing: each sent once.

The concurrency test runs `flask send-reminders` as two real processes against the test
database and the loopback SMTP server, at the same moment.
"""
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from time import monotonic, sleep

import pytest
from sqlalchemy import create_engine, func, select, text

from portal.core.vocabulary import OutboxStatus, SessionKind
from portal.extensions import db
from portal.models.outbox import OutboxEmail
from portal.models.schedule import AvailabilityRule, DosingReadiness, ReminderLog, SessionType
from portal.notifications import reminders
from portal.notifications.outbox import deliver_due
from portal.notifications.reminders import due_kinds, send_due_reminders
from portal.scheduling import services
from tests.conftest import ON_PG

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2030, 1, 8, 14, 0, tzinfo=UTC)  # 9:00 AM in New York, 2:00 PM in London
BOOKED_AT = START - timedelta(days=3)
SUBJECT_24H = reminders.SUBJECTS[reminders.REMINDER_24H]
SUBJECT_1H = reminders.SUBJECTS[reminders.REMINDER_1H]
SUBJECT_READINESS = reminders.SUBJECTS[reminders.READINESS]


@pytest.fixture
def therapist_details():
    """START is 9:00 AM in New York, the therapist's zone."""
    return {"timezone": "America/New_York"}


@pytest.fixture(autouse=True)
def works_8_to_6_every_day(therapist):
    """The therapist works 8 AM to 6 PM every day and offers the default session types."""
    for weekday in range(7):
        db.session.add(AvailabilityRule(therapist_id=therapist.id, weekday=weekday,
                                        start_time=time(8), end_time=time(18)))
    services.ensure_default_types(therapist)
    db.session.commit()


def book(factories, therapist, start, kind=SessionKind.CONSULTATION, client=None):
    client = client or factories.make_client(therapist, timezone="Europe/London")
    session_type = db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == therapist.id, SessionType.kind == kind))
    appointment = services.book(client, session_type, start, idempotency_key=f"k-{start}",
                               now=BOOKED_AT)
    db.session.commit()
    return appointment


def subjects_to(mailbox, user):
    return Counter(m["Subject"] for m in mailbox.to(user.email))


def log_rows():
    return db.session.scalars(select(ReminderLog).order_by(ReminderLog.id)).all()


# --- when reminders are due -----------------------------------------------------------------
@pytest.mark.parametrize(("before_start", "expected"), [
    (timedelta(hours=25), []),
    (timedelta(hours=24), ["reminder_24h"]),
    (timedelta(hours=3), ["reminder_24h"]),
    (timedelta(hours=1, seconds=1), ["reminder_24h"]),
    (timedelta(hours=1), ["reminder_1h"]),
    (timedelta(seconds=1), ["reminder_1h"]),
    (timedelta(0), []),
    (-timedelta(minutes=5), []),
])
def test_reminders_are_due_24_hours_and_1_hour_before(factories, therapist, before_start,
                                                       expected):
    appointment = book(factories, therapist, START)
    assert due_kinds(appointment, START - before_start) == expected


def test_the_readiness_request_opens_at_8_am_the_day_before_in_the_clients_zone(
        factories, therapist, no_gates):
    dosing = book(factories, therapist, START, kind=SessionKind.DOSING)  # 2:00 PM in London
    opens = datetime(2030, 1, 7, 8, 0, tzinfo=UTC)  # 8:00 AM GMT the day before

    assert "readiness" not in due_kinds(dosing, opens - timedelta(minutes=1))
    assert "readiness" in due_kinds(dosing, opens)
    assert "readiness" in due_kinds(dosing, START - timedelta(hours=2, seconds=1))
    assert "readiness" not in due_kinds(dosing, START - timedelta(hours=2))


# --- sending --------------------------------------------------------------------------------
def test_each_reminder_is_sent_once_and_recorded(factories, therapist, mailbox):
    appointment = book(factories, therapist, START)
    client = appointment.client

    assert send_due_reminders(START - timedelta(hours=20)) == 1
    assert send_due_reminders(START - timedelta(hours=19)) == 0
    assert send_due_reminders(START - timedelta(minutes=50)) == 1
    assert send_due_reminders(START - timedelta(minutes=10)) == 0

    assert subjects_to(mailbox, client) == {SUBJECT_24H: 1, SUBJECT_1H: 1}
    rows = log_rows()
    assert [(r.kind, r.recipient_id) for r in rows] == [("reminder_24h#0", client.id),
                                                        ("reminder_1h#0", client.id)]
    assert all(r.sent_at is not None for r in rows)
    text = mailbox.text_of(mailbox.to(client.email)[0])
    assert "Tuesday 8 January 2030, 2:00 PM GMT" in text
    assert f"http://localhost/sessions/{appointment.id}" in text


def test_cancelled_and_past_appointments_get_no_reminders(factories, therapist, mailbox):
    cancelled = book(factories, therapist, START)
    services.cancel(cancelled, by=cancelled.client, now=BOOKED_AT)
    db.session.commit()
    book(factories, therapist, START - timedelta(hours=1))  # already started at "now"

    assert send_due_reminders(START - timedelta(minutes=30)) == 0
    assert mailbox.messages == []
    assert log_rows() == []


def test_a_rescheduled_appointment_is_reminded_of_its_new_time(factories, therapist, mailbox):
    appointment = book(factories, therapist, START)
    assert send_due_reminders(START - timedelta(hours=20)) == 1
    services.reschedule(appointment, START + timedelta(days=1), by=appointment.therapist,
                       now=BOOKED_AT)
    db.session.commit()

    assert send_due_reminders(START - timedelta(hours=19)) == 0  # the new time is not due yet
    assert send_due_reminders(START + timedelta(hours=4)) == 1

    texts = [mailbox.text_of(m) for m in mailbox.to(appointment.client.email)]
    assert "Wednesday 9 January 2030, 2:00 PM GMT" in texts[-1]


def test_a_failed_delivery_waits_in_the_outbox_and_is_not_queued_twice(app, factories,
                                                                        therapist, mailbox):
    appointment = book(factories, therapist, START)
    real_port = app.config["SMTP_PORT"]
    app.config["SMTP_PORT"] = 1  # nothing listens there

    assert send_due_reminders(START - timedelta(hours=20)) == 1  # claimed and queued
    [email] = db.session.scalars(select(OutboxEmail)).all()
    assert email.status == OutboxStatus.QUEUED and email.attempts == 1 and mailbox.messages == []
    assert send_due_reminders(START - timedelta(hours=19)) == 0  # the outbox retries it

    app.config["SMTP_PORT"] = real_port
    retry_at = email.next_attempt_at
    db.session.commit()  # SQLite: the sender's transaction would wait for ours
    assert deliver_due(retry_at) == 1
    assert subjects_to(mailbox, appointment.client) == {SUBJECT_24H: 1}


def test_the_day_before_dosing_the_client_is_asked_about_readiness_once(
        factories, therapist, mailbox, no_gates):
    dosing = book(factories, therapist, START, kind=SessionKind.DOSING)
    client = dosing.client

    assert send_due_reminders(datetime(2030, 1, 7, 9, 0, tzinfo=UTC)) == 1
    assert send_due_reminders(datetime(2030, 1, 7, 10, 0, tzinfo=UTC)) == 0

    (message,) = mailbox.to(client.email)
    assert message["Subject"] == SUBJECT_READINESS
    text = mailbox.text_of(message)
    assert f"http://localhost/appointments/{dosing.id}/readiness" in text
    assert "benzodiazepines" in text and "ride home" in text
    for word in ("dosing", "ketamine"):
        assert word not in message["Subject"].lower()


def test_no_readiness_request_once_the_client_has_answered(factories, therapist, mailbox,
                                                           no_gates):
    dosing = book(factories, therapist, START, kind=SessionKind.DOSING)
    db.session.add(DosingReadiness(appointment_id=dosing.id, answers={"ride": True}))
    db.session.commit()

    assert send_due_reminders(datetime(2030, 1, 7, 9, 0, tzinfo=UTC)) == 0
    assert mailbox.messages == []


# --- two copies at once ---------------------------------------------------------------------
def test_a_copy_that_loses_the_claim_sends_nothing(factories, therapist, mailbox):
    """Two copies that both saw the same due reminders: the unique claim lets one send."""
    appointments = [book(factories, therapist, START + timedelta(minutes=30 * i))
                    for i in range(3)]
    now = START - timedelta(hours=20)
    seen_by_slow_copy = reminders.find_due(now)
    db.session.commit()

    assert send_due_reminders(now) == 3  # the fast copy
    assert sum(reminders.send_one(item, now) for item in seen_by_slow_copy) == 0

    for appointment in appointments:
        assert subjects_to(mailbox, appointment.client) == {SUBJECT_24H: 1}
    assert len(log_rows()) == 3


def run_cli(app, now, tmp_path):
    """Start `flask send-reminders` in a process of its own, configured like the test app."""
    cfg = app.config
    env = {**os.environ, "PORTAL_ENV": "development",
           "DATABASE_URL": cfg["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": cfg["SECRET_KEY"],
           "PHI_KEYS": cfg["PHI_KEYS"], "AUDIT_KEYS": cfg["AUDIT_KEYS"],
           "SMTP_HOST": cfg["SMTP_HOST"],
           "SMTP_PORT": str(cfg["SMTP_PORT"]), "BASE_URL": cfg["BASE_URL"],
           "INSTANCE_PATH": str(tmp_path)}
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "send-reminders", "--now",
         now.isoformat()], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True)


def finish(process):
    out, err = process.communicate(timeout=180)
    assert process.returncode == 0, err
    line = next(ln for ln in out.splitlines() if ln.startswith("reminders sent:"))
    return int(line.rsplit(" ", 1)[1])


def _wait_until(condition, timeout=120):
    deadline = monotonic() + timeout
    while monotonic() < deadline and not condition():
        sleep(0.05)


def _opened(pid, path):
    try:
        return any(os.path.realpath(f"/proc/{pid}/fd/{fd}") == path
                   for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


@contextmanager
def starting_line(url):
    """Hold the database until both copies wait for it, so that they really run at once.

    PostgreSQL: an exclusive lock on appointments, released once two sessions wait for it.
    SQLite: the write lock, released once both processes have the file open (and so wait on
    their first BEGIN IMMEDIATE, within the 15 s busy timeout).
    """
    started = []
    if ON_PG:
        engine = create_engine(url)
        holder, watcher = engine.connect(), engine.connect()
        holder.begin()
        holder.execute(text("LOCK TABLE appointments IN ACCESS EXCLUSIVE MODE"))
        yield started
        _wait_until(lambda: watcher.execute(text(
            "SELECT count(*) FROM pg_locks WHERE NOT granted "
            "AND relation = 'appointments'::regclass")).scalar() >= len(started))
        holder.commit()
        holder.close(), watcher.close()
        engine.dispose()
    else:
        path = os.path.realpath(url.removeprefix("sqlite:///"))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        yield started
        _wait_until(lambda: all(_opened(p.pid, path) for p in started))
        sleep(0.3)
        holder.execute("COMMIT")
        holder.close()


def test_two_copies_of_send_reminders_at_once_send_each_reminder_exactly_once(
        app, factories, therapist, mailbox, no_gates, tmp_path):
    consultations = [book(factories, therapist, START + timedelta(minutes=30 * i))
                     for i in range(6)]
    dosing = book(factories, therapist, START + timedelta(hours=4), kind=SessionKind.DOSING)
    cancelled = book(factories, therapist, START + timedelta(hours=8))
    services.cancel(cancelled, by=cancelled.client, now=BOOKED_AT)
    db.session.commit()
    clients = [a.client for a in consultations]
    dosing_client, cancelled_client = dosing.client, cancelled.client
    now = START - timedelta(hours=20)
    db.session.commit()  # SQLite: hold no transaction (it would be the write lock) meanwhile

    with starting_line(app.config["SQLALCHEMY_DATABASE_URI"]) as started:
        started.extend(run_cli(app, now, tmp_path) for _ in range(2))
    sent = [finish(p) for p in started]

    assert sum(sent) == 8  # 6 consultations + the dosing session's reminder and readiness
    for client in clients:
        assert subjects_to(mailbox, client) == {SUBJECT_24H: 1}
    assert subjects_to(mailbox, dosing_client) == {SUBJECT_24H: 1, SUBJECT_READINESS: 1}
    assert subjects_to(mailbox, cancelled_client) == {}
    assert len(mailbox.messages) == 8
    rows = log_rows()
    assert len(rows) == 8
    assert len({(r.appointment_id, r.kind, r.recipient_id) for r in rows}) == 8
    assert all(r.sent_at is not None for r in rows)
    assert cancelled.id not in {r.appointment_id for r in rows}

    db.session.commit()
    again = run_cli(app, now + timedelta(minutes=1), tmp_path)
    assert finish(again) == 0
    assert len(mailbox.messages) == 8
    assert db.session.scalar(select(func.count()).select_from(ReminderLog)) == 8
