"""What other areas and pages may read about video calls: who has a room open right now."""
from flask import url_for
from sqlalchemy import select

from portal.core.vocabulary import RoomState
from portal.extensions import db
from portal.models.call import Call
from portal.models.schedule import Appointment
from portal.models.user import User
from portal.video import registry as registry_module


def waiting_states(appointments):
    """{appointment id: "waiting" | "in_call"} for sessions whose client has the room open in
    this process right now (the page then follows the /notify alerts)."""
    ids = {a.id for a in appointments}
    present = {entry.appointment_id for entry in registry_module.registry.snapshot().values()
               if entry.role == "client" and entry.appointment_id in ids}
    if not present:
        return {}
    admitted = set(db.session.scalars(select(Call.appointment_id).where(
        Call.appointment_id.in_(present), Call.client_admitted_at.is_not(None))))
    return {i: RoomState.IN_CALL if i in admitted else RoomState.WAITING for i in present}


def first_connected_at(appointment_id):
    """When the appointment's video call first connected, or None (the session may count as
    started from then: scheduling.set_outcome)."""
    return db.session.scalar(select(Call.first_connected_at).where(
        Call.appointment_id == appointment_id))


def waiting_for(therapist_id):
    """The therapist's clients in a waiting room of this process now, oldest appointment first:
    [{appointment_id, first_name, url}] (what the therapist already sees on the dashboard)."""
    present = {entry.appointment_id for entry in registry_module.registry.snapshot().values()
               if entry.role == "client" and entry.therapist_id == therapist_id
               and entry.appointment_id is not None}
    if not present:
        return []
    rows = db.session.execute(
        select(Appointment.id, User.name)
        .join(User, User.id == Appointment.client_id)
        .outerjoin(Call, Call.appointment_id == Appointment.id)
        .where(Appointment.id.in_(present), Appointment.therapist_id == therapist_id,
               Call.client_admitted_at.is_(None))
        .order_by(Appointment.starts_at, Appointment.id))
    return [{"appointment_id": appointment_id, "first_name": (name or "").split(" ")[0],
             "url": url_for("video.room", appointment_id=appointment_id)}
            for appointment_id, name in rows]
