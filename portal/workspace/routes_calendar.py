"""Therapist pages: the week calendar, weekly hours and date overrides, session-type settings
and marking sessions completed or missed. Each therapist (or admin) sees and changes only their
own calendar; every change is audited.
"""
from datetime import UTC, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.time import viewer_zone
from portal.core.vocabulary import CLINICIANS, AppointmentStatus
from portal.extensions import db
from portal.models.schedule import AvailabilityOverride, AvailabilityRule
from portal.scheduling import services as scheduling
from portal.scheduling.forms import parse_week
from portal.security.access import role_required
from portal.video import queries as video_queries
from portal.workspace import queries_calendar, services_calendar
from portal.workspace.blueprint import bp
from portal.workspace.forms_calendar import (
    WEEKDAYS,
    OutcomeForm,
    OverrideForm,
    SessionTypeForm,
    WeeklyHoursForm,
    wall,
)
from portal.workspace.queries_calendar import local_today


# --- the week calendar ----------------------------------------------------------------------
@bp.get("/calendar")
@role_required(*CLINICIANS)
def calendar():
    """Therapists: a week of their sessions day by day in their zone, starting today."""
    zone, today = viewer_zone(), local_today()
    first = parse_week(request.args.get("week"), today)
    return render_template("workspace/calendar.html", **queries_calendar.week(current_user, first, zone),
                           first=first, today=today, previous=first - timedelta(days=7),
                           following=first + timedelta(days=7), now=datetime.now(UTC))


@bp.post("/appointments/<int:appointment_id>/status")
@role_required(*CLINICIANS)
def appointment_status(appointment_id):
    """Therapists: mark one of their sessions completed or a no-show (after it started)."""
    appointment = queries_calendar.own_appointment(current_user, appointment_id)
    form = OutcomeForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        scheduling.set_outcome(appointment, form.status.data, by=current_user,
                               started_at=video_queries.first_connected_at(appointment.id))
    except scheduling.BookingError as exc:
        flash(str(exc), "error")
    else:
        scheduling.commit_change(appointment, form.status.data)
        label = "completed" if form.status.data == AppointmentStatus.COMPLETED else "a no-show"
        flash(f"Marked as {label}.", "success")
    week = appointment.starts_at.astimezone(viewer_zone()).date()
    return redirect(url_for("workspace.calendar", week=week.isoformat()))


# --- weekly hours and date overrides --------------------------------------------------------
def render_availability(hours_form=None, override_form=None, status=200):
    return render_template(
        "workspace/availability.html", **queries_calendar.availability(current_user, local_today()),
        wall=wall, hours_form=hours_form or WeeklyHoursForm(prefix="hours", formdata=None),
        override_form=override_form or OverrideForm(prefix="override", formdata=None)), status


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
    form.existing = queries_calendar.weekly_hours(current_user)
    if not form.validate_on_submit():
        return render_availability(hours_form=form, status=400)
    services_calendar.add_hours(current_user, form.weekday.data, form.start.data, form.end.data)
    db.session.commit()
    flash(f"Added {WEEKDAYS[form.weekday.data]}s from {wall(form.start.data)} to "
          f"{wall(form.end.data)}.", "success")
    return redirect(url_for("workspace.availability"))


@bp.post("/availability/hours/<int:rule_id>/delete")
@role_required(*CLINICIANS)
def remove_hours(rule_id):
    """Therapists: remove one range of their weekly hours."""
    rule = queries_calendar.own_row(current_user, AvailabilityRule, rule_id)
    services_calendar.remove_hours(current_user, rule)
    db.session.commit()
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
    services_calendar.add_override(current_user, form.day.data, form.available.data == "extra",
                                   form.start.data, form.end.data, form.note.data)
    db.session.commit()
    flash(f"Saved the change for {form.day.data:%A %d %B %Y}.", "success")
    return redirect(url_for("workspace.availability"))


@bp.post("/availability/overrides/<int:override_id>/delete")
@role_required(*CLINICIANS)
def remove_override(override_id):
    """Therapists: delete one date override."""
    override = queries_calendar.own_row(current_user, AvailabilityOverride, override_id)
    services_calendar.remove_override(current_user, override)
    db.session.commit()
    flash("That date change was removed.", "success")
    return redirect(url_for("workspace.availability"))


# --- session types --------------------------------------------------------------------------
def own_types():
    """The therapist's session types, the defaults created (and committed) the first time."""
    scheduling.ensure_default_types(current_user)
    db.session.commit()
    return queries_calendar.session_types(current_user)


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
    services_calendar.save_session_type(chosen, form, current_user)
    db.session.commit()
    flash(f"{chosen.name}: saved.", "success")
    return redirect(url_for("workspace.session_types") + f"#type-{chosen.id}")
