"""Read models of the scheduling pages: a client's sessions and what they can do with each, the
session types they may book, a week of free times, the dosing-day answers, the calendar feed.

Nothing here writes; the writes are in services.py.
"""
from datetime import datetime, timedelta

from flask import abort
from sqlalchemy import or_, select

from portal.core.tokens import token_hash
from portal.core.vocabulary import (
    JOIN_EARLY,
    ROOM_CLOSES_AFTER,
    AppointmentStatus,
    SessionKind,
    arc_position,
)
from portal.extensions import db
from portal.models.schedule import Appointment, DosingReadiness, SessionType
from portal.models.user import User
from portal.scheduling import gates, slots
from portal.scheduling.forms import parse_week, week_bounds

READINESS_OPENS = timedelta(hours=48)
FEED_PAST = timedelta(days=30)  # recent sessions stay visible in the calendar for a month
FEED_LIMIT = 1000


# --- my sessions ----------------------------------------------------------------------------
def appointment_state(appointment, now, readiness_ids):
    """What the client can do with one appointment now. The join button follows the video
    room's own rule (portal/video/access.py): open from JOIN_EARLY before the start."""
    booked = appointment.status == AppointmentStatus.BOOKED
    return {
        "can_join": booked and appointment.is_video
        and appointment.starts_at - JOIN_EARLY <= now <= appointment.ends_at + ROOM_CLOSES_AFTER,
        "can_change": booked and appointment.starts_at - now >= gates.policy_window(),
        "readiness_open": booked and appointment.kind == SessionKind.DOSING
        and appointment.starts_at - READINESS_OPENS <= now < appointment.starts_at,
        "readiness_done": appointment.id in readiness_ids,
    }


def my_sessions(client, now):
    """The client's upcoming sessions (soonest first, each with its state) and the past and
    cancelled ones (latest first)."""
    rows = db.session.scalars(select(Appointment).where(
        Appointment.client_id == client.id).order_by(Appointment.starts_at)).all()

    def upcoming(a):
        return a.status == AppointmentStatus.BOOKED and a.ends_at > now
    coming = [a for a in rows if upcoming(a)]
    readiness_ids = set(db.session.scalars(select(DosingReadiness.appointment_id).where(
        DosingReadiness.appointment_id.in_([a.id for a in coming]))))
    return {"upcoming": coming, "past": [a for a in reversed(rows) if not upcoming(a)],
            "state": {a.id: appointment_state(a, now, readiness_ids) for a in coming}}


def readiness_of(appointment):
    """The client's dosing-day answers for one appointment, or None."""
    return db.session.scalar(select(DosingReadiness).where(
        DosingReadiness.appointment_id == appointment.id))


# --- booking --------------------------------------------------------------------------------
def offered_types(client):
    """The active session types of the client's therapist, in the order of the arc of care."""
    if client.therapist_id is None:
        return []
    types = db.session.scalars(select(SessionType).where(
        SessionType.therapist_id == client.therapist_id, SessionType.active.is_(True))).all()
    return sorted(types, key=lambda t: arc_position(t.kind))


def offered_type(client, type_id):
    """A session type of the client's own therapist; 404 for anyone else's."""
    session_type = db.session.get(SessionType, type_id)
    if session_type is None or session_type.therapist_id != client.therapist_id:
        abort(404)
    return session_type


def suggested_after_dosing(client, session_type, now):
    """Integration times 24–72 h after the client's latest booked or completed dosing session."""
    if session_type.kind != SessionKind.INTEGRATION:
        return None, []
    dosing = db.session.scalars(select(Appointment).where(
        Appointment.client_id == client.id, Appointment.kind == SessionKind.DOSING.value,
        Appointment.status.in_([AppointmentStatus.BOOKED.value,
                                AppointmentStatus.COMPLETED.value]),
        Appointment.ends_at > now - timedelta(hours=72))
        .order_by(Appointment.starts_at.desc()).limit(1)).first()
    if dosing is None:
        return None, []
    return dosing, slots.free_slots(session_type, dosing.ends_at + timedelta(hours=24),
                                    dosing.ends_at + timedelta(hours=72))


THERAPIST_HORIZON_DAYS = 365  # how far ahead a therapist booking for a client may look


def week_of_slots(session_type, zone, week=None, ignore_id=None, limits=True):
    """The free times of the week asked for (`week`, from ?week=), grouped by day in `zone`;
    without `limits`, any free future time up to a year ahead (the therapist booking)."""
    today = datetime.now(zone).date()
    first = parse_week(week, today)
    start, end = week_bounds(first, zone)
    found = slots.free_slots(session_type, start, end, ignore_id=ignore_id, limits=limits)
    horizon = session_type.horizon_days if limits else THERAPIST_HORIZON_DAYS
    days = [(first + timedelta(days=i), []) for i in range(7)]
    for slot in found:
        days[(slot.astimezone(zone).date() - first).days][1].append(slot)
    return {"days": days, "first": first,
            "previous": first - timedelta(days=7) if first > today else None,
            "next": first + timedelta(days=7)
            if first + timedelta(days=7) <= today + timedelta(days=horizon)
            else None, "empty": not found}


# --- the private calendar feed --------------------------------------------------------------
def feed_owner(token):
    """The active user whose calendar feed `token` opens, or None."""
    user = db.session.scalar(select(User).where(User.calendar_token_hash == token_hash(token)))
    return user if user is not None and user.is_active else None


def feed_appointments(user, now):
    """The user's live appointments from a month ago onwards, oldest first."""
    return db.session.scalars(select(Appointment).where(
        or_(Appointment.client_id == user.id, Appointment.therapist_id == user.id),
        Appointment.status != AppointmentStatus.CANCELLED.value,
        Appointment.starts_at >= now - FEED_PAST)
        .order_by(Appointment.starts_at).limit(FEED_LIMIT)).all()
