"""What other areas may read about video calls: who has a room open right now."""
from sqlalchemy import select

from portal.core.vocabulary import RoomState
from portal.extensions import db
from portal.models.call import Call
from portal.video.registry import registry


def waiting_states(appointments):
    """{appointment id: "waiting" | "in_call"} for sessions whose client has the room open in
    this process right now (the page then follows the /notify alerts)."""
    ids = {a.id for a in appointments}
    present = {entry.appointment_id for entry in registry.snapshot().values()
               if entry.role == "client" and entry.appointment_id in ids}
    if not present:
        return {}
    admitted = set(db.session.scalars(select(Call.appointment_id).where(
        Call.appointment_id.in_(present), Call.client_admitted_at.is_not(None))))
    return {i: RoomState.IN_CALL if i in admitted else RoomState.WAITING for i in present}
