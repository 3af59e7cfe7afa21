"""Video state shared by every server process through a real Redis (portal/video/presence.py,
portal/video/invalidations.py). One test process plays both sides: "another process" is a
second, empty socket registry (a process that does not hold the client's socket), or a change
published on the invalidation channel by someone else, which this process's listener applies
to its own sockets exactly as the local receivers do.

Redis: PRESENCE_REDIS_URL, by default db 7 of 127.0.0.1:6379; each test uses keys and a
channel of its own and deletes only its own keys.
"""
import contextlib
import json
import logging
import os
import time
import uuid
from datetime import timedelta

import pytest
import redis
import time_machine
from sqlalchemy import func, update

from portal.core.vocabulary import AppointmentStatus
from portal.extensions import db
from portal.models.call import call_for
from portal.models.schedule import Appointment
from portal.models.user import UserSession
from portal.video import events, grants, invalidations, presence, queries
from portal.video import registry as registry_module
from tests.video_helpers import (
    NOTIFY,
    Participant,
    in_call,
    isolate_registry,
    video_appointment,
)

REDIS_URL = os.environ.get("PRESENCE_REDIS_URL", "redis://127.0.0.1:6379/7")
BYE = {"type": "bye"}


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


@pytest.fixture
def shared(app):
    """The app with REDIS_URL and a channel of this test's own; the listener stops after."""
    store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        store.ping()
    except redis.RedisError:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true but Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    channel = f"test-presence-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL=REDIS_URL, SOCKETIO_CHANNEL=channel)
    yield store
    invalidations.listener.stop()
    for key in store.scan_iter(f"{channel}:*"):
        store.delete(key)
    store.close()


@contextlib.contextmanager
def another_process(monkeypatch):
    """Requests in the block run as on a process without this process's sockets."""
    own = registry_module.registry
    fresh = registry_module.Registry()
    for module in (registry_module, events, grants):
        monkeypatch.setattr(module, "registry", fresh)
    try:
        yield fresh
    finally:
        for module in (registry_module, events, grants):
            monkeypatch.setattr(module, "registry", own)


def waiting(person):
    return person.http.get("/video/waiting").get_json()["count"]


def waiting_client(app, client_user, appointment):
    person = Participant(app, client_user)
    assert person.connect() and person.join(appointment.id)["state"] == "waiting"
    return person


# --- presence -----------------------------------------------------------------------------
def test_a_waiting_client_counts_on_a_process_that_does_not_hold_its_socket(
        app, shared, monkeypatch, therapist, client_user, other_therapist):
    appointment = video_appointment(client_user, located=True)
    waiting_client(app, client_user, appointment)
    owner, other = Participant(app, therapist), Participant(app, other_therapist)
    with another_process(monkeypatch):
        assert waiting(owner) == 1
        assert waiting(other) == 0  # only the owner sees the badge
        assert queries.waiting_states(appointment.therapist_id, [appointment]) == {  # dashboard
            appointment.id: "waiting"}
    assert waiting(owner) == 1


def test_without_redis_only_this_process_counts(app, monkeypatch, therapist, client_user):
    """The control: the in-memory path does not see the other process's client."""
    appointment = video_appointment(client_user, located=True)
    waiting_client(app, client_user, appointment)
    owner = Participant(app, therapist)
    assert waiting(owner) == 1
    with another_process(monkeypatch):
        assert waiting(owner) == 0


def test_a_join_elsewhere_reaches_the_therapists_badge_with_the_shared_count(
        app, shared, monkeypatch, therapist, client_user, other_client):
    first = video_appointment(client_user, located=True)
    with another_process(monkeypatch):  # this client's socket is on the other process
        waiting_client(app, client_user, first)
    page = Participant(app, therapist)
    assert page.connect(NOTIFY)
    # an earlier session still open (ended 20 minutes ago): no overlap (PostgreSQL refuses it)
    second = video_appointment(other_client, starts_in=timedelta(minutes=-70), located=True)
    waiting_client(app, other_client, second)
    counts = [change["count"] for change in page.received("waiting_changed", namespace=NOTIFY)]
    assert counts == [2]  # both clients, wherever their sockets are


