"""The therapist's changes to their own calendar: weekly hours, date overrides and the settings of
their session types. Each change adds its audit record; the caller commits. (The default session
types and a session's outcome, completed or no-show, are portal.scheduling.services'.)"""
from portal.extensions import db
from portal.models.schedule import AvailabilityOverride, AvailabilityRule
from portal.security.audit import record


def _availability_changed(therapist, detail):
    record("availability_changed", actor=therapist, obj=("user", therapist.id), detail=detail)


def add_hours(therapist, weekday, start, end):
    """A range of weekly hours (the form has checked it overlaps no other range that day)."""
    db.session.add(AvailabilityRule(therapist_id=therapist.id, weekday=weekday,
                                    start_time=start, end_time=end))
    _availability_changed(therapist, "weekly_hours_added")


def remove_hours(therapist, rule):
    db.session.delete(rule)
    _availability_changed(therapist, "weekly_hours_removed")


def add_override(therapist, day, extra, start, end, note):
    """A day (or some hours) off when `extra` is false; extra hours on that day when true."""
    db.session.add(AvailabilityOverride(therapist_id=therapist.id, day=day, available=extra,
                                        start_time=start, end_time=end,
                                        note=(note or "").strip() or None))
    _availability_changed(therapist, "override_added")


def remove_override(therapist, override):
    db.session.delete(override)
    _availability_changed(therapist, "override_removed")


def save_session_type(session_type, form, by):
    """One session type's settings from its validated form."""
    form.save(session_type)
    record("session_type_changed", actor=by, obj=("session_type", session_type.id))
