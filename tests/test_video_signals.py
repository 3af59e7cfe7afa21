"""Video's reactions to `appointment_changed` (portal/core/signals.py), sent as scheduling
sends it: sender the app, after the commit, in the sender's request. A cancelled or moved
session closes this process's sockets of whoever the room no longer admits and drops the room's
grants; a new booking is announced live to the therapist's open pages. And video's own
`admission_changed`, sent after admit, send back, leave and end."""
import contextvars
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from portal.core.signals import admission_changed, appointment_changed
from portal.core.vocabulary import AppointmentStatus
from portal.extensions import db, socketio
from portal.models.call import Call
from portal.models.schedule import Appointment
from portal.video import registry as registry_module
from portal.video.notify import user_room
from tests.video_helpers import (
    NOTIFY,
    Participant,
    in_call,
    isolate_registry,
    video_appointment,
)

BYE = {"type": "bye"}


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


@pytest.fixture
def people(factories):
    therapist = factories.make_therapist()
    return therapist, factories.make_client(therapist)


def changed(app, appointment_id, change, **values):
    """Write `values` to the appointment, commit, then send the signal from a request of its
    own, as a view of scheduling would."""
    if values:
        db.session.execute(update(Appointment).where(Appointment.id == appointment_id)
                           .values(**values))
    db.session.commit()

    def send():
        with app.test_request_context():
            appointment = db.session.get(Appointment, appointment_id)
            appointment_changed.send(app, appointment=appointment, change=change, message=None)
    contextvars.Context().run(send)
    db.session.expire_all()


def grants_of(appointment_id):
    return [entry.grant for entry in registry_module.registry.snapshot().values()
            if entry.appointment_id == appointment_id]


def test_a_cancelled_session_closes_its_room_at_once(app, people, factories):
    therapist, client_user = people
    appointment = video_appointment(client_user)
    client, clinician = in_call(app, appointment, client_user, therapist)
    other_therapist = factories.make_therapist()
    other_client = factories.make_client(other_therapist)
    bystander, _ = in_call(app, video_appointment(other_client), other_client, other_therapist)

    changed(app, appointment.id, "cancelled", status=AppointmentStatus.CANCELLED.value)
    for person in (client, clinician):
        assert not person.connected and "room_closed" in person.errors()
    assert bystander.connected and bystander.errors() == []


def test_a_session_moved_to_later_today_closes_the_room_for_the_client_only(app, people):
    therapist, client_user = people
    appointment = video_appointment(client_user)
    client, clinician = in_call(app, appointment, client_user, therapist)
    later = timedelta(hours=3)  # the client's room opens 15 minutes before, the therapist's 12 h

    changed(app, appointment.id, "rescheduled", starts_at=appointment.starts_at + later,
            ends_at=appointment.ends_at + later)
    assert not client.connected and client.errors() == ["room_closed"]
    assert clinician.connected and clinician.errors() == []
    assert grants_of(appointment.id) == [None]  # the therapist's next event is checked again


def test_a_small_move_keeps_both_in_the_room_and_drops_the_grants(app, people):
    therapist, client_user = people
    appointment = video_appointment(client_user)
    client, clinician = in_call(app, appointment, client_user, therapist)
    for person in (client, clinician):
        assert person.emit("signal", appointment_id=appointment.id, data=BYE) == {"ok": True}
    assert None not in grants_of(appointment.id)

    changed(app, appointment.id, "rescheduled",
            starts_at=appointment.starts_at + timedelta(minutes=5))
    assert client.connected and clinician.connected
    assert grants_of(appointment.id) == [None, None]
    assert client.emit("signal", appointment_id=appointment.id, data=BYE) == {"ok": True}


def test_a_booking_is_announced_to_the_therapist_only(app, people, factories):
    therapist, client_user = people
    clinician, client = Participant(app, therapist), Participant(app, client_user)
    other = Participant(app, factories.make_therapist())
    for person in (clinician, client, other):
        assert person.connect(NOTIFY)
    appointment = video_appointment(client_user, starts_in=timedelta(days=3))

    changed(app, appointment.id, "booked")
    assert clinician.received(namespace=NOTIFY) == [
        ("appointment_booked", {"appointment_id": appointment.id})]
    assert client.received(namespace=NOTIFY) == [] and other.received(namespace=NOTIFY) == []


@pytest.mark.parametrize("change", ["rescheduled", "cancelled"])
def test_only_a_booking_is_announced(app, people, change):
    therapist, client_user = people
    clinician = Participant(app, therapist)
    assert clinician.connect(NOTIFY)
    appointment = video_appointment(client_user, starts_in=timedelta(days=3))
    changed(app, appointment.id, change)
    assert clinician.received(namespace=NOTIFY) == []


def test_a_lost_live_notice_logs_only_the_error_type(app, people, monkeypatch, caplog):
    therapist, client_user = people
    appointment = video_appointment(client_user, starts_in=timedelta(days=3))

    def broken(*args, **kwargs):
        raise ConnectionError("redis://secret@queue refused")
    monkeypatch.setattr(socketio, "emit", broken)
    with caplog.at_level(logging.ERROR):
        changed(app, appointment.id, "booked")  # the booking stands: nothing is raised
    assert f"appointment={appointment.id} error=ConnectionError" in caplog.text
    assert "secret" not in caplog.text


def test_a_room_that_cannot_be_closed_logs_only_the_error_type(app, people, monkeypatch,
                                                                caplog):
    therapist, client_user = people
    appointment = video_appointment(client_user)
    in_call(app, appointment, client_user, therapist)

    def broken(*args, **kwargs):
        raise ConnectionError("redis://secret@queue refused")
    monkeypatch.setattr(socketio, "emit", broken)
    with caplog.at_level(logging.ERROR):  # the cancellation stands: nothing is raised
        changed(app, appointment.id, "cancelled", status=AppointmentStatus.CANCELLED.value)
    assert f"appointment={appointment.id} error=ConnectionError" in caplog.text
    assert "secret" not in caplog.text


def test_admission_changes_are_announced_after_the_commit(app, people):
    therapist, client_user = people
    appointment = video_appointment(client_user)
    client, clinician = in_call(app, appointment, client_user, therapist)
    heard = []

    def receiver(sender, appointment_id):
        with db.engine.connect() as conn:  # its own connection: sees committed rows only
            admitted = conn.execute(select(Call.client_admitted_at).where(
                Call.appointment_id == appointment_id)).scalar() is not None
        heard.append((sender, appointment_id, admitted))
    with admission_changed.connected_to(receiver):
        assert clinician.emit("send_back", appointment_id=appointment.id) == {"ok": True}
        assert clinician.emit("admit", appointment_id=appointment.id) == {"ok": True}
        client.emit("leave", appointment_id=appointment.id)
        assert clinician.emit("end", appointment_id=appointment.id) == {"ok": True}
    assert heard == [(app, appointment.id, admitted) for admitted in (False, True, True, False)]


def test_the_notify_room_is_named_once():
    assert user_room(7) == "user-7" == user_room("7")
