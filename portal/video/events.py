"""Socket.IO signaling on namespace /video: connecting, joining and announcing (the call's own
events are in events_call.py). Every event re-checks that the sender is a signed-in
participant of that appointment and that the room is open; the room name is derived here.
Join, announce, admit, send back, leave and end check against the database; the relay events
(signal, chat, media state, heartbeat) against a grant at most a few seconds old (grants.py,
relay.py). Every event is rate limited per socket (limits.py).

Clients wait until the therapist admits them (never automatically); admission is stored on the
Call, so a participant who reconnects during the appointment goes straight back into the call.
A client joins only after confirming where they are and a phone number for this session.
"""
from flask import current_app, request, url_for
from flask_login import current_user
from flask_socketio import emit, join_room

from portal.core.vocabulary import Role, RoomState
from portal.extensions import db, socketio
from portal.models.call import CallEvent
from portal.security import sessions
from portal.video import (
    access,
    events_call,
    grants,
    invalidations,
    notify,
    precheck,
    precheck_events,
    presence,
    relay,
    safety,
)
from portal.video import registry as registry_module
from portal.video.handlers import Refused, guarded, on_error, participant_room, to_sender
from portal.video.turn import ice_servers

NS = "/video"
registry = registry_module.registry  # tests swap it (tests/video_helpers.isolate_registry)


def on_connect(auth=None):
    """Any browser: the connection is refused without a valid, fully signed-in portal session."""
    if not current_user.is_authenticated:
        return False
    row = sessions.current_session()
    registry.add(request.sid, current_user.id, row.id if row else None)
    app = current_app._get_current_object()
    if app.config.get("SOCKET_SWEEPER", True):
        registry.start_sweeper(app)
    invalidations.listener.start(app)  # with REDIS_URL: changes made on other processes
    return True


def on_disconnect(reason=None):
    """A participant's socket closed: record it, tell the other side, stop any echo test, and
    update the therapist's waiting count when a client left."""
    entry = registry.forget(request.sid)
    presence.departed(current_app, request.sid, entry)
    precheck.close_for(request.sid)
    if entry and entry.appointment_id:
        appointment, call, _ = access.load_room(entry.appointment_id)
        if call is not None:
            db.session.add(CallEvent(call=call, user_id=entry.user_id, kind="leave"))
        waiting = None
        if entry.role == Role.CLIENT and entry.therapist_id is not None:
            waiting = notify.waiting_notice(entry.therapist_id)
        db.session.commit()  # end the transaction before emitting
        if appointment is not None:
            emit("peer_left", {"role": entry.role}, to=access.room_name(entry.appointment_id),
                 namespace=NS)
        if waiting is not None:
            notify.send_waiting(entry.therapist_id, waiting)


def _joined_payload(appointment, call, role):
    return {"role": role, "state": events_call.state_of(role, call),
            "ice_servers": ice_servers(current_user, appointment),
            "first_connected_at": events_call.iso(call.first_connected_at)}


@guarded
def on_join(message):
    """Sent by a participant opening the room; the client waits (only once they confirmed their
    location), the therapist is alerted and gets the safety panel. A repeated join of the same
    socket folds into the first: answered again, recorded and announced once."""
    # The appointment, its call and whether this person joined it before, in one query. From
    # the call record, not this process's memory: a reconnect that lands on another server
    # process (Redis) or follows a restart is a rejoin too.
    appointment, call, rejoin = participant_room(message, rejoin=True)
    role = access.role_in(current_user, appointment)
    if role == Role.CLIENT and not call.located:
        raise Refused("location_required", "Please confirm where you are before joining.",
                      url=url_for("video.confirm_location", appointment_id=appointment.id))
    entry = registry.get(request.sid)
    if entry is not None and entry.appointment_id == appointment.id:
        joined = _joined_payload(appointment, call, role)
        db.session.commit()
        to_sender("joined", joined)
        return {"ok": True, "state": joined["state"]}
    return _first_join(appointment, call, role, rejoin, _media_up(message))


