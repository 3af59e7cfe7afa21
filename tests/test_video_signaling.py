"""Video signaling on /video (issue 5, tests level 1): who may be in a room, the waiting room,
rejoining without re-admission, message validation and floods, the socket sweeper, TURN
credentials and ending a call. Sockets are Flask-SocketIO test clients of people who signed in
through the real forms (tests/video_helpers.py)."""
import base64
import contextlib
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db, socketio
from portal.models.audit import AuditEvent
from portal.models.call import Call
from portal.models.schedule import Appointment
from portal.models.user import User
from portal.security import sessions
from portal.video import limits, signaling, turn
from portal.video import registry as registry_module
from tests.video_helpers import (
    NOTIFY,
    Participant,
    in_call,
    isolate_registry,
    isolated,
    video_appointment,
)

FINGERPRINT = "a=fingerprint:sha-256 " + ":".join(["AB"] * 32)
SDP = "\r\n".join(["v=0", "o=- 4611731400430051336 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
                   "m=video 9 UDP/TLS/RTP/SAVPF 96", FINGERPRINT, "a=setup:actpass",
                   "a=mid:0", ""])
SDES = SDP.replace("a=setup:actpass", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"
                   "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR")


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


@pytest.fixture
def appointment(client_user):
    return video_appointment(client_user, located=True)


def another_room(factories):
    """A second video appointment at the same time, with its own client and therapist."""
    other_therapist = factories.make_therapist()
    other_client = factories.make_client(other_therapist)
    return video_appointment(other_client), other_client, other_therapist


def offer(sdp=SDP):
    return {"type": "offer", "sdp": sdp}


def call_of(appointment_id):
    return db.session.scalar(select(Call).where(Call.appointment_id == appointment_id))


def audit_count(event, appointment_id):
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == event, AuditEvent.object_id == str(appointment_id)))


def assert_refused(person, appointment_id, code="not_allowed"):
    """The person's join is answered with an error event and their socket is closed."""
    assert person.connect(), "a signed-in person may connect; joining is what is refused"
    person.join(appointment_id)
    assert not person.connected
    received = person.received()
    assert [name for name, _ in received if name != "peer_left"] == ["error"]
    assert received[0][1]["code"] == code


# --- 1. who may be in a room --------------------------------------------------------------
def test_socket_without_a_portal_session_is_not_connected(app, client_user):
    anonymous = Participant(app, client_user, sign_in=False)
    assert not anonymous.connect()
    assert not anonymous.connect(NOTIFY)


@pytest.mark.parametrize("stranger", ["client_of_another_therapist",
                                      "therapist_of_another_client",
                                      "second_client_of_the_same_therapist"])
def test_people_outside_the_appointment_are_refused(app, factories, therapist, appointment,
                                                    stranger):
    if stranger == "client_of_another_therapist":
        user = factories.make_client()
    elif stranger == "therapist_of_another_client":
        user = factories.make_therapist()
        factories.make_client(user)
    else:
        user = factories.make_client(therapist)
    person = Participant(app, user)
    assert_refused(person, appointment.id)

    page = person.http.get(f"/sessions/{appointment.id}")
    assert page.status_code == 403
    assert "not open to you" in page.get_data(as_text=True)


def test_third_person_cannot_join_a_running_call(app, therapist, client_user, appointment,
                                                  other_client):
    client, clinician = in_call(app, appointment, client_user, therapist)
    third = Participant(app, other_client)
    assert_refused(third, appointment.id)
    assert client.received() == [] and clinician.received() == []
    assert clinician.emit("signal", appointment_id=appointment.id,
                          data={"type": "bye"}) == {"ok": True}
    assert third.socket.queue == []  # nothing of the call reaches the refused socket


@pytest.mark.parametrize("change", ["cancelled", "in_person"])
def test_cancelled_or_in_person_appointments_have_no_room(app, factories, therapist,
                                                           client_user, change):
    if change == "cancelled":
        appointment = video_appointment(client_user, status=AppointmentStatus.CANCELLED)
    else:
        appointment = video_appointment(client_user, kind=SessionKind.DOSING)
    for user in (client_user, therapist):
        person = Participant(app, user)
        assert_refused(person, appointment.id)
        page = person.http.get(f"/sessions/{appointment.id}")
        assert page.status_code == 403
        assert "not open to you" in page.get_data(as_text=True)


