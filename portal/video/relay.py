"""The fast path of the relay events (signal, chat, media_state, heartbeat).

These come many per second during call setup. When the socket holds a fresh grant
(portal/video/grants.py: taken from the database at most REVALIDATE_SECONDS ago, dropped at
once by admission changes, leaving, ending, changes to the appointment and revocations in this
process), the event is checked against it and relayed straight on the Socket.IO server, without
building a Flask request context (about half of an event's cost: the environ's request, URL
matching, the cookie, teardown). Without a fresh grant the event takes the full path
(events.relay_full), which runs the participant check against the database, caches a new grant
and then runs the same function below: one set of rules (rate limit, admission, validation) for
both paths. A heartbeat of a connected call takes the full path about once a minute: it moves
the portal session's idle clock (keepalive.py), a database write.

Both paths sit on public APIs: events.register attaches the full handler with Flask-SocketIO's
`on_event`, which puts a wrapper (the Flask request context, the user's session) in
python-socketio's handler table; `register` below takes that wrapper from the table
(`server.handlers`) and puts the fast path in front of it with `server.on`.
"""
import logging
import sys
from datetime import UTC, datetime

from portal.core.errors import log_exception_safely
from portal.video import access, grants, keepalive, limits, presence, signaling
from portal.video import registry as registry_module
from portal.video.handlers import SERVER_ERROR

NS = "/video"
MAX_CHAT = 2000
log = logging.getLogger(__name__)

# Relayed only in an admitted call: a waiting client's signals, chat and media state (camera
# or microphone on or off) reach nobody. Signals and chat are refused with an error event;
# a media state is dropped quietly (the page sends it again once admitted).
NEEDS_ADMISSION = {"signal", "chat", "media_state"}


def _fresh_grant(sid, event, message):
    """The socket's grant when it is fresh enough for this event, else None (full path). A
    grant without admission is not trusted for signals and chat: the admission may have been
    given through another server process."""
    entry = registry_module.registry.get(sid)
    grant = entry.grant if entry is not None else None
    if grant is None or not grant.holds(grants.appointment_id_of(message), datetime.now(UTC)):
        return None
    if event in NEEDS_ADMISSION and not grant.admitted:
        return None
    return grant


def _signal(ctx, grant, message):
    ctx.limit("signal")
    ctx.admitted(grant)
    signal = signaling.parse(message.get("data"))
    ctx.to_room("signal", {"from": grant.role, "data": signal.to_wire()}, grant, include_self=False)
    return {"ok": True}


def _chat(ctx, grant, message):
    ctx.limit("chat")
    ctx.admitted(grant)
    text = message.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_CHAT:
        raise signaling.SignalError("bad_chat", f"Messages are 1 to {MAX_CHAT} characters.")
    ctx.to_room("chat", {"from": grant.role, "text": text, "at": datetime.now(UTC).isoformat()},
                grant, include_self=True)
    return {"ok": True}


def _media_state(ctx, grant, message):
    ctx.limit("media_state")
    if not grant.admitted:
        return {"ok": False, "code": "not_admitted"}
    state = {k: bool(message.get(k)) for k in ("audio", "video", "audio_only")}
    ctx.to_room("media_state", {"from": grant.role, **state}, grant, include_self=False)
    return {"ok": True}


def _heartbeat(ctx, grant, message):
    ctx.limit("heartbeat")
    if grant.role == "client":  # a waiting client counts on every process (presence.py)
        presence.refresh(ctx.app(), [(ctx.sid, registry_module.registry.get(ctx.sid))])
    if ctx.full and message.get("connected") is True:
        return keepalive.heartbeat(grant)
    return {"ok": True}


FAST = {"signal": _signal, "chat": _chat, "media_state": _media_state, "heartbeat": _heartbeat}


class Context:
    """What a relay needs of its socket: the server, the sid, the app's rate limit. `full`: the
    full path, in a Flask request context, whose wrapper has charged the rate limit already."""

    def __init__(self, server, sid, full=False):
        self.server, self.sid, self.full = server, sid, full

    def app(self):
        return self.server.get_environ(self.sid, namespace=NS)["flask.app"]

    def limit(self, event):
        if self.full:
            return
        limits.check(registry_module.registry.get(self.sid), event,
                     self.app().config["SOCKET_RATES"])

    @staticmethod
    def admitted(grant):
        if not grant.admitted:
            raise signaling.SignalError("not_admitted", "The call has not started yet.")

    def to_room(self, event, data, grant, include_self):
        self.server.emit(event, data, room=access.room_name(grant.appointment_id),
                         skip_sid=None if include_self else self.sid, namespace=NS)


def registered_handler(server, event):
    """The handler python-socketio calls for a /video event: its table, `server.handlers`."""
    return server.handlers[NS][event]


def register(server):
    """Put the fast path in front of each relay event's full handler, which events.register
    attached first through Flask-SocketIO (it runs in a Flask request context); the full handler
    runs when the socket has no fresh grant."""
    for event, fast in FAST.items():
        server.on(event, _fast_path(server, event, fast, registered_handler(server, event)),
                  namespace=NS)


def _fast_path(server, event, fast, full):
    def handler(sid, message=None):
        message = message if isinstance(message, dict) else {}
        grant = _fresh_grant(sid, event, message)
        if grant is None or keepalive.due(sid, event, message):
            return full(sid, message)
        try:
            return fast(Context(server, sid), grant, message)
        except signaling.SignalError as exc:
            server.emit("error", exc.payload(), to=sid, namespace=NS, ignore_queue=True)
        except Exception:  # the type and place only: a traceback could quote the client's text
            log_exception_safely(sys.exc_info())
            server.emit("error", SERVER_ERROR, to=sid, namespace=NS, ignore_queue=True)
        return None
    handler.__name__ = f"relay_{event}"
    return handler
