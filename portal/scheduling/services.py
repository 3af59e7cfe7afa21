"""Scheduling's writes, each with its audit record: booking, rescheduling and cancelling (race-free
and idempotent), a session's outcome, the default session types and the dosing-day answers. A
therapist books for their own client at any free time; a gate of the arc that would refuse the
client is overridden only with their reason (kept as a BookingOverride), a final one never.

The database has the last word on double booking (unique live start per therapist; on
PostgreSQL an exclusion constraint on overlapping blocks). On SQLite the transaction holds the
write lock from its first statement (BEGIN IMMEDIATE), so the free-slot re-check below cannot
race.

Transactions: these functions never commit; the caller owns the transaction, so that a view can
keep a refusal's audit record (commit) or drop a lost race (rollback), and tests and scripts can
compose them. Other areas hear of a change through the signal `appointment_changed`
(portal/core/signals.py), which `commit_change` sends only after its commit: video closes or
re-checks the room and tells the therapist's open pages. Just before that commit it sends
`appointment_changing`, in which notifications queues the emails to both people, so they are
part of the change's transaction.
Scheduling imports neither of them. Receivers run in the caller's request and must not raise:
the change is already committed.
"""
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.core.db import race_safe_insert
from portal.core.signals import appointment_changed, appointment_changing, readiness_saved
from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.schedule import (
    DEFAULT_TYPES,
    Appointment,
    BookingOverride,
    DosingReadiness,
    SessionType,
)
from portal.scheduling import gates, slots
from portal.security.audit import record


class BookingError(Exception):
    """A booking that cannot happen, with a message for the person."""


class GateRefused(BookingError):
    """A gate of the arc refused; `final` when not even the therapist may override it."""

    def __init__(self, message, final=False):
        super().__init__(message)
        self.final = final


class ReasonNeeded(GateRefused):
    """The therapist may book this for their client only with a reason for overriding."""


class SlotTaken(BookingError):
    def __init__(self, message, nearest):
        super().__init__(message)
        self.nearest = nearest


class PolicyWindow(BookingError):
    pass


def commit_change(appointment, change, message=None):
    """Commit the caller's transaction, then tell the other areas: `change` is "booked",
    "rescheduled", "cancelled", "completed" or "no_show"; `message` is a therapist's note.
    Just before the commit, `appointment_changing` lets them add rows to it (the emails)."""
    app = current_app._get_current_object()
    appointment_changing.send(app, appointment=appointment, change=change, message=message)
    db.session.commit()
    appointment_changed.send(app, appointment=appointment, change=change, message=message)


def ensure_default_types(therapist):
    """The four session types of the KAP arc, created once per therapist; when two first visits
    race, the other's rows win (unique therapist and kind) and ours are dropped."""
    existing = {t.kind for t in db.session.scalars(select(SessionType).where(
        SessionType.therapist_id == therapist.id))}
    missing = [SessionType(
        therapist_id=therapist.id, kind=kind.value, name=name, duration_min=minutes,
        modality=modality.value, buffer_before_min=30 if kind == SessionKind.DOSING else 0,
        buffer_after_min=30 if kind == SessionKind.DOSING else 10,
        location=current_app.config.get("PRACTICE_ADDRESS") if kind == SessionKind.DOSING else None)
        for kind, name, minutes, modality in DEFAULT_TYPES if kind.value not in existing]
    if missing:
        race_safe_insert(lambda: db.session.add_all(missing))


def _lost_race(exc):
    """The database refused the row: a constraint, or (PostgreSQL) a deadlock between two
    inserters checking the exclusion constraint against each other's rows (SQLSTATE 40P01)."""
    return isinstance(exc, IntegrityError) or getattr(exc.orig, "sqlstate", None) == "40P01"


def _taken(session_type, start, now, ignore_id=None, limits=True):
    return SlotTaken("This time was just taken. Here are the nearest free times.",
                     slots.nearest_free(session_type, start, now=now, ignore_id=ignore_id,
                                        limits=limits))


def _block(session_type, start):
    end = start + timedelta(minutes=session_type.duration_min)
    return (end, start - timedelta(minutes=session_type.buffer_before_min),
            end + timedelta(minutes=session_type.buffer_after_min))


def _same_key(client, idempotency_key):
    return db.session.scalar(select(Appointment).where(
        Appointment.client_id == client.id, Appointment.idempotency_key == idempotency_key))


def _gate(client, session_type, now, by, override):
    """The refusal being overridden (or None). Clients meet every gate; the therapist booking
    for their own client may override a refusal with a reason, never a final refusal."""
    if by is None or by.id == client.id:
        reason = gates.refusal(client, session_type, now=now)
        if reason:
            record("booking_refused", actor=client, obj=("session_type", session_type.id),
                   outcome="failure", detail="gate")
            raise GateRefused(reason)
        return None
    if by.id != session_type.therapist_id or by.id != client.therapist_id:
        raise BookingError("You can book your own sessions for your own clients only.")
    final = gates.final_refusal(client, session_type)
    if final:
        record("booking_refused", actor=by, obj=("user", client.id), outcome="failure",
               detail="final gate")
        raise GateRefused(final, final=True)
    reason = gates.refusal(client, session_type, now=now)
    if reason and not (override or "").strip():
        raise ReasonNeeded(reason)
    return reason


