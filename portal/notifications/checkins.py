"""Check-in invitations: a day after each completed integration session the client is invited
(by an email with no health details) to answer the PHQ-9 and GAD-7 in the portal.

Sent exactly once per session with the same claim-then-send scheme as the reminders: the
ReminderLog row's unique constraint decides which of two concurrent runs sends it.
"""
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.extensions import db
from portal.models.schedule import Appointment, AppointmentStatus, ReminderLog, SessionKind
from portal.models.types import utcnow
from portal.notifications.reminders import Due, _claim, _release

log = logging.getLogger(__name__)

CHECKIN_INVITE = "checkin_invite"
AFTER = timedelta(hours=24)
UNTIL = timedelta(days=7)  # an invitation not sent within a week is no longer useful


def find_due(now):
    sessions = db.session.scalars(
        select(Appointment).options(selectinload(Appointment.client)).where(
            Appointment.kind == SessionKind.INTEGRATION.value,
            Appointment.status == AppointmentStatus.COMPLETED.value,
            Appointment.ends_at <= now - AFTER, Appointment.ends_at > now - AFTER - UNTIL)).all()
    ids = [a.id for a in sessions]
    claimed = set(db.session.scalars(select(ReminderLog.appointment_id).where(
        ReminderLog.appointment_id.in_(ids), ReminderLog.kind == CHECKIN_INVITE))) if ids else set()
    return [Due(a.id, CHECKIN_INVITE, a.client_id) for a in sessions
            if a.id not in claimed and a.client.is_active]


def send_checkin_invitations(now=None):
    """Invite clients to a check-in 24 h after each completed integration session; count sent."""
    from sqlalchemy import update

    from portal.notifications.email import send_email
    now = now or utcnow()
    due = find_due(now)
    db.session.commit()
    sent = 0
    base = current_app.config["BASE_URL"].rstrip("/")
    for item in due:
        log_id = _claim(item)
        if log_id is None:
            continue
        client = db.session.get(Appointment, item.appointment_id).client
        to = client.email
        db.session.commit()
        if not send_email(to, "A short check-in is waiting for you", "checkin_invite",
                          checkin_url=f"{base}/checkins/new"):
            _release(log_id)
            continue
        db.session.execute(update(ReminderLog).where(ReminderLog.id == log_id)
                           .values(sent_at=utcnow()))
        db.session.commit()
        log.info("check-in invitation sent appointment=%s", item.appointment_id)
        sent += 1
    return sent
