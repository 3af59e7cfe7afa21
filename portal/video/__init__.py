"""Video sessions: waiting room, peer-to-peer WebRTC calls (signaling only on the server),
and a pre-call check against a server-side aiortc echo peer."""
from flask import Blueprint

bp = Blueprint("video", __name__)

from portal.video import events, notify, routes  # noqa: E402,F401


def register_events(socketio_ext):
    """Attach the /video and /notify Socket.IO handlers to this app's server."""
    events.register(socketio_ext)
    notify.register(socketio_ext)
