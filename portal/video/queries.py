"""What other areas and pages may read about video calls: who has a room open right now."""
from flask import current_app, url_for
from sqlalchemy import select

from portal.core.vocabulary import RoomState
from portal.extensions import db
from portal.models.call import Call
from portal.models.schedule import Appointment
from portal.models.user import User
from portal.video import presence
from portal.video import registry as registry_module


def _present(therapist_ids):
    """Appointment ids whose client has the room open on any server process (presence.py)."""
    by_therapist = presence.present(current_app, therapist_ids, registry_module.registry)
    return set().union(*by_therapist.values())


def waiting_states(therapist_id, appointments):
    """{appointment id: "waiting" | "in_call"} for those of the therapist's `appointments` (rows
    with an `id`) whose client has the room open right now, on any server process (the page
    then follows the /notify alerts)."""
    ids = {a.id for a in appointments}
    present = _present([therapist_id]) & ids if ids else set()
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
    """The therapist's clients in a waiting room now, on any server process, oldest appointment
    first: [{appointment_id, first_name, url}] (what the therapist already sees on the
    dashboard). The query keeps only this therapist's appointments not yet admitted."""
    present = _present([therapist_id])
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
