"""Check-in invitations by email (never with health details, session kinds or answers):

- a day after each completed integration session: the PHQ-9 and GAD-7 check-in;
- the morning after a dosing session (8:00 in the client's zone, for a week): the short
  post-dosing check-in (portal.care.postdosing decides which sessions have one);
- every 14 days while active: the PHQ-9 and GAD-7 check-in for clients without one.

Each is sent exactly once with the scheme of the reminders: a row whose unique constraint decides
which of two concurrent runs sends (ReminderLog for the per-session ones, CheckinInvitation for
the periodic one), committed together with the queued email; the outbox delivers it and retries a
failed delivery (portal/notifications/outbox.py).

The periodic "period" is `<silence start>#<cycle>`: the ISO date of the client's last check-in
(or intake) measures, else of the intake's submission, then the number of whole 14-day cycles
since. "2026-03-01#1" is the first invitation 14 days after a check-in on 1 March, "#2" the next
one 14 days later; a new check-in starts a new silence, so at most one invitation per 14 days.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.care.queries import open_checkins
from portal.core.time import utcnow
from portal.core.vocabulary import (
    CHECKIN_GAP,
    AppointmentStatus,
    CareStatus,
    IntakeStatus,
    ReminderKind,
    Role,
    SessionKind,
)
from portal.extensions import db
from portal.models.care import CheckinInvitation
from portal.models.intake import Intake
from portal.models.measure import last_checkin_at
from portal.models.schedule import Appointment, ReminderLog
from portal.models.user import User
from portal.notifications.email import queue_email
from portal.notifications.reminders import Due, claim

log = logging.getLogger(__name__)

CHECKIN_INVITE = ReminderKind.CHECKIN_INVITE.value
POST_DOSING_INVITE = ReminderKind.POST_DOSING_INVITE.value
AFTER = timedelta(hours=24)
UNTIL = timedelta(days=7)  # an invitation not sent within a week is no longer useful
SUBJECT = "A short check-in is waiting for you"


def _base():
    return current_app.config["BASE_URL"].rstrip("/")


def _unclaimed(sessions, kind):
    ids = [a.id for a in sessions]
    claimed = set(db.session.scalars(select(ReminderLog.appointment_id).where(
        ReminderLog.appointment_id.in_(ids), ReminderLog.kind == kind))) if ids else set()
    return [a for a in sessions if a.id not in claimed and a.client.is_active]


def find_due(now):
    """Completed integration sessions 24 h to 8 days ago whose invitation is not claimed."""
    sessions = db.session.scalars(
        select(Appointment).options(selectinload(Appointment.client)).where(
            Appointment.kind == SessionKind.INTEGRATION.value,
            Appointment.status == AppointmentStatus.COMPLETED.value,
            Appointment.ends_at <= now - AFTER, Appointment.ends_at > now - AFTER - UNTIL)).all()
    return [Due(a.id, CHECKIN_INVITE, a.client_id) for a in _unclaimed(sessions, CHECKIN_INVITE)]


def find_post_dosing_due(now):
    """Dosing sessions whose check-in opened (the morning after) and is neither answered nor
    claimed, within a week of the session."""
    return [Due(a.id, POST_DOSING_INVITE, a.client_id)
            for a in _unclaimed(open_checkins(now), POST_DOSING_INVITE)]


def _send_claimed(item, url):
    """Claim one per-session invitation and queue its email, together; 1 when this run did."""
    to = db.session.get(Appointment, item.appointment_id).client.email
    if not claim(item, lambda: queue_email(to, SUBJECT, item.kind, checkin_url=url)):
        return 0
    log.info("check-in invitation queued kind=%s appointment=%s", item.kind, item.appointment_id)
    return 1


def periodic_due(now):
    """[(client id, period)] of active clients with no check-in for 14 days, not yet invited."""
    since = func.coalesce(last_checkin_at(User.id), Intake.submitted_at)
    rows = db.session.execute(
        select(User.id, since).join(Intake, Intake.client_id == User.id)
        .where(User.role == Role.CLIENT.value, User.is_active_account.is_(True),
               User.care_status == CareStatus.ACTIVE.value, User.email_verified_at.is_not(None),
               Intake.status == IntakeStatus.SUBMITTED.value, since <= now - CHECKIN_GAP)).all()
    wanted = [(client_id, f"{start.date().isoformat()}#{(now - start) // CHECKIN_GAP}")
              for client_id, start in rows]
    if not wanted:
        return []
    taken = set(db.session.execute(select(CheckinInvitation.client_id, CheckinInvitation.period)
                                   .where(CheckinInvitation.client_id.in_([c for c, _ in wanted]))))
    return [item for item in wanted if item not in {tuple(t) for t in taken}]


def _send_periodic(client_id, period):
    """Claim one periodic invitation and queue its email, together; 0 when another run has it."""
    to = db.session.get(User, client_id).email
    db.session.add(CheckinInvitation(client_id=client_id, period=period, sent_at=utcnow()))
    try:
        db.session.flush()  # the unique constraint decides which run sends
        queue_email(to, SUBJECT, "checkin_periodic", checkin_url=f"{_base()}/checkins/new")
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0  # another run claimed it
    log.info("periodic check-in invitation queued client=%s", client_id)
    return 1


def send_checkin_invitations(now=None):
    """Queue every check-in invitation due at `now`; returns how many."""
    now = now or utcnow()
    after_integration = find_due(now)
    after_dosing = find_post_dosing_due(now)
    periodic = periodic_due(now)
    db.session.commit()  # end the read transaction before the first claim
    sent = sum(_send_claimed(item, f"{_base()}/checkins/new") for item in after_integration)
    # the home page lists the waiting check-in: the URL of the form itself names the session kind
    sent += sum(_send_claimed(item, f"{_base()}/home") for item in after_dosing)
    return sent + sum(_send_periodic(client_id, period) for client_id, period in periodic)
