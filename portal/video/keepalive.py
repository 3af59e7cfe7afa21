"""A connected call keeps its participants signed in (issue 11: calls ended at minute 30).

The room page sends `heartbeat` every 15 s, with `connected: true` while its peer connection
is connected. About once a minute such a heartbeat takes the full path (relay.py) and moves the
portal session's idle clock (security.sessions.keep_alive, where the HIPAA reasoning is
written): only for a participant of an admitted call, never past the absolute 12 h limit.
Any other socket event is not activity (security.sessions._socket_event).
"""
import time

from flask import current_app, request

from portal.extensions import db
from portal.security import sessions
from portal.video import registry as registry_module

KEEP_ALIVE_SECONDS = 60.0  # far inside the 30-minute idle limit; one write a minute per person


def due(sid, event, message):
    """True for a connected call's heartbeat whose keep-alive is due (it needs the full path)."""
    if event != "heartbeat" or message.get("connected") is not True:
        return False
    entry = registry_module.registry.get(sid)
    return entry is not None and time.monotonic() - entry.kept_alive_at >= KEEP_ALIVE_SECONDS


def heartbeat(grant):
    """The full path's answer to a connected call's heartbeat (in the socket's request context,
    after the participant check): move the idle clock when the call is admitted."""
    cfg = current_app.config
    row = sessions.current_session()
    answer = {"ok": True, "kept_alive": False,
              "idle_timeout_s": int(cfg["SESSION_IDLE_TIMEOUT"].total_seconds())}
    if row is not None:
        answer["absolute_deadline"] = (row.created_at + cfg["SESSION_ABSOLUTE_TIMEOUT"]).isoformat()
    if grant.admitted and sessions.keep_alive(row) is not None:
        answer["kept_alive"] = True
        entry = registry_module.registry.get(request.sid)
        if entry is not None:
            entry.kept_alive_at = time.monotonic()
    db.session.commit()
    return answer
