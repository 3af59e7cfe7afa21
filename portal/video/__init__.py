"""Video sessions: waiting room, peer-to-peer WebRTC calls (signaling only on the server),
and a pre-call check against a server-side aiortc echo peer."""
from flask import Blueprint

bp = Blueprint("video", __name__)

from portal.video import events, notify, routes  # noqa: E402,F401
