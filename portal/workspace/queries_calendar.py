"""The therapist's own calendar: a week of sessions with dosing readiness and open safety flags,
their weekly hours and date overrides, their session types. Each therapist sees only their own;
a row of anyone else's gives 404."""
from datetime import UTC, datetime, timedelta

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.core.time import viewer_zone
from portal.core.vocabulary import arc_position
from portal.extensions import db
from portal.models.measure import SafetyFlag
from portal.models.schedule import (
    Appointment,
    AvailabilityOverride,
    AvailabilityRule,
    DosingReadiness,
    SessionType,
)
from portal.security.access import get_or_404_for
from portal.workspace.forms_calendar import WEEKDAYS


def local_today():
    """Today's date in the viewer's zone."""
    return datetime.now(viewer_zone()).date()


def own_row(therapist, model, object_id):
    """A row of the therapist's own availability or session types; 404 for anyone else's."""
    row = db.session.get(model, object_id)
    if row is None or row.therapist_id != therapist.id:
        abort(404)
    return row


def own_appointment(therapist, appointment_id):
    """A session the therapist holds (not one they only may read); 404 otherwise."""
    appointment = get_or_404_for(therapist, Appointment, appointment_id)
    if appointment.therapist_id != therapist.id:
        abort(404)
    return appointment


def week(therapist, first, zone):
    """Seven days from `first` in `zone`: {"days": [(date, [Appointment])], "readiness":
    {appointment id: answers}, "flagged": {client ids with an open safety flag}}."""
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=7), datetime.min.time(),
                           tzinfo=zone).astimezone(UTC)
    rows = db.session.scalars(select(Appointment).options(
        selectinload(Appointment.client), selectinload(Appointment.session_type)).where(
        Appointment.therapist_id == therapist.id, Appointment.starts_at >= start,
        Appointment.starts_at < end).order_by(Appointment.starts_at)).all()
    days = [(first + timedelta(days=i), []) for i in range(7)]
    for appointment in rows:
        days[(appointment.starts_at.astimezone(zone).date() - first).days][1].append(appointment)
    ids = [a.id for a in rows]
    readiness = {r.appointment_id: r.answers for r in db.session.scalars(select(
        DosingReadiness).where(DosingReadiness.appointment_id.in_(ids)))} if ids else {}
    flagged = set(db.session.scalars(select(SafetyFlag.client_id).where(
        SafetyFlag.client_id.in_({a.client_id for a in rows}),
        SafetyFlag.acknowledged_at.is_(None)))) if rows else set()
    return {"days": days, "readiness": readiness, "flagged": flagged}


def weekly_hours(therapist):
    """The therapist's weekly hours, by weekday and start."""
    return db.session.scalars(select(AvailabilityRule).where(
        AvailabilityRule.therapist_id == therapist.id).order_by(
        AvailabilityRule.weekday, AvailabilityRule.start_time)).all()


def availability(therapist, today):
    """{"by_day": [(weekday name, [AvailabilityRule])], "overrides": those from `today` on}."""
    rules = weekly_hours(therapist)
    overrides = db.session.scalars(select(AvailabilityOverride).where(
        AvailabilityOverride.therapist_id == therapist.id,
        AvailabilityOverride.day >= today).order_by(
        AvailabilityOverride.day, AvailabilityOverride.start_time)).all()
    return {"by_day": [(name, [r for r in rules if r.weekday == n])
                       for n, name in enumerate(WEEKDAYS)],
            "overrides": overrides}


def session_types(therapist):
    """The therapist's session types in the order of the arc of care."""
    types = db.session.scalars(select(SessionType).where(
        SessionType.therapist_id == therapist.id)).all()
    return sorted(types, key=lambda t: arc_position(t.kind))
