"""Namespace /notify: live alerts on any portal page (a client is waiting, a new booking).

Every signed-in page joins its user's own room, `user_room(user_id)`; alerts go to that room.
`waiting_changed` {count, arrival} keeps a therapist's nav badge, tab title, notification and
chime right on every page they have open (payloads: /work/briefs/room-contract.md): the event
that changed who waits reads it with waiting_notice before its commit and sends it with
send_waiting after.
"""
import logging

from flask_login import current_user
from flask_socketio import join_room

from portal.extensions import socketio
from portal.video import queries

NS = "/notify"
log = logging.getLogger(__name__)


def user_room(user_id):
    """The /notify room of one person's open pages."""
    return f"user-{int(user_id)}"


def on_notify_connect(auth=None):
    """Any signed-in page: joins the user's own alert room; refused when signed out."""
    if not current_user.is_authenticated:
        return False
    join_room(user_room(current_user.id))
    return True


def announce_booking(_sender, appointment, change, message=None, **_extra):
    """Receiver of `appointment_changed`: after a booking, the therapist's open pages get the
    live notice `appointment_booked` {"appointment_id"} (the dashboard offers a refresh)."""
    if change != "booked":
        return
    appointment_id = None
    try:
        appointment_id = appointment.id
        socketio.emit("appointment_booked", {"appointment_id": appointment_id},
                      namespace=NS, to=user_room(appointment.therapist_id))
    except Exception as exc:  # the booking is committed: a lost live notice is no error page
        log.error("live notice failed appointment=%s error=%s", appointment_id,
                  type(exc).__name__)


def waiting_notice(therapist_id, arrival=None):
    """The `waiting_changed` payload for the therapist's pages: how many of their clients wait
    now; `arrival` is the appointment id when the change is a client arriving (the page chimes
    and notifies). Read inside the caller's transaction, after its change and before its
    commit: reading it in a transaction of its own after the commit cost every join, admit,
    send-back and leave a connection check-out, a BEGIN and a ROLLBACK more (PostgreSQL).
    None when it could not be read: a lost live notice is no error for the sender."""
    try:
        waiting = queries.waiting_for(therapist_id)
    except Exception as exc:  # the type is enough; a broken transaction fails the commit
        log.error("waiting notice failed therapist=%s error=%s", therapist_id,
                  type(exc).__name__)
        return None
    new = next((w for w in waiting if w["appointment_id"] == arrival), None)
    return {"count": len(waiting), "arrival": new}


def send_waiting(therapist_id, notice):
    """Send a waiting_notice to the therapist's open pages, after the caller's commit."""
    if notice is None:
        return
    try:
        socketio.emit("waiting_changed", notice, namespace=NS, to=user_room(therapist_id))
    except Exception as exc:
        log.error("waiting notice failed therapist=%s error=%s", therapist_id,
                  type(exc).__name__)


def register(socketio_ext):
    """Attach the /notify handler to this app's Socket.IO server (called by create_app)."""
    socketio_ext.on_event("connect", on_notify_connect, namespace=NS)
