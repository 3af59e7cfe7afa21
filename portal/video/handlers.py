"""What every /video event handler shares: the participant check, refusals, rate limits and
error handling (type and location in the log, a structured error to the sender, never a
traceback quoting the client's text)."""
import logging
import sys

from flask import request
from flask_login import current_user
from flask_socketio import disconnect, emit

from portal.core.errors import log_exception_safely
from portal.core.outage import UNAVAILABLE, forget_database_state, is_outage
from portal.extensions import db
from portal.models.call import call_for
from portal.video import access, limits, signaling

log = logging.getLogger(__name__)
SERVER_ERROR = {"code": "server_error",
                "message": "Something went wrong on our side. Please reload the page."}


class Refused(Exception):
    """The sender may not do this: answered with an error event, then the socket closes.
    `extra` goes into the error event (e.g. the url of the location step)."""

    def __init__(self, code, message, **extra):
        super().__init__(message)
        self.code, self.message, self.extra = code, message, extra


def to_sender(event, payload):
    """Emit to the socket whose event this is, straight to it: it is connected to this process,
    so the message queue (Redis) would only add a publish here and a message every other
    process reads and drops (Flask-SocketIO's `ignore_queue`, meant for a single addressee)."""
    emit(event, payload, ignore_queue=True)


def error(payload):
    to_sender("error", payload)


def participant_room(message, create=True, rejoin=False):
    """The appointment of a valid participant with its Call, read in one query (access.Room);
    raises Refused otherwise. `create`: the first arrival creates the Call (else it may be
    None); `rejoin`: also whether the sender joined this call before."""
    if not current_user.is_authenticated:
        raise Refused("signed_out", "Your session has ended. Please sign in again.")
    appointment_id = message.get("appointment_id") if isinstance(message, dict) else None
    room = access.load_room(appointment_id, current_user.id if rejoin else None)
    reason = access.refusal(current_user, room.appointment)
    if reason:
        raise Refused("not_allowed", reason)
    if room.call is None and create:  # the first arrival (cannot have joined it before)
        room = room._replace(call=call_for(room.appointment.id))
    return room


def guarded(handler, event=None):
    """Run an event handler after its rate limit; refusals answer with an error event and close
    the socket, bad messages (and rate limits) with an error event only."""
    name = event or handler.__name__.removeprefix("on_")

    def wrapper(message=None):
        message = message if isinstance(message, dict) else {}
        try:
            limits.charge(name)
            return handler(message)
        except Refused as exc:
            db.session.rollback()
            error({"code": exc.code, "message": exc.message, **exc.extra})
            disconnect()  # on_disconnect forgets the socket, records the leave, tells the peer
        except signaling.SignalError as exc:
            db.session.rollback()
            error(exc.payload())
        return None
    wrapper.__name__ = handler.__name__
    wrapper.__doc__ = handler.__doc__
    return wrapper


def on_error(exc):
    """Flask-SocketIO's default error handler (any namespace): log the type and where it was
    raised, never the message or a traceback (they can quote the client's text); answer the
    sender with a structured error instead of silence ({error: "unavailable"} while the
    database is out of reach)."""
    if is_outage(exc):
        log.warning("database unavailable type=%s", type(exc).__name__)
        forget_database_state()
        if getattr(request, "namespace", None) is not None:
            to_sender("error", {"code": "unavailable", **UNAVAILABLE})
        return {"ok": False, "code": "unavailable", **UNAVAILABLE}
    log_exception_safely(sys.exc_info())
    db.session.rollback()
    if getattr(request, "namespace", None) is not None:
        to_sender("error", SERVER_ERROR)
    return {"ok": False, "code": "server_error"}
