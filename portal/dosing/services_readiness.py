"""Readiness concerns: a concern flag (SafetyFlag, kind readiness, severity concern) for a "no"
to a dosing-day readiness question, raised when the answers are saved (the receiver of the
signal readiness_saved), or for answers still missing by the morning of the session, raised by
`flask send-reminders` (raise_due_concerns). Shown on the dosing record and the dashboard.

One flag per new reason and session: running again raises nothing twice, and a reason already
acknowledged is not raised again; a new reason gets a flag of its own.
"""
import logging
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.core.time import utcnow, zone_of
from portal.core.vocabulary import (
    AppointmentStatus,
    FlagKind,
    Modality,
    SessionKind,
    Severity,
    Source,
)
from portal.dosing import readiness
from portal.dosing.queries import concern_reasons, readiness_flags
from portal.extensions import db
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment, DosingReadiness
from portal.security.audit import record as audit
from portal.workspace.flags import readiness_code

log = logging.getLogger(__name__)
LOOKBACK = timedelta(hours=12)  # sessions that started this long ago are still checked


def raise_concern(appointment, answers, now):
    """Raise a concern flag for the session's new reasons at `now`; the flag, or None."""
    deadline = readiness.deadline_of(appointment.starts_at, zone_of(appointment.therapist))
    reasons = readiness.reasons_of(answers, now, deadline)
    fresh = readiness.new_reasons(reasons, concern_reasons(readiness_flags(appointment)))
    if not fresh:
        return None
    flag = SafetyFlag(client_id=appointment.client_id, kind=FlagKind.READINESS.value,
                      severity=Severity.CONCERN.value, source=Source.READINESS.value,
                      code=readiness_code(appointment.id, fresh), created_at=now)
    db.session.add(flag)
    db.session.flush()
    audit("safety_flag_raised", obj=("safety_flag", flag.id), detail="readiness")
    log.info("readiness concern raised appointment=%s flag=%s", appointment.id, flag.id)
    return flag


def on_readiness_saved(_sender, appointment, **_):
    """Receiver of readiness_saved (the client's answers are committed): a "no" raises a
    concern at once. Must not raise: the answers are already saved."""
    try:
        found = db.session.scalar(select(DosingReadiness).where(
            DosingReadiness.appointment_id == appointment.id))
        if found is not None and raise_concern(appointment, found.answers, utcnow()):
            db.session.commit()
    except Exception:  # the next `flask send-reminders` run raises it instead
        db.session.rollback()
        log.exception("readiness concern not raised appointment=%s", appointment.id)


def raise_due_concerns(now=None):
    """`flask send-reminders`: concerns for booked in-person dosing sessions from the morning
    of the day (answers missing, or a "no" not raised yet) until they are over. Commits; returns
    how many flags were raised."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Appointment, DosingReadiness)
        .options(selectinload(Appointment.therapist))
        .outerjoin(DosingReadiness, DosingReadiness.appointment_id == Appointment.id)
        .where(Appointment.kind == SessionKind.DOSING.value,
               Appointment.modality == Modality.IN_PERSON.value,
               Appointment.status == AppointmentStatus.BOOKED.value,
               Appointment.starts_at > now - LOOKBACK,
               Appointment.starts_at <= now + timedelta(days=1))
        .order_by(Appointment.starts_at)).all()
    raised = 0
    for appointment, answers in rows:
        if raise_concern(appointment, answers.answers if answers else None, now):
            raised += 1
    db.session.commit()
    return raised
