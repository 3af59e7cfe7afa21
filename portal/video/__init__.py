"""Video sessions: waiting room, peer-to-peer WebRTC calls (signaling only on the server),
and a pre-call check against a server-side aiortc echo peer."""
from portal.core.signals import admission_changed, appointment_changed, sessions_revoked
from portal.video import (  # noqa: F401  (the views attach to the blueprint)
    events,
    invalidations,
    notify,
    registry,
    routes,
)
from portal.video.blueprint import bp  # noqa: F401  (the app factory registers it)


def register_events(socketio_ext):
    """Attach the /video and /notify Socket.IO handlers to this app's server."""
    events.register(socketio_ext)
    notify.register(socketio_ext)


# Receivers of portal/core/signals.py (admission_changed is video's own), connected once, at import.
sessions_revoked.connect(registry.disconnect_user_sessions)
admission_changed.connect(registry.drop_grants)
appointment_changed.connect(registry.room_changed)
appointment_changed.connect(notify.announce_booking)
# The same changes, told to the other server processes (with REDIS_URL; invalidations.py).
sessions_revoked.connect(invalidations.sessions_revoked)
admission_changed.connect(invalidations.admission_changed)
appointment_changed.connect(invalidations.appointment_changed)
