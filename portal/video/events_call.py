"""Socket.IO events of a call in progress on /video: admit, send back, connected, leave, end.

Each one re-checks the sender against the database (handlers.participant_room), writes the call
record and its audit row in one transaction, then tells the room. Changes of who waits go to
the therapist's pages on /notify (notify.waiting_notice, read before the commit).
"""
from datetime import UTC, datetime

from flask import current_app, request
from flask_login import current_user
from flask_socketio import emit, leave_room

from portal.core.signals import admission_changed
from portal.core.vocabulary import Role, RoomState
from portal.extensions import db
from portal.models.call import CallEvent
from portal.scheduling import services as booking
from portal.security.audit import record
from portal.video import access, notify, presence, safety
from portal.video import registry as registry_module
from portal.video.handlers import Refused, guarded, participant_room


def iso(value):
    return value.isoformat() if value is not None else None


def state_of(role, call):
    """Where a participant stands: the therapist is always in the call, the client once admitted."""
    return RoomState.IN_CALL if role == Role.THERAPIST or call.admitted else RoomState.WAITING


def log(call, kind, audit_event=None):
    db.session.add(CallEvent(call=call, user_id=current_user.id, kind=kind))
    if audit_event:
        record(audit_event, actor=current_user, obj=("appointment", call.appointment_id),
               detail=kind)


def _settle(appointment, call, kind, audit_event, event, payload=None):
    """Record `kind` (a call event and its audit row `audit_event`), commit, announce `admission_changed`
    (after the commit: the room's grants are dropped and a re-check must see the change), tell
    everyone in the room, then update the therapist's waiting count (every event here may
    change who waits). The count is read before the commit, in the same transaction, and before
    the audit row, whose chain lock is held until the commit."""
    appointment_id, therapist_id = appointment.id, appointment.therapist_id
    waiting = notify.waiting_notice(therapist_id)
    log(call, kind, audit_event)
    db.session.commit()
    admission_changed.send(current_app._get_current_object(), appointment_id=appointment_id)
    emit(event, payload or {}, to=access.room_name(appointment_id))
    notify.send_waiting(therapist_id, waiting)


def _therapist_only(appointment):
    if current_user.id != appointment.therapist_id:
        raise Refused("not_allowed", "Only the therapist can do this.")


@guarded
def on_admit(message):
    """Sent by the therapist to let the waiting client into the call."""
    appointment, call, _ = participant_room(message)
    _therapist_only(appointment)
    call.client_admitted_at = datetime.now(UTC)
    _settle(appointment, call, "admit", "call_admit", "admitted")
    return {"ok": True}


@guarded
def on_send_back(message):
    """Sent by the therapist to return the client to the waiting room."""
    appointment, call, _ = participant_room(message)
    _therapist_only(appointment)
    call.client_admitted_at = None
    _settle(appointment, call, "send_back", "call_send_back", "sent_back")
    return {"ok": True}


@guarded
def on_connected(message):
    """Sent by a participant's page when its peer connection reaches "connected": the first one
    of the call is stored (the timer counts from it; the session now counts as started) and
    the room gets `call_connected`. Idempotent; refused quietly while the client waits."""
    appointment, call, _ = participant_room(message)
    if not call.admitted:
        db.session.commit()
        return {"ok": False, "code": "not_admitted"}
    first = call.mark_connected(datetime.now(UTC))
    if first:
        log(call, "connected", "call_connected")
    answer = {"ok": True, "first_connected_at": iso(call.first_connected_at)}
    room = access.room_name(appointment.id)  # before the commit expires the row
    db.session.commit()
    if first:
        emit("call_connected", {"first_connected_at": answer["first_connected_at"]}, to=room)
    return answer


@guarded
def on_leave(message):
    """Sent by a participant leaving the call (the appointment stays open until its end)."""
    appointment, call, _ = participant_room(message)
    leave_room(access.room_name(appointment.id))
    leave_room(safety.therapist_room(appointment.id))
    presence.departed(current_app, request.sid, registry_module.registry.get(request.sid))
    registry_module.registry.left(request.sid)
    role = access.role_in(current_user, appointment)
    _settle(appointment, call, "leave", "call_leave", "peer_left", {"role": role})
    return {"ok": True}


@guarded
def on_end(message):
    """Sent by the therapist to end the call; optionally marks the session completed, which a
    call that has connected may do even if it began before the booked start."""
    appointment, call, _ = participant_room(message)
    _therapist_only(appointment)
    now = datetime.now(UTC)
    call.ended_at = now
    call.client_admitted_at = None
    answer = {"ok": True}
    if message.get("completed"):
        try:
            booking.set_outcome(appointment, "completed", current_user, now=now,
                                started_at=call.first_connected_at)
        except booking.BookingError as exc:
            answer = {"ok": False, "message": str(exc)}
    _settle(appointment, call, "end", "call_end", "ended")
    return answer


EVENTS = [
    ("admit", on_admit),
    ("send_back", on_send_back),
    ("connected", on_connected),
    ("leave", on_leave),
    ("end", on_end),
]
