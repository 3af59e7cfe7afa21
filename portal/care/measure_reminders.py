"""Reminder emails for scheduled measures, sent by `flask send-reminders`: one a day for up to
MEASURE_REMINDER_DAYS days from an occasion's opening, until the measure is completed. The email
has no content beyond "a short check-in is ready for you; sign in to complete it".

Claimed like portal/notifications/reminders.py: the MeasureReminder row's unique constraint
(client, occasion, day) decides which of two concurrent runs sends, and the email is queued in
the claim's own transaction; the outbox delivers it and retries a failed delivery
(portal/notifications/outbox.py).
"""
import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.care import schedules
from portal.care.queries_measures import open_occasions
from portal.core.time import utcnow
from portal.core.vocabulary import CareStatus
from portal.extensions import db
from portal.models.measure_schedule import MeasureReminder, MeasureSchedule
from portal.models.user import User
from portal.notifications.email import queue_email

log = logging.getLogger(__name__)

SUBJECT = "A short check-in is ready for you"
TEMPLATE = "measure_reminder"


def find_due(now):
    """[(client id, occasion key, day)] due at `now` and not claimed yet."""
    rows = db.session.scalars(select(MeasureSchedule).join(
        User, User.id == MeasureSchedule.client_id).where(
        User.is_active_account.is_(True), User.care_status == CareStatus.ACTIVE.value)).all()
    due = []
    for schedule in rows:
        for occasion, missing in open_occasions(schedule, now):
            day = schedules.reminder_day(occasion, now)
            if missing and day is not None:
                due.append((schedule.client_id, occasion.key, day))
    if not due:
        return []
    claimed = {tuple(r) for r in db.session.execute(select(
        MeasureReminder.client_id, MeasureReminder.occasion, MeasureReminder.day).where(
        MeasureReminder.client_id.in_({d[0] for d in due})))}
    return [d for d in due if d not in claimed]


def _send(client_id, occasion, day):
    """Claim one reminder and queue its email, together; 0 when another run claimed it."""
    to = db.session.get(User, client_id).email
    login_url = current_app.config["BASE_URL"].rstrip("/") + "/my-scores"
    db.session.add(MeasureReminder(client_id=client_id, occasion=occasion, day=day,
                                   sent_at=utcnow()))
    try:
        db.session.flush()  # the unique constraint decides which run sends
        queue_email(to, SUBJECT, TEMPLATE, checkin_url=login_url)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return 0  # another run claimed it
    log.info("measure reminder sent client=%s day=%s", client_id, day)  # queued, as reminders are
    return 1


def send_measure_reminders(now=None):
    """Queue every scheduled-measure reminder due at `now`; returns how many."""
    now = now or utcnow()
    due = find_due(now)
    db.session.commit()  # end the read transaction before the first claim
    return sum(_send(*item) for item in due)
