"""The therapist's safety panel: where the client is for this session, how to reach them, their
emergency contact (from the intake) and the emergency numbers of the country they are in
(portal/core/emergency.py).

The room page renders it once; the live copy is the `safety` event on /video, sent only to the
therapist's sockets of the room (their own Socket.IO room, `therapist_room`): when the therapist
joins, and whenever the client confirms or changes their location. Each sending is audited.
"""
from portal.core.emergency import emergency_for
from portal.extensions import socketio
from portal.intake.services import intake_for
from portal.security.audit import record
from portal.video import access

NS = "/video"


def therapist_room(appointment_id):
    """The Socket.IO room of the therapist's sockets in an appointment's room (the client's
    sockets are never in it)."""
    return f"{access.room_name(appointment_id)}:therapist"


def _iso(value):
    return value.isoformat() if value is not None else None


def panel(appointment, call):
    """The `safety` payload (/work/briefs/room-contract.md); PHI, for the therapist only."""
    intake = intake_for(appointment.client, create=False)
    about = intake.answers("about") if intake else {}
    contact = {key: about.get(f"emergency_{key}") or None for key in ("name", "relation", "phone")}
    return {"appointment_id": appointment.id, "confirmed_at": _iso(call.location_confirmed_at),
            "location": call.client_location, "phone": call.client_phone,
            "emergency_contact": contact if any(contact.values()) else None,
            "emergency": emergency_for(call.client_country)}


def prepare(appointment, call, actor, event="safety_panel_viewed"):
    """The payload, with its audit record added to the caller's transaction; read before the
    commit, sent after it (send)."""
    record(event, actor=actor, obj=("appointment", appointment.id))
    return panel(appointment, call)


def send(payload, to=None):
    """Emit a prepared panel: to one socket (`to`, the therapist who just joined) or to the
    therapist's sockets of the room."""
    socketio.emit("safety", payload, namespace=NS,
                  to=to or therapist_room(payload["appointment_id"]),
                  ignore_queue=to is not None)  # a socket of this process: no queue needed
