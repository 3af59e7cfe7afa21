"""Therapist pages: the week calendar, weekly hours and date overrides, session-type settings
and marking sessions completed or missed. Each therapist (or admin) sees and changes only their
own calendar; every change is audited.
"""
from datetime import UTC, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.core.time import viewer_zone
from portal.core.vocabulary import AppointmentStatus, Role, arc_position
from portal.extensions import db
from portal.models.measure import SafetyFlag
from portal.models.schedule import (
    Appointment,
    AvailabilityOverride,
    AvailabilityRule,
    DosingReadiness,
    SessionType,
)
from portal.scheduling import services
from portal.scheduling.forms import (
    WEEKDAYS,
    OutcomeForm,
    OverrideForm,
    SessionTypeForm,
    WeeklyHoursForm,
    parse_week,
    wall,
)
from portal.security.access import get_or_404_for, role_required
from portal.security.audit import record
from portal.workspace.blueprint import bp

CLINICIANS = (Role.THERAPIST, Role.ADMIN)


def own(model, object_id):
    """A row of the current therapist's own availability; 404 for anyone else's."""
    row = db.session.get(model, object_id)
    if row is None or row.therapist_id != current_user.id:
        abort(404)
    return row


def local_today():
    return datetime.now(viewer_zone()).date()


# --- the week calendar ----------------------------------------------------------------------
def week_appointments(first, zone):
    start = datetime.combine(first, datetime.min.time(), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=7), datetime.min.time(),
                           tzinfo=zone).astimezone(UTC)
    return db.session.scalars(select(Appointment).options(
        selectinload(Appointment.client), selectinload(Appointment.session_type)).where(
        Appointment.therapist_id == current_user.id, Appointment.starts_at >= start,
        Appointment.starts_at < end).order_by(Appointment.starts_at)).all()


@bp.get("/calendar")
@role_required(*CLINICIANS)
def calendar():
    """Therapists: a week of their sessions day by day in their zone, starting today."""
    zone, today = viewer_zone(), local_today()
    first = parse_week(request.args.get("week"), today)
    rows = week_appointments(first, zone)
    days = [(first + timedelta(days=i), []) for i in range(7)]
    for appointment in rows:
        days[(appointment.starts_at.astimezone(zone).date() - first).days][1].append(appointment)
    ids = [a.id for a in rows]
    readiness = {r.appointment_id: r.answers for r in db.session.scalars(select(
        DosingReadiness).where(DosingReadiness.appointment_id.in_(ids)))} if ids else {}
    flagged = set(db.session.scalars(select(SafetyFlag.client_id).where(
        SafetyFlag.client_id.in_({a.client_id for a in rows}),
        SafetyFlag.acknowledged_at.is_(None)))) if rows else set()
    return render_template("workspace/calendar.html", days=days, first=first, today=today,
                           previous=first - timedelta(days=7), following=first + timedelta(days=7),
                           readiness=readiness, flagged=flagged, now=datetime.now(UTC))


@bp.post("/appointments/<int:appointment_id>/status")
@role_required(*CLINICIANS)
def appointment_status(appointment_id):
    """Therapists: mark one of their sessions completed or a no-show (after it started)."""
    appointment = get_or_404_for(current_user, Appointment, appointment_id)
    if appointment.therapist_id != current_user.id:
        abort(404)
    form = OutcomeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        services.set_outcome(appointment, form.status.data, by=current_user)
    except services.BookingError as exc:
        flash(str(exc), "error")
    else:
        db.session.commit()
        label = "completed" if form.status.data == AppointmentStatus.COMPLETED.value \
            else "a no-show"
        flash(f"Marked as {label}.", "success")
    week = appointment.starts_at.astimezone(viewer_zone()).date()
    return redirect(url_for("workspace.calendar", week=week.isoformat()))


# --- weekly hours and date overrides --------------------------------------------------------
def render_availability(hours_form=None, override_form=None, status=200):
    rules = db.session.scalars(select(AvailabilityRule).where(
        AvailabilityRule.therapist_id == current_user.id).order_by(
        AvailabilityRule.weekday, AvailabilityRule.start_time)).all()
    overrides = db.session.scalars(select(AvailabilityOverride).where(
        AvailabilityOverride.therapist_id == current_user.id,
        AvailabilityOverride.day >= local_today()).order_by(
        AvailabilityOverride.day, AvailabilityOverride.start_time)).all()
    by_day = [(name, [r for r in rules if r.weekday == n]) for n, name in enumerate(WEEKDAYS)]
    return render_template(
        "workspace/availability.html", by_day=by_day, overrides=overrides, wall=wall,
        hours_form=hours_form or WeeklyHoursForm(prefix="hours", formdata=None),
        override_form=override_form or OverrideForm(prefix="override", formdata=None)), status


