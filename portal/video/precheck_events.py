"""Socket.IO events of the pre-call check (namespace /video): the browser's offer is answered
by the server-side aiortc echo peer (portal/video/precheck.py).

The same rules as the call's signaling: rate limited per socket, the SDP checked by
signaling.check_sdp (16 KB at most, DTLS only), one echo per person. An offer aiortc cannot
parse is answered `bad_sdp`, and logged with the error's type and place only (the exception's
text would quote the client's SDP).
"""
import logging
import sys

from flask import request
from flask_login import current_user
from flask_socketio import disconnect

from portal.core.errors import log_exception_safely
from portal.video import limits, precheck, signaling

log = logging.getLogger(__name__)
BAD_SDP = signaling.SignalError("bad_sdp", "The session description could not be used.")


def _refusal(exc):
    return {"error": exc.payload()}


def on_precheck_offer(message):
    """Any signed-in user's pre-call check: the browser's offer, answered by the echo peer."""
    if not current_user.is_authenticated:
        disconnect()
        return None
    try:
        limits.charge("precheck_offer")
        sdp = message.get("sdp") if isinstance(message, dict) else None
        signaling.check_sdp(sdp)
        return precheck.answer(current_user.id, request.sid, sdp)
    except signaling.SignalError as exc:
        return _refusal(exc)
    except precheck.Busy:
        return {"error": {"code": "busy", "message": "Many people are testing right now. "
                                                     "Please try again in a minute."}}
    except Exception:  # aiortc refused the SDP: its message quotes the SDP, so type and place only
        log_exception_safely(sys.exc_info())
        return _refusal(BAD_SDP)


def on_precheck_stop(message=None):
    """The pre-call check finished on the browser side: close the echo peer now."""
    try:
        limits.charge("precheck_stop")
    except signaling.SignalError as exc:
        return _refusal(exc)
    precheck.close_for(request.sid)
    return {"ok": True}
