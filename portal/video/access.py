"""Who may be in a video room, and when (checked on the page and on every socket event)."""
from datetime import UTC, datetime, timedelta

from portal.core.vocabulary import AppointmentStatus, Modality
from portal.extensions import db
from portal.models.schedule import Appointment

EARLY_CLIENT = timedelta(minutes=15)
LATE_END = timedelta(minutes=30)
EARLY_THERAPIST = timedelta(hours=12)


def room_name(appointment_id):
    """Derived on the server; a client never names the room it joins."""
    return f"appointment-{int(appointment_id)}"


def refusal(user, appointment, now=None):
    """Why `user` may not be in this appointment's room now, or None when they may."""
    now = now or datetime.now(UTC)
    if appointment is None or user is None or not user.is_authenticated:
        return "This video session does not exist or you are not signed in."
    if user.id not in (appointment.client_id, appointment.therapist_id):
        return "This video session is not yours."
    if appointment.modality != Modality.VIDEO.value:
        return "This session takes place in person, not by video."
    if appointment.status == AppointmentStatus.CANCELLED.value:
        return "This session was cancelled."
    if now > appointment.ends_at + LATE_END:
        return "This session has ended."
    is_therapist = user.id == appointment.therapist_id
    opens = appointment.starts_at - (EARLY_THERAPIST if is_therapist else EARLY_CLIENT)
    if now < opens:
        if is_therapist:
            return "The room opens 12 hours before the session starts."
        return "The room opens 15 minutes before your session starts."
    return None


def load(appointment_id):
    try:
        return db.session.get(Appointment, int(appointment_id))
    except (TypeError, ValueError, OverflowError):
        return None


def role_in(user, appointment):
    return "therapist" if user.id == appointment.therapist_id else "client"
