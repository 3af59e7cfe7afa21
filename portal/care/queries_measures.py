"""Read models of the client's scores page: their own charts (the same text alternative as the
therapist's, without the dosing marks), response and remission, and the check-ins waiting."""
from datetime import timedelta

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.care import schedules
from portal.care.postdosing import COUNTED_STATUSES
from portal.core import chart
from portal.core.time import viewer_zone
from portal.core.vocabulary import (
    MEASURE_BEFORE_SESSION,
    SCHEDULABLE_MEASURES,
    AppointmentStatus,
    SessionKind,
)
from portal.extensions import db
from portal.models.measure import MeasureResult
from portal.models.measure_schedule import MeasureSchedule
from portal.models.schedule import Appointment


def results_of(client):
    return db.session.scalars(select(MeasureResult).where(MeasureResult.client_id == client.id)
                              .order_by(MeasureResult.taken_at, MeasureResult.id)).all()


def my_scores(client, waiting=()):
    """The page's data: a series per instrument with scores (PHQ-9 and GAD-7 always)."""
    return {"series": chart.build_series(results_of(client), tz=viewer_zone(), id_prefix="mine"),
            "waiting": list(waiting)}


def schedule_of(client):
    return db.session.scalar(select(MeasureSchedule).where(MeasureSchedule.client_id == client.id))


def open_occasions(schedule, now):
    """[(Occasion, [missing instruments])] of a client's schedule at `now`, completed or not."""
    client_id = schedule.client_id
    horizon = now + MEASURE_BEFORE_SESSION
    sessions = db.session.scalars(select(Appointment).where(
        Appointment.client_id == client_id, Appointment.status == AppointmentStatus.BOOKED.value,
        Appointment.kind.in_((SessionKind.PREPARATION.value, SessionKind.INTEGRATION.value)),
        Appointment.starts_at > now, Appointment.starts_at <= horizon)).all()
    dosings = db.session.scalars(select(Appointment).options(selectinload(Appointment.client))
                                 .where(Appointment.client_id == client_id,
                                        Appointment.kind == SessionKind.DOSING.value,
                                        Appointment.status.in_(COUNTED_STATUSES),
                                        Appointment.starts_at > now - timedelta(days=5),
                                        Appointment.starts_at <= now)).all()
    found = schedules.occasions(schedule, sessions, dosings, now)
    if not found:
        return []
    since = min(o.opened for o in found)
    taken = {}
    for instrument, when in db.session.execute(select(
            MeasureResult.instrument, MeasureResult.taken_at).where(
            MeasureResult.client_id == client_id, MeasureResult.taken_at >= since)):
        taken.setdefault(instrument, []).append(when)
    return [(o, schedules.missing(o, schedule.instruments, taken)) for o in found]


def waiting(client, now):
    """The check-ins the client's schedule asks for now: [{"label", "url"}], one per page."""
    schedule = schedule_of(client)
    if schedule is None:
        return []
    keys = {key for _, missing in open_occasions(schedule, now) for key in missing}
    pages = {}
    for key in SCHEDULABLE_MEASURES:
        if key in keys:
            pages.setdefault(schedules.PAGES[key], []).append(key)
    labels = {"care.checkin": "Mood and worry check-in (PHQ-9 and GAD-7)",
              "care.pcl5": "After a very stressful experience (PCL-5)",
              "care.cssrs_screener": "A few questions about your safety (C-SSRS screener)"}
    return [{"label": labels[page], "url": url_for(page)} for page in pages]