def book(client, session_type, start, idempotency_key, now=None, by=None, override=None):
    """Book `start` (UTC) for `client`; the same idempotency key returns the same booking.
    `by`: the therapist booking for their client at any free time of theirs, with `override`,
    their reason, when a gate refuses (kept with the booking and audited)."""
    now = now or datetime.now(UTC)
    existing = _same_key(client, idempotency_key)
    if existing is not None:
        return existing
    overridden = _gate(client, session_type, now, by, override)
    limits = by is None or by.id == client.id
    if not slots.is_free(session_type, start, now=now, limits=limits):
        # Under READ COMMITTED (PostgreSQL) our own retry may have committed the slot between
        # the key lookup above and this check: that is the same booking, not a lost race.
        same = _same_key(client, idempotency_key)
        if same is not None:
            return same
        raise _taken(session_type, start, now, limits=limits)
    end, block_start, block_end = _block(session_type, start)
    appointment = Appointment(
        therapist_id=session_type.therapist_id, client_id=client.id, session_type=session_type,
        kind=session_type.kind, modality=session_type.modality, location=session_type.location,
        starts_at=start, ends_at=end, block_start=block_start, block_end=block_end,
        idempotency_key=idempotency_key, created_at=now, updated_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(appointment)
    except (IntegrityError, OperationalError) as exc:
        if not _lost_race(exc):
            raise
        # Lost a race: either our own retry (same key) or someone else's booking of the slot.
        same = _same_key(client, idempotency_key)
        if same is not None:
            return same
        raise _taken(session_type, start, now, limits=limits) from None
    record("appointment_booked", actor=by or client, obj=("appointment", appointment.id),
           detail=session_type.kind)
    if overridden:
        db.session.add(BookingOverride(appointment_id=appointment.id, by_id=by.id,
                                       refusal=overridden, reason=override.strip()))
        record("booking_gate_overridden", actor=by, obj=("appointment", appointment.id),
               detail=session_type.kind)
    return appointment


def _check_client_window(appointment, by, now):
    if by.id == appointment.client_id and appointment.starts_at - now < gates.policy_window():
        hours = int(gates.policy_window().total_seconds() // 3600)
        raise PolicyWindow(f"Sessions can be changed online up to {hours} hours before they "
                           "start. Please contact your therapist to change this one.")


def cancel(appointment, by, message=None, now=None):
    now = now or datetime.now(UTC)
    if not appointment.live or appointment.status != AppointmentStatus.BOOKED.value:
        raise BookingError("This session is not booked any more.")
    _check_client_window(appointment, by, now)
    appointment.status = AppointmentStatus.CANCELLED.value
    appointment.cancelled_at = appointment.status_changed_at = appointment.updated_at = now
    appointment.cancelled_by_id = by.id
    appointment.cancel_message = message or None
    appointment.sequence += 1
    record("appointment_cancelled", actor=by, obj=("appointment", appointment.id))
    return appointment


def reschedule(appointment, new_start, by, now=None):
    """Move a booked appointment (same UID, SEQUENCE bumped) to a free time."""
    now = now or datetime.now(UTC)
    if appointment.status != AppointmentStatus.BOOKED.value:
        raise BookingError("Only booked sessions can be moved.")
    _check_client_window(appointment, by, now)
    session_type = appointment.session_type
    if by.id == appointment.client_id:
        reason = gates.refusal(appointment.client, session_type, now=now, moving=appointment)
        if reason:
            raise GateRefused(reason)
    if not slots.is_free(session_type, new_start, now=now, ignore_id=appointment.id):
        raise _taken(session_type, new_start, now, ignore_id=appointment.id)
    end, block_start, block_end = _block(session_type, new_start)
    try:
        with db.session.begin_nested():
            appointment.starts_at, appointment.ends_at = new_start, end
            appointment.block_start, appointment.block_end = block_start, block_end
            appointment.sequence += 1
            appointment.updated_at = now
    except (IntegrityError, OperationalError) as exc:
        if not _lost_race(exc):
            raise
        raise _taken(session_type, new_start, now, ignore_id=appointment.id) from None
    record("appointment_rescheduled", actor=by, obj=("appointment", appointment.id))
    return appointment


def set_outcome(appointment, status, by, now=None, started_at=None):
    """Therapists: mark a session completed or a no-show (after it started). A session starts
    at its booked time, or earlier at `started_at` (a video call that connected early)."""
    now = now or datetime.now(UTC)
    if status not in (AppointmentStatus.COMPLETED.value, AppointmentStatus.NO_SHOW.value):
        raise BookingError("Unknown outcome.")
    if appointment.status == AppointmentStatus.CANCELLED.value:
        raise BookingError("A cancelled session cannot be marked.")
    started = min(appointment.starts_at, started_at or appointment.starts_at)
    if started > now:
        raise BookingError("A session can be marked only once it has started.")
    appointment.status = status
    appointment.status_changed_at = appointment.updated_at = now
    record(f"appointment_{status}", actor=by, obj=("appointment", appointment.id))
    return appointment


def save_readiness(appointment, answers, by, now=None):
    """Clients: the dosing-day answers of one appointment; a second submit updates them, and of
    two simultaneous first submits the later one updates the winner's row."""
    def saved():
        return db.session.scalar(select(DosingReadiness).where(
            DosingReadiness.appointment_id == appointment.id))
    row = saved()
    if row is not None or not race_safe_insert(lambda: db.session.add(
            DosingReadiness(appointment_id=appointment.id, answers=answers))):
        row = row or saved()
        row.answers, row.submitted_at = answers, now or utcnow()
    record("dosing_readiness_submitted", actor=by, obj=("appointment", appointment.id))


def commit_readiness(appointment):
    """Commit the caller's transaction (the answers), then tell the other areas: dosing raises
    a concern flag for a "no" (portal/dosing/services_readiness.py)."""
    db.session.commit()
    readiness_saved.send(current_app._get_current_object(), appointment=appointment)
