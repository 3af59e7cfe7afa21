"""This process's open /video sockets: who they belong to, which room they joined, their relay
grant and their rate-limit buckets (portal/video/limits.py).

A sweeper re-checks every socket every SWEEP_SECONDS against the database and disconnects those
whose portal session ended (logout, idle or absolute timeout) or whose appointment is no longer
open (cancelled, over). That covers sockets that stay silent, and works per process when several
servers share rooms through Redis. Receivers of portal/core/signals.py act at once on this
process's sockets: `sessions_revoked` closes those sessions' sockets, `admission_changed` drops
the room's grants, `appointment_changed` drops them too and closes the sockets of whoever the
room no longer admits. The same changes made on another process arrive through Redis
(invalidations.py) and run the same functions here; the sweep is the fallback when Redis is
down (SWEEP_SECONDS). Each sweep also refreshes this process's waiting clients in the shared
presence (presence.py).
"""
import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app

from portal.extensions import db, socketio
from portal.models.user import UserSession
from portal.video import access, presence

log = logging.getLogger(__name__)
SWEEP_SECONDS = 10
ROOM_CLOSED = "This session is no longer open."


@dataclass
class Entry:
    user_id: int
    session_id: int | None
    appointment_id: int | None = None
    role: str | None = None
    therapist_id: int | None = None  # of the joined appointment: whose waiting count it is
    buckets: dict = field(default_factory=dict)  # group -> (tokens, monotonic stamp)
    grant: object = None  # portal.video.grants.Grant: the relay events' cached authorisation
    kept_alive_at: float = float("-inf")  # monotonic time of the last session keep-alive


class Registry:
    def __init__(self):
        self._entries = {}
        self._lock = threading.Lock()
        self._sweeper = None
        self._app = None
        self.epoch = 0  # counts invalidations: a grant checked before one is not cached


    def add(self, sid, user_id, session_id):
        with self._lock:
            self._entries[sid] = Entry(user_id, session_id)

    def forget(self, sid):
        with self._lock:
            return self._entries.pop(sid, None)

    def get(self, sid):
        return self._entries.get(sid)

    def joined(self, sid, appointment_id, role, therapist_id=None):
        with self._lock:
            entry = self._entries.get(sid)
            if entry:
                entry.appointment_id, entry.role = appointment_id, role
                entry.therapist_id = therapist_id

    def left(self, sid):
        with self._lock:
            entry = self._entries.get(sid)
            if entry:
                entry.appointment_id = None

    def invalidate(self, appointment_id):
        """Drop the cached grants of a room (admission changed, someone left, the call ended)."""
        with self._lock:
            self.epoch += 1
            for entry in self._entries.values():
                if entry.grant is not None and entry.grant.appointment_id == appointment_id:
                    entry.grant = None

    def invalidate_all(self):
        """Drop every cached grant (invalidations from other processes may have been missed)."""
        with self._lock:
            self.epoch += 1
            for entry in self._entries.values():
                entry.grant = None

    def snapshot(self):
        with self._lock:
            return dict(self._entries)

    def start_sweeper(self, app):
        with self._lock:
            # The sockets belong to the server of the latest app bound to `socketio` (one per
            # process in production, one per test in a test run): sweep with that app's database.
            self._app = app
            if self._sweeper is not None:
                return
            self._sweeper = socketio.start_background_task(self._sweep_forever)

    def _sweep_forever(self):
        while True:
            socketio.sleep(SWEEP_SECONDS)
            # First, and apart: this process is alive, its clients still wait (presence.py),
            # even when the database is out of reach.
            try:
                presence.refresh(self._app, self.snapshot().items())
            except Exception as exc:  # keep sweeping; Redis errors are handled inside
                log.error("presence refresh failed error=%s", type(exc).__name__)
            try:
                with self._app.app_context():
                    sweep_once()
            except Exception:  # keep sweeping; the error type is enough for the log
                log.exception("socket sweep failed")


registry = Registry()


def sweep_once(now=None):
    """Disconnect sockets whose session or appointment is no longer valid; returns how many."""
    now = now or datetime.now(UTC)
    cfg = current_app.config
    to_close = []
    for sid, entry in registry.snapshot().items():
        row = db.session.get(UserSession, entry.session_id) if entry.session_id else None
        # Revoked, idle or too old: all "signed_out", the code the room page sends to sign-in.
        reason = "signed_out" if row is None or row.expiry_reason(
            now, cfg["SESSION_IDLE_TIMEOUT"], cfg["SESSION_ABSOLUTE_TIMEOUT"]) else None
        if reason is None and entry.appointment_id is not None:
            appointment = access.load(entry.appointment_id)
            if access.refusal(row.user, appointment, now) is not None:
                reason = "room_closed"
        if reason:
            to_close.append((sid, reason))
    db.session.rollback()  # read-only: end the transaction before any emit or disconnect
    for sid, reason in to_close:
        _close(sid, reason, "This session has ended.")
    closed = len(to_close)
    db.session.remove()
    return closed


def _close(sid, code, message):
    socketio.emit("error", {"code": code, "message": message}, to=sid, namespace="/video")
    socketio.server.disconnect(sid, namespace="/video")
    entry = registry.forget(sid)  # None when the disconnect handler forgot it already
    if entry is not None:
        presence.departed(current_app, sid, entry)


def disconnect_user_sessions(_sender, session_ids):
    """Receiver of `sessions_revoked`: close this process's sockets of those portal sessions at
    once (logout, password or role change, deactivation)."""
    for sid, entry in registry.snapshot().items():
        if entry.session_id in session_ids:
            _close(sid, "signed_out", "You signed out.")


def drop_grants(_sender, appointment_id, **_extra):
    """Receiver of `admission_changed` (admitted, sent back, left, ended): the room's relay
    events are checked against the database again."""
    registry.invalidate(appointment_id)


def _sockets_in(appointment_id):
    """(sid, entry) of this process's sockets in an appointment's room, or holding its grant."""
    return [(sid, entry) for sid, entry in registry.snapshot().items()
            if entry.appointment_id == appointment_id
            or (entry.grant is not None and entry.grant.appointment_id == appointment_id)]


def room_changed(_sender, appointment, change, message=None, **_extra):
    """Receiver of `appointment_changed` (booked, rescheduled, cancelled, an outcome set): drop
    the room's grants, so that the next relay event is checked against the database, and close
    at once this process's sockets of the people the room no longer admits (everyone when it
    was cancelled; after a reschedule, whoever's room now opens later). It never raises: the
    change is committed, and the sweeper closes what this missed within SWEEP_SECONDS."""
    appointment_id = None
    try:
        appointment_id = appointment.id
        registry.invalidate(appointment_id)
        for sid, entry in _sockets_in(appointment_id):
            if access.closed_reason(appointment, entry.user_id) is not None:
                _close(sid, "room_closed", ROOM_CLOSED)
    except Exception as exc:  # the error type is enough for the log (no PHI in messages)
        log.error("room close failed appointment=%s error=%s", appointment_id,
                  type(exc).__name__)