def _media_up(message):
    """Whether the sender says its own peer connection is still up (a socket that dropped and
    came back while the media kept flowing). Only ever a boolean to the other side: the
    therapist's page keeps that connection instead of starting a new one, which after a
    client's short network outage saved the 1-2 s a fresh ICE negotiation takes
    (bench/reconnect.py, link down). A false claim only costs the claimant a stale call: the
    other side still restarts as soon as its connection fails."""
    return message.get("media") is True


def _first_join(appointment, call, role, rejoin, media=False):
    room = access.room_name(appointment.id)
    join_room(room)
    if role == Role.THERAPIST:
        join_room(safety.therapist_room(appointment.id))
    registry.joined(request.sid, appointment.id, role, appointment.therapist_id)
    presence.refresh(current_app, [(request.sid, registry.get(request.sid))])  # counts at once
    if rejoin:
        call.reconnections += 1
    # Everything the emits need is read before the commit: afterwards the rows are expired and
    # reading them would open a new transaction (on SQLite: take the write lock) while emitting.
    # The waiting count first: the audit rows below hold the chain's lock until the commit.
    joined = _joined_payload(appointment, call, role)
    appointment_id, therapist_id, state = appointment.id, appointment.therapist_id, joined["state"]
    arrived = role == Role.CLIENT and state == RoomState.WAITING
    waiting = notify.waiting_notice(therapist_id, arrival=appointment_id) if arrived else None
    events_call.log(call, "rejoin" if rejoin else "join", "call_join")
    grants.remember(appointment, call.admitted)
    panel = safety.prepare(appointment, call, current_user) if role == Role.THERAPIST else None
    db.session.commit()
    to_sender("joined", joined)
    if panel is not None:
        safety.send(panel, to=request.sid)
    emit("peer_joined", {"role": role, "state": state, "media": media}, to=room,
         include_self=False)
    if arrived:
        socketio.emit("client_waiting", {"appointment_id": appointment_id},
                      to=notify.user_room(therapist_id), namespace="/notify")
        notify.send_waiting(therapist_id, waiting)
    return {"ok": True, "state": state}


@guarded
def on_announce(message):
    """Sent by a participant to (re)state its presence, e.g. when the other side arrives."""
    appointment, call, _ = participant_room(message)
    role = access.role_in(current_user, appointment)
    state = events_call.state_of(role, call)
    room = access.room_name(appointment.id)
    db.session.commit()
    emit("peer_joined", {"role": role, "state": state, "media": _media_up(message)}, to=room,
         include_self=False)


def relay_full(event):
    """The relay event's handler when the socket has no fresh grant: the participant check
    against the database (which caches a new grant), then the same relay as the fast path."""
    def handler(message):
        grant = grants.grant_for(message, participant_room,
                                 need_admitted=event in relay.NEEDS_ADMISSION)
        # End the check's transaction before relaying: the relay publishes through Redis (a
        # wait), and a pooled connection held "idle in transaction" across it let a burst of
        # events exhaust the pool (bench/signaling.py: 23 of the 30 connections of two
        # processes idle in transaction, then pool timeouts answered as server errors).
        db.session.commit()
        ctx = relay.Context(socketio.server, request.sid, full=True)
        return relay.FAST[event](ctx, grant, message)
    handler.__name__ = f"on_{event}"
    return guarded(handler, event)


EVENTS = [
    ("connect", on_connect),
    ("disconnect", on_disconnect),
    ("join", on_join),
    ("announce", on_announce),
    *events_call.EVENTS,
    ("precheck_offer", precheck_events.on_precheck_offer),
    ("precheck_stop", precheck_events.on_precheck_stop),
]


def register(socketio_ext):
    """Attach the /video handlers to this app's Socket.IO server (called by create_app): each
    relay event (signal, chat, media state, heartbeat) with its full handler, then relay.py's
    fast path in front of it; errors of any handler go to handlers.on_error."""
    socketio_ext.on_error_default(on_error)
    for event, handler in EVENTS:
        socketio_ext.on_event(event, handler, namespace=NS)
    for event in relay.FAST:
        socketio_ext.on_event(event, relay_full(event), namespace=NS)
    relay.register(socketio_ext.server)