def changed(detail):
    record("availability_changed", actor=current_user, obj=("user", current_user.id),
           detail=detail)
    db.session.commit()


@bp.get("/availability")
@role_required(*CLINICIANS)
def availability():
    """Therapists: their weekly hours and date overrides, in their own time zone."""
    return render_availability()


@bp.post("/availability")
@role_required(*CLINICIANS)
def add_hours():
    """Therapists: add a range of weekly hours (no overlap with the day's other ranges)."""
    form = WeeklyHoursForm(prefix="hours")
    form.existing = db.session.scalars(select(AvailabilityRule).where(
        AvailabilityRule.therapist_id == current_user.id)).all()
    if not form.validate_on_submit():
        return render_availability(hours_form=form, status=400)
    db.session.add(AvailabilityRule(therapist_id=current_user.id, weekday=form.weekday.data,
                                    start_time=form.start.data, end_time=form.end.data))
    changed("weekly_hours_added")
    flash(f"Added {WEEKDAYS[form.weekday.data]}s from {wall(form.start.data)} to "
          f"{wall(form.end.data)}.", "success")
    return redirect(url_for("workspace.availability"))


@bp.post("/availability/hours/<int:rule_id>/delete")
@role_required(*CLINICIANS)
def remove_hours(rule_id):
    """Therapists: remove one range of their weekly hours."""
    db.session.delete(own(AvailabilityRule, rule_id))
    changed("weekly_hours_removed")
    flash("Those hours were removed.", "success")
    return redirect(url_for("workspace.availability"))


@bp.post("/availability/overrides")
@role_required(*CLINICIANS)
def add_override():
    """Therapists: a day off or holiday (or some hours off), or extra hours on a date."""
    form = OverrideForm(prefix="override")
    form.today = local_today()
    if not form.validate_on_submit():
        return render_availability(override_form=form, status=400)
    db.session.add(AvailabilityOverride(
        therapist_id=current_user.id, day=form.day.data,
        available=form.available.data == "extra", start_time=form.start.data,
        end_time=form.end.data, note=(form.note.data or "").strip() or None))
    changed("override_added")
    flash(f"Saved the change for {form.day.data:%A %d %B %Y}.", "success")
    return redirect(url_for("workspace.availability"))


@bp.post("/availability/overrides/<int:override_id>/delete")
@role_required(*CLINICIANS)
def remove_override(override_id):
    """Therapists: delete one date override."""
    db.session.delete(own(AvailabilityOverride, override_id))
    changed("override_removed")
    flash("That date change was removed.", "success")
    return redirect(url_for("workspace.availability"))


# --- session types --------------------------------------------------------------------------
def own_types():
    services.ensure_default_types(current_user)
    db.session.commit()
    types = db.session.scalars(select(SessionType).where(
        SessionType.therapist_id == current_user.id)).all()
    return sorted(types, key=lambda t: arc_position(t.kind))


def render_types(types, submitted=None, status=200):
    """Every type with its form; `submitted` is the (type id, form) that failed validation."""
    forms = []
    for session_type in types:
        if submitted and submitted[0] == session_type.id:
            forms.append((session_type, submitted[1]))
            continue
        form = SessionTypeForm(prefix=f"type{session_type.id}", formdata=None)
        form.load(session_type)
        forms.append((session_type, form))
    return render_template("workspace/session_types.html", forms=forms), status


@bp.get("/session-types")
@role_required(*CLINICIANS)
def session_types():
    """Therapists: the settings of each kind of session they offer."""
    return render_types(own_types())


@bp.post("/session-types")
@role_required(*CLINICIANS)
def save_session_type():
    """Therapists: save one session type's settings (the form says which)."""
    types = own_types()
    chosen = next((t for t in types if str(t.id) == request.form.get("type_id")), None)
    if chosen is None:
        abort(404)
    form = SessionTypeForm(prefix=f"type{chosen.id}")
    if not form.validate_on_submit():
        return render_types(types, submitted=(chosen.id, form), status=400)
    form.save(chosen)
    record("session_type_changed", actor=current_user, obj=("session_type", chosen.id))
    db.session.commit()
    flash(f"{chosen.name}: saved.", "success")
    return redirect(url_for("workspace.session_types") + f"#type-{chosen.id}")