def test_client_waits_outside_until_15_minutes_before_but_therapist_may_open_early(
        app, therapist, client_user):
    appointment = video_appointment(client_user, starts_in=timedelta(minutes=20), located=True)
    client = Participant(app, client_user)
    assert_refused(client, appointment.id)
    page = client.http.get(f"/sessions/{appointment.id}")
    assert page.status_code == 403 and "not open to you" in page.get_data(as_text=True)

    clinician = Participant(app, therapist)
    assert clinician.connect()
    assert clinician.join(appointment.id) == {"ok": True, "state": "in_call"}

    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=6), tick=True):
        assert client.connect()
        assert client.join(appointment.id) == {"ok": True, "state": "waiting"}


def test_therapist_may_open_the_room_an_hour_early(app, therapist, client_user):
    appointment = video_appointment(client_user, starts_in=timedelta(hours=1))
    clinician = Participant(app, therapist)
    assert clinician.connect()
    assert clinician.join(appointment.id) == {"ok": True, "state": "in_call"}
    assert clinician.http.get(f"/sessions/{appointment.id}").status_code == 200


def test_room_closes_31_minutes_after_the_end_for_everyone(app, therapist, client_user,
                                                          appointment):
    appointment_id, ends_at = appointment.id, appointment.ends_at
    with time_machine.travel(ends_at + timedelta(minutes=29), tick=True):
        people = Participant(app, client_user), Participant(app, therapist)
        for person in people:
            assert person.connect()
            assert person.join(appointment_id)["ok"]
    with time_machine.travel(ends_at + timedelta(minutes=31), tick=True):
        for person in people:  # the next event of an open socket is refused
            person.emit("heartbeat", appointment_id=appointment_id)
            assert not person.connected
            assert "not_allowed" in person.errors()
        for user in (client_user, therapist):  # and so is a new arrival
            late = Participant(app, user)
            assert_refused(late, appointment_id)
            page = late.http.get(f"/sessions/{appointment_id}")
            assert page.status_code == 403 and "not open to you" in page.get_data(as_text=True)


