"""Namespace /notify: live alerts on any portal page (a client is waiting, a new booking).

Every signed-in page joins its user's own room, `user_room(user_id)`; alerts go to that room.
"""
from flask_login import current_user
from flask_socketio import join_room

NS = "/notify"


def user_room(user_id):
    """The /notify room of one person's open pages."""
    return f"user-{int(user_id)}"


def on_notify_connect(auth=None):
    """Any signed-in page: joins the user's own alert room; refused when signed out."""
    if not current_user.is_authenticated:
        return False
    join_room(user_room(current_user.id))
    return True


def register(socketio_ext):
    """Attach the /notify handler to this app's Socket.IO server (called by create_app)."""
    socketio_ext.on_event("connect", on_notify_connect, namespace=NS)