def test_leaving_and_closing_stop_counting_at_once_everywhere(
        app, shared, monkeypatch, therapist, client_user):
    appointment = video_appointment(client_user, located=True)
    owner = Participant(app, therapist)
    person = waiting_client(app, client_user, appointment)
    assert person.emit("leave", appointment_id=appointment.id) == {"ok": True}
    with another_process(monkeypatch):
        assert waiting(owner) == 0
    person = waiting_client(app, client_user, appointment)
    with another_process(monkeypatch):
        assert waiting(owner) == 1
    person.disconnect()
    with another_process(monkeypatch):
        assert waiting(owner) == 0


def test_a_socket_of_a_dead_process_stops_counting_after_the_presence_time(
        app, shared, monkeypatch, therapist, client_user):
    appointment = video_appointment(client_user, located=True)
    person = waiting_client(app, client_user, appointment)
    owner = Participant(app, therapist)
    with time_machine.travel(time.time() + presence.PRESENCE_SECONDS - 5, tick=False):
        with another_process(monkeypatch):
            assert waiting(owner) == 1
        # its process is alive: the room page's heartbeat refreshes it
        assert person.emit("heartbeat", appointment_id=appointment.id) == {"ok": True}
    with time_machine.travel(time.time() + presence.PRESENCE_SECONDS + 5, tick=False):
        with another_process(monkeypatch):
            assert waiting(owner) == 1
    # no refresh since (the process was killed): gone once the time is over
    with time_machine.travel(time.time() + 2 * presence.PRESENCE_SECONDS, tick=False):
        with another_process(monkeypatch):
            assert waiting(owner) == 0


def test_the_sweep_refreshes_this_processs_waiting_clients(app, shared, client_user):
    appointment = video_appointment(client_user, located=True)
    waiting_client(app, client_user, appointment)
    key = f"{presence.prefix(app)}:present:{appointment.therapist_id}"
    shared.zadd(key, {m: 0 for m in shared.zrange(key, 0, -1)})  # as if about to expire
    presence.refresh(app, registry_module.registry.snapshot().items())  # what a sweep does
    assert [score > time.time() for _, score in shared.zrange(key, 0, -1, withscores=True)] \
        == [True]


def test_redis_out_of_reach_breaks_nothing_and_this_process_still_counts(
        app, therapist, client_user, caplog):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/7", SOCKETIO_CHANNEL="test-presence-down")
    try:
        appointment = video_appointment(client_user, located=True)
        with caplog.at_level(logging.WARNING, logger="portal.video"):
            person = waiting_client(app, client_user, appointment)
            assert person.emit("heartbeat", appointment_id=appointment.id) == {"ok": True}
            assert waiting(Participant(app, therapist)) == 1
        assert any("error=ConnectionError" in r.getMessage() for r in caplog.records)
        assert client_user.email not in caplog.text and client_user.name not in caplog.text
    finally:
        invalidations.listener.stop()


# --- invalidations ------------------------------------------------------------------------
def listening(app):
    """This process's listener, subscribed to the test's channel."""
    invalidations.listener.start(app)
    until(lambda: invalidations.listener.subscribed_to == invalidations.channel(app),
          "the listener subscribed")


