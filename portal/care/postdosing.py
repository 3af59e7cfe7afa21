"""The check-in the day after a dosing session: which sessions it is for, and what a worrying
answer sets in motion (an urgent flag for the therapist, and the item-9 rules of the intake).

Which sessions: a dosing appointment of the client that is marked completed, or still
"booked" but already over (therapists do not always mark sessions completed the same day). No-shows
and cancelled sessions have no check-in. The form can be opened as soon as the session has
ended; the home page and the email invite the client from 8:00 on the next day in the client's
own zone, for a week (POST_DOSING_WINDOW).
"""
from datetime import UTC, datetime, time, timedelta

from flask import abort
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.core.time import zone_of
from portal.core.vocabulary import AppointmentStatus, FlagKind, SessionKind
from portal.extensions import db
from portal.intake import services
from portal.models.care import PostDosingCheckin
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment
from portal.security.audit import record

INVITE_FROM = time(8, 0)  # the morning after the dosing day, in the client's zone
POST_DOSING_WINDOW = timedelta(days=7)  # invited (home page, email) for a week after the session
COUNTED_STATUSES = (AppointmentStatus.COMPLETED.value, AppointmentStatus.BOOKED.value)
LOW_MOOD = 3  # a mood of 3 or less out of 10 is worrying


def invite_opens(appointment):
    """8:00 on the day after the session's (local) day, in the client's own zone, as UTC."""
    zone = zone_of(appointment.client)
    next_day = appointment.starts_at.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(next_day, INVITE_FROM, tzinfo=zone).astimezone(UTC)


def has_checkin(appointment):
    """Does this appointment qualify for a post-dosing check-in at all (ignoring the time)?"""
    return (appointment.kind == SessionKind.DOSING.value
            and appointment.status in COUNTED_STATUSES)


def appointment_for(client, appointment_id, now):
    """The client's own dosing session that has ended; 404 for anything else."""
    appointment = db.session.get(Appointment, appointment_id)
    if (appointment is None or appointment.client_id != client.id
            or not has_checkin(appointment) or appointment.ends_at > now):
        abort(404)
    return appointment


def already_sent(appointment):
    return db.session.scalar(select(PostDosingCheckin.id).where(
        PostDosingCheckin.appointment_id == appointment.id)) is not None


def open_checkins(now, client=None):
    """Dosing sessions whose check-in is open (the invitation time has come, within the week)
    and not answered, newest first: the client's own, or every client's (the email sender)."""
    answered = select(PostDosingCheckin.id).where(
        PostDosingCheckin.appointment_id == Appointment.id).exists()
    stmt = (select(Appointment).options(selectinload(Appointment.client)).where(
        Appointment.kind == SessionKind.DOSING.value,
        Appointment.status.in_(COUNTED_STATUSES), Appointment.ends_at <= now,
        Appointment.ends_at > now - POST_DOSING_WINDOW, ~answered)
        .order_by(Appointment.starts_at.desc()))
    if client is not None:
        stmt = stmt.where(Appointment.client_id == client.id)
    return [a for a in db.session.scalars(stmt) if invite_opens(a) <= now]


def due_for(client, now):
    """The client's dosing sessions whose check-in is open and not answered, newest first."""
    return open_checkins(now, client)


def worrying_reasons(answers):
    """Codes of the answers the therapist should see soon (empty when none is worrying)."""
    reasons = []
    if answers["phq9_9"] > 0:
        reasons.append("item9")
    if answers["dissociation"]:
        reasons.append("dissociation")
    if answers["worry_text"].strip():
        reasons.append("worry_text")
    if answers["mood"] <= LOW_MOOD:
        reasons.append("low_mood")
    return reasons


def submit(client, appointment, answers):
    """Store the answers (once per session); flag and notify when worrying.

    Returns the list of worrying reasons, or None when a check-in for this session already
    exists (the unique constraint decides between two concurrent submits).
    """
    row = PostDosingCheckin(client_id=client.id, appointment_id=appointment.id, answers=answers)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    record("post_dosing_checkin_submitted", actor=client, obj=("post_dosing_checkin", row.id))
    reasons = worrying_reasons(answers)
    if reasons:
        flag = SafetyFlag(client_id=client.id, kind=FlagKind.POST_DOSING.value, severity="urgent",
                          code="+".join(reasons), source="post_dosing")
        db.session.add(flag)
        db.session.flush()
        record("safety_flag_raised", actor=client, obj=("safety_flag", flag.id),
               detail="post_dosing")
        # item 9 above 0 follows the intake's rules (ITEM9 flag, therapist email without PHI);
        # other worrying answers get the same contentless email from the view, after commit.
        services.check_item9(client, answers["phq9_9"], source="post_dosing")
    return reasons


def notify_after_commit(client, reasons):
    """The therapist's email for worrying answers other than item 9 (which sent its own)."""
    if reasons and "item9" not in reasons:
        services.notify_therapist(client, "urgent_flag")
