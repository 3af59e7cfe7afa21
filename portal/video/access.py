"""Who may be in a video room, and when (checked on the page and on every socket event).

The windows are the portal's (portal/core/vocabulary.py): the room opens JOIN_EARLY before the
session for the client, THERAPIST_EARLY before for the therapist, and closes ROOM_CLOSES_AFTER
the session's end."""
from datetime import UTC, datetime

from portal.core.vocabulary import (
    JOIN_EARLY,
    JOIN_EARLY_MINUTES,
    ROOM_CLOSES_AFTER,
    THERAPIST_EARLY,
    AppointmentStatus,
    Modality,
    Role,
)
from portal.extensions import db
from portal.models.schedule import Appointment


def room_name(appointment_id):
    """Derived on the server; a client never names the room it joins."""
    return f"appointment-{int(appointment_id)}"


def refusal(user, appointment, now=None):
    """Why `user` may not be in this appointment's room now, or None when they may."""
    if appointment is None or user is None or not user.is_authenticated:
        return "This video session does not exist or you are not signed in."
    if user.id not in (appointment.client_id, appointment.therapist_id):
        return "This video session is not yours."
    return closed_reason(appointment, user.id, now)


def closed_reason(appointment, participant_id, now=None):
    """Why the room is closed to this participant (by user id) now, or None while it is open:
    a session in person, cancelled, over, or not open yet for their role."""
    now = now or datetime.now(UTC)
    if appointment.modality != Modality.VIDEO.value:
        return "This session takes place in person, not by video."
    if appointment.status == AppointmentStatus.CANCELLED.value:
        return "This session was cancelled."
    if now > appointment.ends_at + ROOM_CLOSES_AFTER:
        return "This session has ended."
    is_therapist = participant_id == appointment.therapist_id
    opens = appointment.starts_at - (THERAPIST_EARLY if is_therapist else JOIN_EARLY)
    if now < opens:
        if is_therapist:
            return "The room opens 12 hours before the session starts."
        return f"The room opens {JOIN_EARLY_MINUTES} minutes before your session starts."
    return None


def load(appointment_id):
    """The appointment of an id sent by a client, or None when there is none (or it is junk)."""
    try:
        return db.session.get(Appointment, int(appointment_id))
    except (TypeError, ValueError, OverflowError):
        return None


def role_in(user, appointment):
    """The participant's role in this appointment's room."""
    return Role.THERAPIST if user.id == appointment.therapist_id else Role.CLIENT