def test_signing_out_closes_the_socket_and_a_new_one_is_refused(app, therapist, client_user,
                                                                appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    response = client.sign_out()
    assert response.status_code == 302
    assert not client.connected
    assert "signed_out" in client.errors()
    assert clinician.received("peer_left") == [{"role": "client"}]
    assert not client.connect()
    assert client.http.get(f"/sessions/{appointment.id}").status_code == 302  # to sign-in


def test_room_page_asks_the_client_where_they_are_first(app, therapist, client_user):
    appointment = video_appointment(client_user)
    client = Participant(app, client_user)
    page = client.http.get(f"/sessions/{appointment.id}")
    assert page.status_code == 302
    assert page.headers["Location"].endswith(f"/sessions/{appointment.id}/location")
    form = client.http.get(f"/sessions/{appointment.id}/location").get_data(as_text=True)
    from tests.conftest import csrf_from
    sent = client.http.post(f"/sessions/{appointment.id}/location", data={
        "csrf_token": csrf_from(form), "location": "Portland, Oregon", "phone": "+1 503 555 0134"})
    assert sent.status_code == 302
    assert client.http.get(f"/sessions/{appointment.id}").status_code == 200

    safety = Participant(app, therapist).http.get(f"/sessions/{appointment.id}")
    assert safety.status_code == 200
    assert "Portland, Oregon" in safety.get_data(as_text=True)


# --- 2. waiting room ----------------------------------------------------------------------
def test_waiting_client_is_not_admitted_until_therapist_admits(app, therapist, client_user,
                                                               appointment):
    appointment_id = appointment.id
    client, clinician = Participant(app, client_user), Participant(app, therapist)
    assert client.connect() and clinician.connect(NOTIFY) and clinician.connect()

    assert client.join(appointment_id) == {"ok": True, "state": "waiting"}
    assert clinician.received("client_waiting", namespace=NOTIFY) == [
        {"appointment_id": appointment_id}]
    assert clinician.join(appointment_id) == {"ok": True, "state": "in_call"}
    assert client.received("peer_joined") == [{"role": "therapist", "state": "in_call", "media": False}]
    client.emit("announce", appointment_id=appointment_id)  # the room page does this
    assert clinician.received("peer_joined") == [{"role": "client", "state": "waiting", "media": False}]

    # still waiting after the therapist arrived: nothing passes either way
    client.emit("signal", appointment_id=appointment_id, data=offer())
    client.emit("chat", appointment_id=appointment_id, text="hello?")
    assert client.errors() == ["not_admitted", "not_admitted"]
    clinician.emit("signal", appointment_id=appointment_id, data=offer())
    assert clinician.errors() == ["not_admitted"]
    assert clinician.received() == [] and client.received() == []
    assert client.connected  # waiting is not a reason to drop the socket
    assert not call_of(appointment_id).admitted

    assert clinician.emit("admit", appointment_id=appointment_id) == {"ok": True}
    assert client.received("admitted") == [{}] and clinician.received("admitted") == [{}]
    assert client.emit("signal", appointment_id=appointment_id, data=offer()) == {"ok": True}
    assert clinician.received("signal") == [{"from": "client", "data": offer()}]


def test_client_arriving_after_the_therapist_also_waits(app, therapist, client_user,
                                                        appointment):
    clinician, client = Participant(app, therapist), Participant(app, client_user)
    assert clinician.connect() and client.connect()
    assert clinician.join(appointment.id)["state"] == "in_call"
    assert client.join(appointment.id) == {"ok": True, "state": "waiting"}
    assert clinician.received("peer_joined") == [{"role": "client", "state": "waiting", "media": False}]
    assert client.received("joined")[0]["state"] == "waiting"


def test_only_the_therapist_can_admit(app, therapist, client_user, appointment):
    client = Participant(app, client_user)
    assert client.connect() and client.join(appointment.id)["state"] == "waiting"
    client.emit("admit", appointment_id=appointment.id)
    assert "not_allowed" in client.errors() and not client.connected
    assert not call_of(appointment.id).admitted


def test_therapist_can_send_the_client_back_to_the_waiting_room(app, therapist, client_user,
                                                                appointment):
    appointment_id = appointment.id
    client, clinician = in_call(app, appointment, client_user, therapist)
    assert clinician.emit("send_back", appointment_id=appointment_id) == {"ok": True}
    assert client.received("sent_back") == [{}] and clinician.received("sent_back") == [{}]
    client.emit("signal", appointment_id=appointment_id, data=offer())
    assert client.errors() == ["not_admitted"] and clinician.received("signal") == []

    client.disconnect()  # and a reload does not get the client back in either
    assert client.connect() and client.join(appointment_id)["state"] == "waiting"


def test_other_therapists_are_not_alerted(app, client_user, appointment, other_therapist):
    other = Participant(app, other_therapist)
    assert other.connect(NOTIFY)
    client = Participant(app, client_user)
    assert client.connect() and client.join(appointment.id)["state"] == "waiting"
    assert other.received(namespace=NOTIFY) == []


# --- 3. rejoining ---------------------------------------------------------------------------
def test_a_rejoin_says_whether_its_call_stayed_connected(app, therapist, client_user,
                                                         appointment):
    """A client whose socket dropped while its call stayed up says so (`media`): the therapist's
    page keeps that call. Only a real true is passed on; anything else reads as false."""
    appointment_id = appointment.id
    client, clinician = in_call(app, appointment, client_user, therapist)
    client.disconnect()
    assert client.connect()
    assert client.join(appointment_id, media=True) == {"ok": True, "state": "in_call"}
    assert clinician.received("peer_joined") == [{"role": "client", "state": "in_call",
                                                  "media": True}]
    client.emit("announce", appointment_id=appointment_id, media="yes")
    client.emit("announce", appointment_id=appointment_id, media=True)
    assert clinician.received("peer_joined") == [
        {"role": "client", "state": "in_call", "media": False},
        {"role": "client", "state": "in_call", "media": True}]


def test_reconnecting_client_goes_back_into_the_call_without_readmission(
        app, therapist, client_user, appointment):
    appointment_id, client_id, therapist_id = appointment.id, client_user.id, therapist.id
    client, clinician = in_call(app, appointment, client_user, therapist)
    client.disconnect()
    assert clinician.received("peer_left") == [{"role": "client"}]

    assert client.connect()  # a new socket: reload or network change
    assert client.join(appointment_id) == {"ok": True, "state": "in_call"}
    assert clinician.received("peer_joined") == [{"role": "client", "state": "in_call", "media": False}]
    assert client.emit("signal", appointment_id=appointment_id,
                       data=offer() | {"restart": True}) == {"ok": True}
    assert clinician.received("signal")[0]["data"]["restart"] is True

    call = call_of(appointment_id)
    assert call.reconnections == 1
    kinds = [(e.user_id, e.kind) for e in call.events]
    assert kinds == [(therapist_id, "join"), (client_id, "join"), (therapist_id, "admit"),
                     (client_id, "leave"), (client_id, "rejoin")]
    assert audit_count("call_join", appointment_id) == 3
    assert audit_count("call_admit", appointment_id) == 1


def test_rejoin_after_a_server_restart_is_rebuilt_from_the_database(
        app, monkeypatch, therapist, client_user, appointment):
    appointment_id = appointment.id
    client, clinician = in_call(app, appointment, client_user, therapist)
    isolate_registry(monkeypatch)  # the new process knows no sockets
    for person in (client, clinician):
        assert person.connect()
    assert clinician.join(appointment_id)["state"] == "in_call"
    assert client.join(appointment_id)["state"] == "in_call"
    assert call_of(appointment_id).reconnections == 2


# --- 4. signaling validation ----------------------------------------------------------------
@pytest.mark.parametrize(("data", "code"), [
    (offer(SDP.replace(FINGERPRINT + "\r\n", "")), "no_fingerprint"),
    (offer(SDES), "sdes_refused"),
    (offer(SDP + "a=x-padding:" + "x" * (16 * 1024) + "\r\n"), "too_large"),
    ({"type": "renegotiate", "sdp": SDP}, "bad_type"),
    ({"type": "answer", "sdp": "hello"}, "bad_sdp"),
    ("offer", "bad_message"),
])
def test_bad_signals_are_refused_and_not_relayed(app, therapist, client_user, appointment,
                                                 data, code):
    client, clinician = in_call(app, appointment, client_user, therapist)
    client.emit("signal", appointment_id=appointment.id, data=data)
    assert client.errors() == [code]
    assert clinician.received() == []
    assert client.connected  # a bad message is answered, the call goes on


class Clock:
    """The rate limiter's monotonic clock, moved only by the test: the burst happens at one
    instant (a token bucket refills continuously, so a loaded machine would otherwise refill
    a few tokens during the 50 messages)."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


def test_a_flood_is_rate_limited_and_other_rooms_keep_working(app, monkeypatch, factories,
                                                              therapist, client_user,
                                                              appointment):
    clock = Clock()
    monkeypatch.setattr(limits, "time", clock)
    a_client, a_therapist = in_call(app, appointment, client_user, therapist)
    other, other_client, other_therapist = another_room(factories)
    b_client, b_therapist = in_call(app, other, other_client, other_therapist)
    a_id, b_id = appointment.id, other.id
    candidate = {"type": "candidate", "candidate": {
        "candidate": "candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host",
        "sdpMid": "0", "sdpMLineIndex": 0}}

    acks = []
    for n in range(50):  # 50 signals within half a second
        acks.append(a_client.emit("signal", appointment_id=a_id, data=candidate))
        if n % 10 == 9:  # the other room talks in the middle of the flood
            assert b_client.emit("signal", appointment_id=b_id, data=candidate) == {"ok": True}
            assert b_therapist.emit("signal", appointment_id=b_id,
                                    data={"type": "bye"}) == {"ok": True}

    assert acks.count({"ok": True}) == 40
    assert a_client.errors() == ["rate_limited"] * 10
    assert len(a_therapist.received("signal")) == 40
    assert a_client.connected
    assert len(b_therapist.received("signal")) == 5 and len(b_client.received("signal")) == 5
    assert b_client.errors() == [] and b_therapist.errors() == []
    # one socket's flood does not limit the other participant of its room
    assert a_therapist.emit("signal", appointment_id=a_id, data={"type": "bye"}) == {"ok": True}
    # and once the window has passed, the socket may signal again
    clock.now += 5
    assert a_client.emit("signal", appointment_id=a_id, data=candidate) == {"ok": True}


def test_chat_stays_in_its_room(app, factories, therapist, client_user, appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    other, other_client, other_therapist = another_room(factories)
    outsider, outsider_therapist = in_call(app, other, other_client, other_therapist)

    assert client.emit("chat", appointment_id=appointment.id, text="Can you hear me?")["ok"]
    for person in (client, clinician):
        [line] = person.received("chat")
        assert line["from"] == "client" and line["text"] == "Can you hear me?"
    assert outsider.received() == [] and outsider_therapist.received() == []

    # a participant of another room cannot post into this one either
    outsider.emit("chat", appointment_id=appointment.id, text="hi")
    assert "not_allowed" in outsider.errors()
    assert client.received("chat") == [] and clinician.received("chat") == []


@pytest.mark.parametrize(("length", "accepted"), [(2000, True), (2001, False)])
def test_chat_lines_are_at_most_2000_characters(app, therapist, client_user, appointment,
                                                length, accepted):
    client, clinician = in_call(app, appointment, client_user, therapist)
    clinician.emit("chat", appointment_id=appointment.id, text="x" * length)
    assert len(client.received("chat")) == (1 if accepted else 0)
    assert clinician.errors() == ([] if accepted else ["bad_chat"])


# --- 5. sweeper ------------------------------------------------------------------------------
def sweep(app):
    def run():
        with app.app_context():
            return registry_module.sweep_once()
    return isolated(run)


def test_sweeper_closes_sockets_of_revoked_sessions(app, therapist, client_user, appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    sessions.revoke_all(db.session.get(User, client.id), "password_changed")  # elsewhere
    db.session.commit()
    sweep(app)
    assert not client.connected and client.errors() == ["signed_out"]
    assert clinician.connected
    assert clinician.received("peer_left") == [{"role": "client"}]
    assert not client.connect()


def test_sweeper_closes_the_room_of_a_cancelled_appointment(app, factories, therapist,
                                                            client_user, appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    bystander, _ = in_call(app, *another_room(factories))
    db.session.get(Appointment, appointment.id).status = AppointmentStatus.CANCELLED.value
    db.session.commit()
    sweep(app)
    for person in (client, clinician):
        assert not person.connected and "room_closed" in person.errors()
    assert bystander.connected


def test_sweeper_closes_sockets_after_the_idle_timeout(app, therapist, client_user,
                                                       appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=31), tick=True):
        sweep(app)
    for person in (client, clinician):
        assert not person.connected and person.errors() == ["signed_out"]


class Stop(BaseException):
    pass


def test_background_sweeper_sweeps_with_the_latest_app(monkeypatch):
    """One sweeper per process; a later app (a test run builds many) takes it over, since the
    registry's sockets belong to the server of the latest app."""
    tasks, swept = [], []

    class FakeApp:
        def __init__(self, name):
            self.name = name

        def app_context(self):
            swept.append(self.name)
            return contextlib.nullcontext()

    def sleep(seconds):
        if swept:
            raise Stop

    monkeypatch.setattr(socketio, "start_background_task", lambda task: tasks.append(task) or task)
    monkeypatch.setattr(socketio, "sleep", sleep)
    monkeypatch.setattr(registry_module, "sweep_once", lambda: None)
    registry = registry_module.Registry()
    registry.start_sweeper(FakeApp("first"))
    registry.start_sweeper(FakeApp("latest"))
    [task] = tasks
    with pytest.raises(Stop):
        task()
    assert swept == ["latest"]


# --- 6. TURN credentials ----------------------------------------------------------------------
TURN = {"TURN_URLS": ["turn:turn.example.com:3478"], "TURN_SECRET": "s3cret"}


@pytest.mark.parametrize("app_config", [TURN])
def test_participants_get_turn_credentials_expiring_at_the_appointment_end(
        app, factories, therapist, client_user, appointment):
    expiry = int((appointment.ends_at + timedelta(minutes=30)).timestamp())
    for user in (client_user, therapist):
        person = Participant(app, user)
        assert person.connect() and person.join(appointment.id)["ok"]
        [joined] = person.received("joined")
        [server] = joined["ice_servers"]
        assert server["urls"] == ["turn:turn.example.com:3478"]
        assert server["username"] == f"{expiry}:{person.id}"
        digest = hmac.new(b"s3cret", server["username"].encode(), hashlib.sha1).digest()
        assert server["credential"] == base64.b64encode(digest).decode()

    stranger = Participant(app, factories.make_client())
    assert stranger.connect()
    stranger.join(appointment.id)
    assert "s3cret" not in repr(stranger.socket.queue)
    assert not any("ice_servers" in repr(e["args"]) for e in stranger.socket.queue)


def test_without_turn_the_call_uses_no_ice_servers(app, therapist, client_user, appointment):
    person = Participant(app, client_user)
    assert person.connect() and person.join(appointment.id)["ok"]
    assert person.received("joined")[0]["ice_servers"] == []


def test_turn_credentials_follow_the_coturn_rest_scheme():
    expires = datetime(2030, 5, 1, 12, 30, tzinfo=UTC)
    username, password = turn.credentials("s3cret", 42, expires)
    assert username == f"{int(expires.timestamp())}:42" == "1903869000:42"
    expected = hmac.new(b"s3cret", b"1903869000:42", hashlib.sha1).digest()
    assert base64.b64decode(password) == expected
    assert turn.credentials("other", 42, expires)[1] != password


# --- signaling.parse -------------------------------------------------------------------------
@pytest.mark.parametrize("message", [
    offer(),
    {"type": "answer", "sdp": SDP.replace("\r\n", "\n")},
    {"type": "candidate", "candidate": {"candidate": "candidate:1 1 udp 1 10.0.0.1 9 typ host",
                                        "sdpMid": "0", "sdpMLineIndex": 0}},
    {"type": "bye"},
])
def test_parse_accepts_the_four_message_types(message):
    assert signaling.parse(message).to_wire() == message


def test_end_of_candidates_is_a_candidate_without_one():
    assert signaling.parse({"type": "candidate", "candidate": None}).to_wire() == {
        "type": "candidate"}


def test_parse_keeps_only_known_fields():
    parsed = signaling.parse({"type": "candidate", "candidate": {
        "candidate": "candidate:1", "sdpMid": "0", "evil": "<script>"}, "to": "everyone"})
    assert parsed.to_wire() == {"type": "candidate",
                                "candidate": {"candidate": "candidate:1", "sdpMid": "0"}}
    assert signaling.parse(offer() | {"restart": 1}).to_wire() == offer() | {"restart": True}


@pytest.mark.parametrize(("message", "code"), [
    (None, "bad_message"),
    (["offer"], "bad_message"),
    ({"type": "offer", "sdp": {1}}, "bad_message"),
    ({"type": "offer"}, "bad_sdp"),
    ({"type": "offer", "sdp": "o=- 1 2 IN IP4 0.0.0.0"}, "bad_sdp"),
    (offer(SDP.replace(FINGERPRINT, "a=fingerprint-missing")), "no_fingerprint"),
    (offer(SDES), "sdes_refused"),
    (offer(SDES.replace(FINGERPRINT + "\r\n", "")), "sdes_refused"),
    ({"type": "offer", "sdp": SDP + "x" * (16 * 1024)}, "too_large"),
    ({"type": "candidate", "candidate": "candidate:1"}, "bad_candidate"),
    ({"type": "candidate", "candidate": {"candidate": 5}}, "bad_candidate"),
    ({"type": "candidate", "candidate": {"candidate": "c" * 1025}}, "too_large"),
    ({"type": "Offer", "sdp": SDP}, "bad_type"),
    ({}, "bad_type"),
])
def test_parse_refuses(message, code):
    with pytest.raises(signaling.SignalError) as refused:
        signaling.parse(message)
    assert refused.value.code == code


# --- 7. ending ----------------------------------------------------------------------------------
def test_therapist_ends_the_call_and_marks_the_session_completed(app, therapist, client_user,
                                                                 appointment):
    appointment_id = appointment.id
    with time_machine.travel(appointment.starts_at + timedelta(minutes=1), tick=True):
        client, clinician = in_call(app, appointment, client_user, therapist)
        ack = clinician.emit("end", appointment_id=appointment_id, completed=True)
    assert ack == {"ok": True}
    assert client.received("ended") == [{}] and clinician.received("ended") == [{}]
    assert db.session.get(Appointment, appointment_id).status == "completed"
    assert call_of(appointment_id).ended_at is not None
    assert audit_count("call_end", appointment_id) == 1
    assert audit_count("appointment_completed", appointment_id) == 1


def test_a_session_cannot_be_marked_completed_before_it_starts(app, therapist, client_user,
                                                               appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    ack = clinician.emit("end", appointment_id=appointment.id, completed=True)
    assert ack["ok"] is False and "started" in ack["message"]
    assert client.received("ended") == [{}]
    assert db.session.get(Appointment, appointment.id).status == "booked"


def test_only_the_therapist_can_end_the_call(app, therapist, client_user, appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    client.emit("end", appointment_id=appointment.id, completed=True)
    assert "not_allowed" in client.errors() and not client.connected
    assert clinician.received() == [("peer_left", {"role": "client"})]  # not "ended"
    call = call_of(appointment.id)
    assert call.ended_at is None
    assert [e.kind for e in call.events if e.user_id == client.id] == ["join", "leave"]