def until(predicate, what, timeout=30):
    """Wait for something another thread does (a hang guard, not a measure)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.01)


def published_elsewhere(app, store, **message):
    store.publish(invalidations.channel(app), json.dumps({"origin": "another", **message}))


def grants_in(appointment_id):
    return [e.grant for e in registry_module.registry.snapshot().values()
            if e.appointment_id == appointment_id]


def signal(person, appointment_id):
    return person.emit("signal", appointment_id=appointment_id, data=BYE)


@pytest.fixture
def two_calls(app, shared, factories, therapist, client_user):
    """Two admitted calls in this process, each participant holding a fresh grant (taken after
    the listener subscribed: subscribing drops every grant)."""
    listening(app)
    calls = []
    other_therapist = factories.make_therapist()
    for client, clinician in ((client_user, therapist),
                              (factories.make_client(other_therapist), other_therapist)):
        appointment = video_appointment(client, located=True)
        people = in_call(app, appointment, client, clinician)
        for person in people:
            assert signal(person, appointment.id) == {"ok": True}
        for person in people:
            person.received()
        calls.append((appointment, *people))
    return calls


def test_a_send_back_on_another_process_drops_this_processs_grants_at_once(
        app, shared, two_calls):
    (mine, client, clinician), (other, *_) = two_calls
    assert all(grants_in(mine.id)) and all(grants_in(other.id))
    call_for(mine.id).client_admitted_at = None  # the send-back, committed by the other process
    db.session.commit()
    published_elsewhere(app, shared, kind="admission", appointment_id=mine.id)
    until(lambda: not any(grants_in(mine.id)), "the room's grants dropped")
    assert all(grants_in(other.id))  # the other room keeps its grants
    assert signal(client, mine.id) != {"ok": True} and client.errors() == ["not_admitted"]
    assert clinician.received("signal") == []


def test_a_cancellation_on_another_process_closes_this_processs_sockets_of_the_room(
        app, shared, two_calls):
    (mine, client, clinician), (other, other_client, other_clinician) = two_calls
    mine_id, other_id = mine.id, other.id  # read now: a read after the commit would begin a
    # transaction, and on SQLite hold the lock the listener's read waits for
    db.session.execute(update(Appointment).where(Appointment.id == mine_id)
                       .values(status=AppointmentStatus.CANCELLED.value))
    db.session.commit()
    published_elsewhere(app, shared, kind="appointment", appointment_id=mine_id)
    until(lambda: not client.connected and not clinician.connected, "the room's sockets closed")
    assert "room_closed" in client.errors()
    assert other_client.connected and other_clinician.connected
    assert signal(other_client, other_id) == {"ok": True}


def test_a_sign_out_on_another_process_closes_that_sessions_sockets_here(
        app, shared, two_calls):
    _, client, clinician = two_calls[0]
    session_id = registry_module.registry.snapshot()[_sid_of(client)].session_id
    db.session.execute(update(UserSession).where(UserSession.id == session_id)
                       .values(revoked_at=func.now()))
    db.session.commit()
    published_elsewhere(app, shared, kind="sessions", session_ids=[session_id])
    until(lambda: not client.connected, "the session's socket closed")
    assert clinician.connected


def test_this_processs_own_messages_are_not_applied_twice(app, shared, two_calls):
    mine = two_calls[0][0]
    marker = registry_module.registry.epoch
    shared.publish(invalidations.channel(app), json.dumps(
        {"origin": invalidations.origin(), "kind": "admission", "appointment_id": mine.id}))
    published_elsewhere(app, shared, kind="admission", appointment_id=0)  # a marker after it
    until(lambda: registry_module.registry.epoch > marker, "the marker applied")
    assert all(grants_in(mine.id))


def test_changes_made_here_are_published_with_ids_only(app, shared, therapist, client_user):
    appointment = video_appointment(client_user, located=True)
    pubsub = shared.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(invalidations.channel(app))
    clinician = Participant(app, therapist)
    patient = waiting_client(app, client_user, appointment)
    assert clinician.connect() and clinician.join(appointment.id)["ok"]
    assert clinician.emit("admit", appointment_id=appointment.id) == {"ok": True}
    message = None
    deadline = time.monotonic() + 30
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_message(timeout=1)
    pubsub.close()
    body = json.loads(message["data"])
    assert body == {"origin": invalidations.origin(), "kind": "admission",
                    "appointment_id": appointment.id}
    assert patient.connected


def _sid_of(person):
    """The server-side sid of a participant's /video socket (the registry's key)."""
    sids = [sid for sid, entry in registry_module.registry.snapshot().items()
            if entry.user_id == person.id]
    assert len(sids) == 1, sids
    return sids[0]
