"""Who may be in a video room, and when (checked on the page and on every socket event).

The windows are the portal's (portal/core/vocabulary.py): the room opens JOIN_EARLY before the
session for the client, THERAPIST_EARLY before for the therapist, and closes ROOM_CLOSES_AFTER
the session's end."""
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import select

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
from portal.models.call import Call, CallEvent
from portal.models.schedule import Appointment

MAX_ID = 2**31 - 1  # the id columns' range: a larger number names no appointment


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


class Room(NamedTuple):
    """An appointment as a socket event finds it: its Call (None before anyone joined) and,
    when asked, whether a given person joined that call before (a reconnect is a rejoin)."""
    appointment: Appointment | None
    call: Call | None = None
    joined_before: bool = False


def load_room(appointment_id, joined_by=None):
    """The appointment of an id sent by a client, with its Call, in one query (a socket event
    checks the appointment and then writes the call: one round trip instead of two); with
    `joined_by` (a user id) also whether they joined the call before. Room(None) when there
    is no such appointment (or the id is junk)."""
    try:
        appointment_id = int(appointment_id)
    except (TypeError, ValueError, OverflowError):
        return Room(None)
    if not 0 < appointment_id <= MAX_ID:
        return Room(None)
    columns = [Appointment, Call]
    if joined_by is not None:
        columns.append(select(CallEvent.id).where(
            CallEvent.call_id == Call.id, CallEvent.user_id == joined_by,
            CallEvent.kind.in_(("join", "rejoin"))).exists())
    row = db.session.execute(select(*columns)
                             .outerjoin(Call, Call.appointment_id == Appointment.id)
                             .where(Appointment.id == appointment_id)).first()
    if row is None:
        return Room(None)
    return Room(row[0], row[1], bool(row[2]) if joined_by is not None else False)


def role_in(user, appointment):
    """The participant's role in this appointment's room."""
    return Role.THERAPIST if user.id == appointment.therapist_id else Role.CLIENT
