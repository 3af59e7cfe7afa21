"""Socket.IO events of the pre-call check (namespace /video): the browser's offer is answered
by the server-side aiortc echo peer (portal/video/precheck.py)."""
from flask import request
from flask_login import current_user
from flask_socketio import disconnect

from portal.video import precheck, signaling


def on_precheck_offer(message):
    """Any signed-in user's pre-call check: the browser's offer, answered by the echo peer."""
    if not current_user.is_authenticated:
        disconnect()
        return None
    try:
        sdp = message.get("sdp") if isinstance(message, dict) else None
        signaling.check_sdp(sdp)
        return precheck.answer(request.sid, sdp)
    except signaling.SignalError as exc:
        return {"error": {"code": exc.code, "message": str(exc)}}
    except precheck.Busy:
        return {"error": {"code": "busy", "message": "Many people are testing right now. "
                                                     "Please try again in a minute."}}


def on_precheck_stop(message=None):
    """The pre-call check finished on the browser side: close the echo peer now."""
    precheck.close_for(request.sid)
    return {"ok": True}
