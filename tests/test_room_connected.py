"""The call's first connection (issue 11 §3, §4): `Call.first_connected_at` is written once when
a page reports its peer connection "connected", sent back on every join (the timer survives
reloads), and from then on the session counts as started, so ending an early call may mark
it completed."""
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.call import Call
from portal.models.schedule import Appointment
from tests.conftest import Auth
from tests.video_helpers import Participant, in_call, isolate_registry, video_appointment


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


@pytest.fixture
def appointment(client_user):
    return video_appointment(client_user, located=True)  # starts in 5 minutes


def stored(appointment_id):
    return db.session.scalar(select(Call.first_connected_at).where(
        Call.appointment_id == appointment_id))


def audits(event, appointment_id):
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == event, AuditEvent.object_id == str(appointment_id)))


def test_first_connection_is_written_once_and_announced_once(app, therapist, client_user,
                                                              appointment):
    appointment_id = appointment.id
    client, clinician = in_call(app, appointment, client_user, therapist)
    assert stored(appointment_id) is None

    first = client.emit("connected", appointment_id=appointment_id)
    assert first["ok"] is True
    at = datetime.fromisoformat(first["first_connected_at"])
    assert at.utcoffset() == timedelta(0)  # ISO, UTC
    assert stored(appointment_id) == at
    for person in (client, clinician):
        assert person.received("call_connected") == [{"first_connected_at": at.isoformat()}]

    # the other side reports its own "connected", a reload reports it again: nothing changes
    assert clinician.emit("connected", appointment_id=appointment_id) == first
    assert client.emit("connected", appointment_id=appointment_id) == first
    assert stored(appointment_id) == at
    assert client.received("call_connected") == [] and clinician.received("call_connected") == []
    assert audits("call_connected", appointment_id) == 1


def test_join_returns_the_first_connection_so_the_timer_survives_a_reload(
        app, therapist, client_user, appointment):
    appointment_id = appointment.id
    client, clinician = in_call(app, appointment, client_user, therapist)
    assert client.received("joined") == []
    at = client.emit("connected", appointment_id=appointment_id)["first_connected_at"]

    client.disconnect()  # reload
    assert client.connect() and client.join(appointment_id)["state"] == "in_call"
    [joined] = client.received("joined")
    assert joined["first_connected_at"] == at

    clinician.emit("send_back", appointment_id=appointment_id)  # and after a send-back
    clinician.disconnect()
    assert clinician.connect() and clinician.join(appointment_id)["ok"]
    assert clinician.received("joined")[0]["first_connected_at"] == at


def test_joined_says_null_before_any_connection(app, therapist, appointment):
    clinician = Participant(app, therapist)
    assert clinician.connect() and clinician.join(appointment.id)["ok"]
    assert clinician.received("joined")[0]["first_connected_at"] is None


def test_a_waiting_client_cannot_start_the_clock(app, therapist, client_user, appointment):
    appointment_id = appointment.id
    client, clinician = Participant(app, client_user), Participant(app, therapist)
    assert client.connect() and clinician.connect()
    clinician.join(appointment_id)
    assert client.join(appointment_id)["state"] == "waiting"
    clinician.received()
    assert client.emit("connected", appointment_id=appointment_id) == {
        "ok": False, "code": "not_admitted"}
    assert client.errors() == [] and client.connected
    assert clinician.received("call_connected") == []
    assert stored(appointment_id) is None
    # positive control: once admitted, the same event is stored
    clinician.emit("admit", appointment_id=appointment_id)
    assert client.emit("connected", appointment_id=appointment_id)["ok"] is True
    assert stored(appointment_id) is not None


def test_a_stranger_cannot_mark_a_call_connected(app, factories, appointment):
    stranger = Participant(app, factories.make_client())
    assert stranger.connect()
    assert not stranger.emit("connected", appointment_id=appointment.id)
    assert "not_allowed" in stranger.errors() and not stranger.connected
    assert stored(appointment.id) is None


def test_an_early_call_that_connected_can_be_marked_completed(app, therapist, client_user,
                                                              appointment):
    appointment_id = appointment.id  # starts in 5 minutes: the call began early
    client, clinician = in_call(app, appointment, client_user, therapist)
    client.emit("connected", appointment_id=appointment_id)
    assert clinician.emit("end", appointment_id=appointment_id, completed=True) == {"ok": True}
    assert db.session.get(Appointment, appointment_id).status == "completed"
    assert audits("appointment_completed", appointment_id) == 1


def test_an_early_call_that_never_connected_still_cannot_be_marked_completed(
        app, therapist, client_user, appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    ack = clinician.emit("end", appointment_id=appointment.id, completed=True)
    assert ack["ok"] is False and "started" in ack["message"]
    assert db.session.get(Appointment, appointment.id).status == "booked"


@pytest.mark.parametrize("connected", [True, False])
def test_the_calendar_marks_an_early_connected_call_completed_too(
        app, therapist, client_user, appointment, connected):
    appointment_id = appointment.id
    client, clinician = in_call(app, appointment, client_user, therapist)
    if connected:
        client.emit("connected", appointment_id=appointment_id)
    auth = Auth(clinician.http)
    response = auth.post(f"/therapist/appointments/{appointment_id}/status",
                         {"status": "completed"}, form_path="/therapist/calendar")
    assert response.status_code == 302
    db.session.expire_all()
    status = db.session.get(Appointment, appointment_id).status
    assert status == ("completed" if connected else "booked")
