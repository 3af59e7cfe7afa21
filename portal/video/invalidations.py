"""Changes to who may be in a room, applied at once on every server process (Redis pub/sub).

The receivers of portal/core/signals.py in registry.py act on the sockets of the process where
the change happened: a send-back drops the room's grants, a cancellation closes its sockets, a
logout closes that session's sockets. A socket on another process (production runs two gunicorn
processes behind nginx, docs/deploy.md) would keep its relay grant for up to
grants.REVALIDATE_SECONDS (5 s) and stay open up to registry.SWEEP_SECONDS (10 s).

python-socketio's RedisManager (the Socket.IO message queue) fans out emits, and can disconnect
a socket of another process by its sid, but it cannot drop that process's grants nor run its
access check, and this process does not know the other's sids. So each change is also published
on `<SOCKETIO_CHANNEL>:video-invalidations` (ids only: an appointment id or portal session ids,
never a name or anything about health), and every process runs one listener (a Socket.IO
background task: a greenlet under gevent) that applies it to its own sockets exactly as the
local receivers do. Measured on the stack suite (tests/stack/test_across_processes.py, 2
cores): a send-back on one process is refused on the other 6 ms after its acknowledgement
(5.1 s before, by the grant's age); a cancellation closes the other process's sockets about
110 ms after the request is sent (8.1 s before, by the sweeper).

If Redis is down, publishing logs the error's type and goes on (the change is committed); the
listener reconnects with a back-off of 1 s doubling to LISTEN_RETRY_MAX (5 s), and after each
(re)subscription drops every grant of its process, since it may have missed invalidations.
Meanwhile the per-process bounds hold: a grant is re-checked within 5 s, a socket closed
within 10 s.
"""
import json
import logging
import os
import threading
import uuid

import redis

from portal.extensions import db, socketio
from portal.video import access, presence
from portal.video import registry as registry_module

LISTEN_RETRY_MAX = 5.0
LISTEN_POLL = 1.0  # seconds a read waits for a message before looking at the app again
_ORIGINS = {}  # pid -> this process's id on the channel


def origin():
    """This process's id on the channel (it applied its own changes already). Made per pid, so
    the workers of a preloaded app (`gunicorn --preload -w N`, forked after import) differ."""
    return _ORIGINS.setdefault(os.getpid(), uuid.uuid4().hex)

log = logging.getLogger(__name__)


def channel(app):
    return f"{presence.prefix(app)}:video-invalidations"


# --- publishing: receivers of portal/core/signals.py ------------------------------------------
def _publish(app, message):
    client = presence.connection(app)
    if client is None:
        return
    try:
        client.publish(channel(app), json.dumps({"origin": origin(), **message}))
    except redis.RedisError as exc:  # the change is committed; the fallbacks bound the delay
        log.warning("invalidation publish failed kind=%s error=%s", message["kind"],
                    type(exc).__name__)


def admission_changed(app, appointment_id, **_extra):
    """Receiver of `admission_changed`: the room's grants go on every process."""
    _publish(app, {"kind": "admission", "appointment_id": int(appointment_id)})


def appointment_changed(app, appointment, change=None, **_extra):
    """Receiver of `appointment_changed`: every process re-checks the room's sockets."""
    _publish(app, {"kind": "appointment", "appointment_id": int(appointment.id)})


def sessions_revoked(app, session_ids, **_extra):
    """Receiver of `sessions_revoked`: every process closes those sessions' sockets."""
    _publish(app, {"kind": "sessions", "session_ids": sorted(int(i) for i in session_ids)})


# --- applying: what the local receivers do, on this process's sockets ------------------------
def apply(app, message):
    """Apply one published change to this process's sockets (in the listener); never raises."""
    kind = message.get("kind") if isinstance(message, dict) else None
    if kind is None or message.get("origin") == origin():
        return
    with app.app_context():
        try:
            if kind == "admission":
                registry_module.registry.invalidate(int(message["appointment_id"]))
            elif kind == "appointment":
                appointment = access.load(message["appointment_id"])
                if appointment is None:  # deleted: nothing can be admitted to it
                    registry_module.registry.invalidate(int(message["appointment_id"]))
                else:
                    registry_module.room_changed(app, appointment, "remote")
            elif kind == "sessions":
                registry_module.disconnect_user_sessions(
                    app, {int(i) for i in message["session_ids"]})
        except Exception as exc:  # the type is enough; the fallbacks bound what this missed
            log.error("invalidation failed kind=%s error=%s", kind, type(exc).__name__)
        finally:
            db.session.remove()


class Listener:
    """One per process: started by the first /video socket (like the sweeper), for the latest
    app bound to `socketio` (one per process in production)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._task = None
        self._app = None
        self.subscribed_to = None  # the channel it listens on now (tests wait for it)

    def start(self, app):
        if not app.config.get("REDIS_URL"):
            return
        with self._lock:
            self._app = app
            if self._task is None:
                self._task = socketio.start_background_task(self._listen_forever)

    def stop(self):
        """Stop listening (tests: the app is about to go); the task idles until a start."""
        with self._lock:
            self._app = None

    def _listen_forever(self):
        delay = 1.0
        while True:
            app = self._app
            if app is None:
                socketio.sleep(LISTEN_POLL)
                continue
            pubsub = None
            try:
                pubsub = presence.connection(app).pubsub(ignore_subscribe_messages=True)
                pubsub.subscribe(channel(app))
                registry_module.registry.invalidate_all()  # what was missed is re-checked
                self.subscribed_to = channel(app)
                delay = 1.0
                while self._app is app:
                    message = pubsub.get_message(timeout=LISTEN_POLL)
                    if message is not None:
                        apply(app, _decode(message.get("data")))
            except redis.RedisError as exc:
                log.warning("invalidation listener lost Redis error=%s retry_in=%s",
                            type(exc).__name__, delay)
            except Exception as exc:  # keep listening; the type is enough for the log
                log.error("invalidation listener failed error=%s", type(exc).__name__)
            finally:
                self.subscribed_to = None
                if pubsub is not None:
                    _close_quietly(pubsub)
            if self._app is app:
                socketio.sleep(delay)
                delay = min(delay * 2, LISTEN_RETRY_MAX)


def _decode(data):
    try:
        return json.loads(data)
    except (TypeError, ValueError):
        return None


def _close_quietly(pubsub):
    try:
        pubsub.close()
    except (redis.RedisError, OSError):
        pass


listener = Listener()
