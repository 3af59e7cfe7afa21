"""Socket.IO signaling on namespace /video. Every event re-checks that the sender is a signed-in
participant of that appointment and that the room is open; the room name is derived here. Join,
announce, admit, send back, leave and end check against the database; the relay events (signal,
chat, media state, heartbeat) against a grant at most a few seconds old (grants.py, relay.py).

Clients wait until the therapist admits them (never automatically); admission is stored on the
Call, so a participant who reconnects during the appointment goes straight back into the call.
"""
from datetime import UTC, datetime

from flask import current_app, request
from flask_login import current_user
from flask_socketio import disconnect, emit, join_room, leave_room
from sqlalchemy import select

from portal.core.signals import admission_changed
from portal.core.vocabulary import Role, RoomState
from portal.extensions import db, socketio
from portal.models.call import Call, CallEvent, call_for
from portal.scheduling import services as booking
from portal.security import sessions
from portal.security.audit import record
from portal.video import access, grants, precheck, precheck_events, relay, signaling
from portal.video.notify import user_room
from portal.video.registry import registry
from portal.video.turn import ice_servers

NS = "/video"


class Refused(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def _error(code, message):
    emit("error", {"code": code, "message": message})


def _call_for(appointment):
    return call_for(appointment.id)


def _log(call, kind, audit_event=None):
    db.session.add(CallEvent(call=call, user_id=current_user.id, kind=kind))
    if audit_event:
        record(audit_event, actor=current_user, obj=("appointment", call.appointment_id),
               detail=kind)


def _state(role, call):
    """Where a participant stands: the therapist is always in the call, the client once admitted."""
    return RoomState.IN_CALL if role == Role.THERAPIST or call.admitted else RoomState.WAITING


def _settle(appointment_id, event, payload=None):
    """Commit, announce `admission_changed` (after the commit: the room's grants are dropped and
    a re-check must see the change), then tell everyone in the room."""
    db.session.commit()
    admission_changed.send(current_app._get_current_object(), appointment_id=appointment_id)
    emit(event, payload or {}, to=access.room_name(appointment_id))


def participant(message):
    """The appointment of a valid participant; disconnects the socket and raises otherwise."""
    if not current_user.is_authenticated:
        raise Refused("signed_out", "Your session has ended. Please sign in again.")
    appointment_id = message.get("appointment_id") if isinstance(message, dict) else None
    appointment = access.load(appointment_id)
    reason = access.refusal(current_user, appointment)
    if reason:
        raise Refused("not_allowed", reason)
    return appointment


def guarded(handler):
    """Run an event handler; refusals answer with an error event and close the socket."""
    def wrapper(message=None):
        try:
            return handler(message if message is not None else {})
        except Refused as exc:
            db.session.rollback()
            _error(exc.code, exc.message)
            disconnect()  # on_disconnect forgets the socket, records the leave, tells the peer
        except signaling.SignalError as exc:
            _error(exc.code, str(exc))
        return None
    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def on_connect(auth=None):
    """Any browser: the connection is refused without a valid, fully signed-in portal session."""
    if not current_user.is_authenticated:
        return False
    row = sessions.current_session()
    registry.add(request.sid, current_user.id, row.id if row else None)
    if current_app.config.get("SOCKET_SWEEPER", True):
        registry.start_sweeper(current_app._get_current_object())
    return True


def on_disconnect(reason=None):
    """A participant's socket closed: record it, tell the other side, stop any echo test."""
    entry = registry.forget(request.sid)
    precheck.close_for(request.sid)
    if entry and entry.appointment_id:
        appointment = access.load(entry.appointment_id)
        call = db.session.query(Call).filter_by(appointment_id=entry.appointment_id).one_or_none()
        if call is not None:
            db.session.add(CallEvent(call=call, user_id=entry.user_id, kind="leave"))
        exists = appointment is not None
        db.session.commit()  # end the transaction before emitting
        if exists:
            emit("peer_left", {"role": entry.role}, to=access.room_name(entry.appointment_id),
                 namespace=NS)


@guarded
def on_join(message):
    """Sent by a participant opening the room; the client waits, the therapist is alerted."""
    appointment = participant(message)
    role = access.role_in(current_user, appointment)
    room = access.room_name(appointment.id)
    call, rejoin = _call_and_rejoin(appointment, current_user.id)
    join_room(room)
    registry.joined(request.sid, appointment.id, role)
    if rejoin:
        call.reconnections += 1
    _log(call, "rejoin" if rejoin else "join", "call_join")
    state = _state(role, call)
    grants.remember(appointment, call.admitted)
    # Everything the emits need is read before the commit: afterwards the rows are expired and
    # reading them would open a new transaction (on SQLite: take the write lock) while emitting.
    joined = {"role": role, "state": state, "ice_servers": ice_servers(current_user, appointment)}
    appointment_id, therapist_id = appointment.id, appointment.therapist_id
    db.session.commit()
    emit("joined", joined)
    emit("peer_joined", {"role": role, "state": state}, to=room, include_self=False)
    if role == Role.CLIENT and state == RoomState.WAITING:
        socketio.emit("client_waiting", {"appointment_id": appointment_id},
                      to=user_room(therapist_id), namespace="/notify")
    return {"ok": True, "state": state}


def _call_and_rejoin(appointment, user_id):
    """The appointment's call and whether this person joined it before, in one query. From the
    call record, not this process's memory: a reconnect that lands on another server process
    (Redis) or follows a restart is a rejoin too."""
    joined = select(CallEvent.id).where(
        CallEvent.call_id == Call.id, CallEvent.user_id == user_id,
        CallEvent.kind.in_(("join", "rejoin"))).exists()
    row = db.session.execute(select(Call, joined).where(
        Call.appointment_id == appointment.id)).first()
    if row is None:  # the first arrival creates the call (and cannot have joined it before)
        return _call_for(appointment), False
    return row[0], bool(row[1])


@guarded
def on_announce(message):
    """Sent by a participant to (re)state its presence, e.g. when the other side arrives."""
    appointment = participant(message)
    role = access.role_in(current_user, appointment)
    state = _state(role, _call_for(appointment))
    room = access.room_name(appointment.id)
    db.session.commit()
    emit("peer_joined", {"role": role, "state": state}, to=room, include_self=False)


def _therapist_only(appointment):
    if current_user.id != appointment.therapist_id:
        raise Refused("not_allowed", "Only the therapist can do this.")


@guarded
def on_admit(message):
    """Sent by the therapist to let the waiting client into the call."""
    appointment = participant(message)
    _therapist_only(appointment)
    call = _call_for(appointment)
    call.client_admitted_at = datetime.now(UTC)
    _log(call, "admit", "call_admit")
    _settle(appointment.id, "admitted")
    return {"ok": True}


@guarded
def on_send_back(message):
    """Sent by the therapist to return the client to the waiting room."""
    appointment = participant(message)
    _therapist_only(appointment)
    call = _call_for(appointment)
    call.client_admitted_at = None
    _log(call, "send_back", "call_send_back")
    _settle(appointment.id, "sent_back")
    return {"ok": True}


def relay_full(event):
    """The relay event's handler when the socket has no fresh grant: the participant check
    against the database (which caches a new grant), then the same relay as the fast path."""
    @guarded
    def handler(message):
        grant = grants.grant_for(message, participant,
                                 need_admitted=event in relay.NEEDS_ADMISSION)
        return relay.FAST[event](relay.Context(socketio.server, request.sid), grant, message)
    handler.__name__ = f"on_{event}"
    return handler


@guarded
def on_leave(message):
    """Sent by a participant leaving the call (the appointment stays open until its end)."""
    appointment = participant(message)
    call = _call_for(appointment)
    leave_room(access.room_name(appointment.id))
    registry.left(request.sid)
    _log(call, "leave", "call_leave")
    _settle(appointment.id, "peer_left", {"role": access.role_in(current_user, appointment)})


@guarded
def on_end(message):
    """Sent by the therapist to end the call; optionally marks the session completed."""
    appointment = participant(message)
    _therapist_only(appointment)
    call = _call_for(appointment)
    now = datetime.now(UTC)
    call.ended_at = now
    call.client_admitted_at = None
    _log(call, "end", "call_end")
    appointment_id, answer = appointment.id, {"ok": True}
    if message.get("completed"):
        try:
            booking.set_outcome(appointment, "completed", current_user, now=now)
        except booking.BookingError as exc:
            answer = {"ok": False, "message": str(exc)}
    _settle(appointment_id, "ended")
    return answer


EVENTS = [
    ("connect", on_connect),
    ("disconnect", on_disconnect),
    ("join", on_join),
    ("announce", on_announce),
    ("admit", on_admit),
    ("send_back", on_send_back),
    ("leave", on_leave),
    ("end", on_end),
    ("precheck_offer", precheck_events.on_precheck_offer),
    ("precheck_stop", precheck_events.on_precheck_stop),
]


def register(socketio_ext):
    """Attach the /video handlers to this app's Socket.IO server (called by create_app): each
    relay event (signal, chat, media state, heartbeat) with its full handler, then relay.py's
    fast path in front of it."""
    for event, handler in EVENTS:
        socketio_ext.on_event(event, handler, namespace=NS)
    for event in relay.FAST:
        socketio_ext.on_event(event, relay_full(event), namespace=NS)
    relay.register(socketio_ext.server)
