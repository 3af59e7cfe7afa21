"""The therapist's writes about measurement-based care: a client's measure schedule (audited,
the caller commits)."""
from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.measure_schedule import MeasureSchedule
from portal.security.audit import record


def save_schedule(client, form, by):
    """Create, change or (with nothing chosen) remove the client's schedule. A change starts
    the every-N-days count again from now."""
    schedule = db.session.scalar(select(MeasureSchedule).where(
        MeasureSchedule.client_id == client.id))
    if not form.instruments:
        if schedule is not None:
            db.session.delete(schedule)
            record("measure_schedule_removed", actor=by, obj=("user", client.id))
        return None
    if schedule is None:
        schedule = MeasureSchedule(client_id=client.id)
        db.session.add(schedule)
    schedule.instruments = form.instruments
    schedule.every_days = form.every_days.data or None
    schedule.before_sessions = bool(form.before_sessions.data)
    schedule.after_dosing = bool(form.after_dosing.data)
    schedule.starts_at, schedule.updated_by_id = utcnow(), by.id
    db.session.flush()
    record("measure_schedule_saved", actor=by, obj=("user", client.id))
    return schedule
