"""Reminders before appointments, sent exactly once even when two copies run at the same time.

`flask send-reminders` runs every minute (cron or a systemd timer). For each due (appointment,
kind, recipient) it inserts a ReminderLog row and queues the email in one transaction: the
unique constraint decides which copy sends, the loser gets an IntegrityError and skips, and the
email exists if and only if the claim committed. The outbox then delivers it, and retries a
failed delivery (portal/notifications/outbox.py); `sent_at` is when it was queued.

Reminder kinds carry the appointment's SEQUENCE ("reminder_24h#2"): a rescheduled appointment
gets reminders for its new time. The readiness request is asked once per appointment.

`Due` and `claim` are public: the check-in invitations after a session
(portal/care/invitations.py) are sent once with the same scheme.
"""
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.core.time import utcnow, zone_of
from portal.core.vocabulary import AppointmentStatus, ReminderKind, SessionKind
from portal.extensions import db
from portal.models.schedule import Appointment, DosingReadiness, ReminderLog
from portal.notifications.appointments import appointment_context
from portal.notifications.email import queue_email

log = logging.getLogger(__name__)

REMINDER_24H, REMINDER_1H = ReminderKind.REMINDER_24H.value, ReminderKind.REMINDER_1H.value
READINESS = ReminderKind.READINESS.value
READINESS_FROM = time(8, 0)  # the day before a dosing session, from 8:00 in the client's zone
READINESS_UNTIL = timedelta(hours=2)  # ... until 2 hours before it starts
LOOKAHEAD = timedelta(hours=48)  # nothing is due earlier than this before the start

SUBJECTS = {
    REMINDER_24H: "Reminder: your upcoming appointment",
    REMINDER_1H: "Your appointment starts within the hour",
    READINESS: "A few questions before your appointment",
}


@dataclass(frozen=True)
class Due:
    appointment_id: int
    kind: str  # as stored in ReminderLog
    recipient_id: int

    @property
    def base(self):
        return self.kind.split("#", 1)[0]


def readiness_opens(appointment):
    """8:00 on the day before the session, in the client's own zone."""
    zone = zone_of(appointment.client)
    day_before = appointment.starts_at.astimezone(zone).date() - timedelta(days=1)
    return datetime.combine(day_before, READINESS_FROM, tzinfo=zone).astimezone(UTC)


def due_kinds(appointment, now):
    """The reminders due for a booked appointment at `now` (kinds without the sequence)."""
    start = appointment.starts_at
    if appointment.status != AppointmentStatus.BOOKED.value or start <= now:
        return []
    kinds = []
    if start - timedelta(hours=24) <= now < start - timedelta(hours=1):
        kinds.append(REMINDER_24H)
    if start - timedelta(hours=1) <= now < start:
        kinds.append(REMINDER_1H)
    if (appointment.kind == SessionKind.DOSING.value
            and readiness_opens(appointment) <= now < start - READINESS_UNTIL):
        kinds.append(READINESS)
    return kinds


def _stored_kind(kind, appointment):
    return kind if kind == READINESS else f"{kind}#{appointment.sequence}"


def find_due(now):
    """Every (appointment, kind, recipient) due at `now` and not claimed yet."""
    appointments = db.session.scalars(
        select(Appointment).options(selectinload(Appointment.client))
        .where(Appointment.status == AppointmentStatus.BOOKED.value,
               Appointment.starts_at > now, Appointment.starts_at <= now + LOOKAHEAD)
        .order_by(Appointment.starts_at)).all()
    ids = [a.id for a in appointments]
    claimed = {tuple(row) for row in db.session.execute(select(
        ReminderLog.appointment_id, ReminderLog.kind, ReminderLog.recipient_id).where(
        ReminderLog.appointment_id.in_(ids)))} if ids else set()
    answered = set(db.session.scalars(select(DosingReadiness.appointment_id).where(
        DosingReadiness.appointment_id.in_(ids)))) if ids else set()
    due = []
    for appointment in appointments:
        if not appointment.client.is_active:
            continue
        for kind in due_kinds(appointment, now):
            if kind == READINESS and appointment.id in answered:
                continue
            item = Due(appointment.id, _stored_kind(kind, appointment), appointment.client_id)
            if (item.appointment_id, item.kind, item.recipient_id) not in claimed:
                due.append(item)
    return due


def claim(item, queue):
    """Insert the ReminderLog row and run `queue()` (which queues its email) in one transaction,
    and commit; False, with nothing kept, when another copy claimed the item first."""
    db.session.add(ReminderLog(appointment_id=item.appointment_id, kind=item.kind,
                               recipient_id=item.recipient_id, sent_at=utcnow()))
    try:
        db.session.flush()  # the unique constraint decides here (PostgreSQL waits for the other)
        queue()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def _email(item, now):
    """(to, subject, template, context) for a due item, or None if it is no longer due."""
    appointment = db.session.get(Appointment, item.appointment_id)
    if appointment is None or item.base not in due_kinds(appointment, now):
        return None  # cancelled or moved since we looked
    recipient = appointment.client
    context = appointment_context(appointment, recipient)
    context["soon"] = item.base == REMINDER_1H
    if item.base == READINESS:
        base = current_app.config["BASE_URL"].rstrip("/")
        context["readiness_url"] = f"{base}/appointments/{appointment.id}/readiness"
        template = "readiness_request"
    else:
        template = "reminder"
    return recipient.email, SUBJECTS[item.base], template, context


def send_one(item, now):
    """Claim one due item and queue its email, together; 0 when another copy claimed it first
    or it is no longer due."""
    message = _email(item, now)
    if message is None:
        db.session.commit()  # end the read transaction (on SQLite it holds the write lock)
        return 0
    to, subject, template, context = message
    if not claim(item, lambda: queue_email(to, subject, template, **context)):
        return 0
    log.info("reminder queued appointment=%s kind=%s", item.appointment_id, item.kind)
    return 1


def send_due_reminders(now=None):
    """Queue every reminder due at `now` (default: the current time); returns how many."""
    now = now or utcnow()
    due = find_due(now)
    db.session.commit()  # end the read transaction before the first claim
    return sum(send_one(item, now) for item in due)
