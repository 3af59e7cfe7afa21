"""A connected call keeps its people signed in (issue 11 §1; HIPAA automatic logoff reasoning in
portal/security/sessions.py keep_alive): the room's heartbeat with `connected: true` moves the
server session's idle clock, for participants of an admitted call only, never past the 12 h
absolute limit. Other socket events are not activity; HTTP requests still are."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.user import UserSession
from portal.security import sessions
from portal.video import keepalive
from portal.video import registry as registry_module
from tests.video_helpers import Participant, in_call, isolate_registry, isolated, video_appointment


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    monkeypatch.setattr(keepalive, "KEEP_ALIVE_SECONDS", 0.0)  # every connected heartbeat
    return isolate_registry(monkeypatch)


@pytest.fixture
def appointment(client_user):
    return video_appointment(client_user, starts_in=timedelta(minutes=1), located=True)


def session_of(user_id):
    db.session.expire_all()
    return db.session.scalar(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)))


def set_session(user_id, **values):
    row = session_of(user_id)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()


def sweep(app):
    def run():
        with app.app_context():
            return registry_module.sweep_once()
    return isolated(run)


def beat(person, appointment_id, connected=True):
    return person.emit("heartbeat", appointment_id=appointment_id, connected=connected)


def test_a_connected_call_is_not_signed_out_after_55_minutes(app, therapist, client_user,
                                                             appointment):
    appointment_id = appointment.id
    start = datetime.now(UTC)
    people = in_call(app, appointment, client_user, therapist)
    for minute in (14, 28, 42, 55):  # a heartbeat now and then, as the page sends every 15 s
        with time_machine.travel(start + timedelta(minutes=minute), tick=True):
            for person in people:
                ack = beat(person, appointment_id)
                assert ack["ok"] and ack["kept_alive"] is True, minute
                assert ack["idle_timeout_s"] == 1800
            sweep(app)
        for person in people:  # the pages still work: no sign-in page
            response = person.http.get("/account")
            assert response.status_code == 200, response.headers.get("Location")
    for person in people:
        assert person.connected and person.errors() == []
        assert session_of(person.id).last_seen_at >= start + timedelta(minutes=55)


def test_without_connected_the_heartbeat_does_not_keep_the_session(app, therapist, client_user,
                                                                  appointment):
    appointment_id = appointment.id
    start = datetime.now(UTC)
    client, clinician = in_call(app, appointment, client_user, therapist)
    with time_machine.travel(start + timedelta(minutes=20), tick=True):
        assert beat(client, appointment_id, connected=False) == {"ok": True}
        assert beat(clinician, appointment_id)["kept_alive"] is True  # positive control
    with time_machine.travel(start + timedelta(minutes=31), tick=True):
        sweep(app)
    assert not client.connected and client.errors() == ["signed_out"]
    assert clinician.connected


def test_a_waiting_client_is_not_kept_signed_in_by_the_room(app, therapist, client_user,
                                                           appointment):
    appointment_id = appointment.id
    client = Participant(app, client_user)
    before = session_of(client_user.id).last_seen_at
    assert client.connect() and client.join(appointment_id)["state"] == "waiting"
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=20), tick=True):
        ack = beat(client, appointment_id)
    assert ack["ok"] and ack["kept_alive"] is False
    assert session_of(client_user.id).last_seen_at < before + timedelta(minutes=1)


def test_socket_events_are_not_activity_but_page_requests_are(app, therapist, client_user,
                                                              appointment):
    client, _ = in_call(app, appointment, client_user, therapist)
    ten_minutes_ago = utcnow() - timedelta(minutes=10)
    set_session(client.id, last_seen_at=ten_minutes_ago)
    client.emit("announce", appointment_id=appointment.id)
    client.emit("chat", appointment_id=appointment.id, text="hello")
    assert session_of(client.id).last_seen_at == ten_minutes_ago
    assert client.http.get("/account").status_code == 200  # a page load (autosave, a form post)
    assert session_of(client.id).last_seen_at > ten_minutes_ago + timedelta(minutes=9)


def test_keep_alive_never_passes_the_12_hour_limit(app, therapist, client_user, appointment):
    appointment_id = appointment.id
    client, _ = in_call(app, appointment, client_user, therapist)
    signed_in = utcnow() - timedelta(hours=11, minutes=50)
    set_session(client.id, created_at=signed_in)
    ack = beat(client, appointment_id)
    assert ack["kept_alive"] is True
    assert ack["absolute_deadline"] == (signed_in + timedelta(hours=12)).isoformat()

    with time_machine.travel(signed_in + timedelta(hours=12, seconds=30), tick=True):
        beat(client, appointment_id)
    assert not client.connected and "signed_out" in client.errors()
    row = db.session.get(UserSession, session_of(therapist.id).id)  # the other session lives
    assert row.revoked_at is None


def test_keep_alive_moves_the_idle_clock_and_caps_the_deadline(app, client_user):
    now = utcnow()
    row = UserSession(user=client_user, token_hash="x" * 64, created_at=now - timedelta(hours=2),
                      last_seen_at=now - timedelta(minutes=20), mfa_passed_at=now)
    db.session.add(row)
    db.session.commit()
    assert sessions.keep_alive(row, now) == now + timedelta(minutes=30)
    assert row.last_seen_at == now

    row.created_at = now - timedelta(hours=11, minutes=50)  # 10 minutes of the 12 h left
    assert sessions.keep_alive(row, now) == now + timedelta(minutes=10)

    row.created_at = now - timedelta(hours=12, seconds=1)  # over: nothing moves
    row.last_seen_at = before = now - timedelta(minutes=1)
    assert sessions.keep_alive(row, now) is None
    assert row.last_seen_at == before

    row.created_at, row.last_seen_at = now - timedelta(hours=1), now - timedelta(minutes=31)
    assert sessions.keep_alive(row, now) is None  # already idle: a heartbeat cannot revive it
