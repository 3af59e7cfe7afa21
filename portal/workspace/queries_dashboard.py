"""The therapist dashboard's queries: one query per section, whatever the number of clients.

Each function takes the therapist (and, where time matters, `now` as aware UTC) and returns rows
ready for the template; related rows (the client, the readiness answers) come in the same query
through joins.
"""
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import contains_eager, load_only

from portal.core.vocabulary import (
    CHECKIN_GAP,
    URGENT_SEVERITIES,
    AppointmentStatus,
    FlagKind,
    IntakeStatus,
    Role,
    SessionKind,
    Severity,
)
from portal.extensions import db
from portal.models.intake import Intake, ReviewDecision
from portal.models.measure import SafetyFlag, last_checkin_at
from portal.models.schedule import Appointment, DosingReadiness
from portal.models.user import User
from portal.video import queries as video_queries
from portal.workspace.flags import dashboard_title, readiness_parts, readiness_title, source_words

DOSING_WINDOW = timedelta(hours=72)


class UrgentFlag(NamedTuple):
    """An open urgent flag in the dashboard's one-line form."""

    flag: SafetyFlag
    badge: str
    title: str
    raised_from: str

class DosingRow(NamedTuple):
    appointment: Appointment
    readiness: DosingReadiness | None
    concerns: tuple = ()  # the session's open readiness concerns, in words


class QuietClient(NamedTuple):
    client: User
    last_checkin: datetime | None  # None: never checked in (the client's join date is shown)


def urgent_flags(therapist):
    """Open item-9 and other urgent flags, then open exclusion flags, oldest first within each
    group, with their words."""
    urgent_first = case((SafetyFlag.kind == FlagKind.ITEM9.value, 0),
                        (SafetyFlag.severity == Severity.URGENT.value, 0), else_=1)
    flags = db.session.scalars(
        select(SafetyFlag).join(SafetyFlag.client).options(contains_eager(SafetyFlag.client))
        .where(User.therapist_id == therapist.id, SafetyFlag.acknowledged_at.is_(None),
               or_(SafetyFlag.kind == FlagKind.ITEM9.value,
                   SafetyFlag.severity.in_([s.value for s in URGENT_SEVERITIES])))
        .order_by(urgent_first, SafetyFlag.created_at, SafetyFlag.id)).all()
    return [UrgentFlag(flag, *dashboard_title(flag), source_words(flag.source, short=True))
            for flag in flags]


def day_bounds(zone, now):
    """[start of today, start of the day after tomorrow) in `zone`, as UTC instants."""
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=2), time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def upcoming_sessions(therapist, zone, now):
    """Booked sessions today and tomorrow in the therapist's zone, with their clients."""
    start, end = day_bounds(zone, now)
    return db.session.scalars(
        select(Appointment).join(Appointment.client).options(contains_eager(Appointment.client))
        .where(Appointment.therapist_id == therapist.id,
               Appointment.status == AppointmentStatus.BOOKED.value,
               Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at)).all()


def intakes_to_review(therapist):
    """Submitted intakes of the therapist's clients with no review decision yet."""
    decided = select(ReviewDecision.id).where(ReviewDecision.intake_id == Intake.id).exists()
    return db.session.scalars(
        select(Intake).join(Intake.client).options(contains_eager(Intake.client))
        .where(User.therapist_id == therapist.id,
               Intake.status == IntakeStatus.SUBMITTED.value, ~decided)
        .order_by(Intake.submitted_at, Intake.id)).all()


def dosing_soon(therapist, now):
    """Booked dosing sessions in the next 72 hours with the client's readiness answers."""
    rows = db.session.execute(
        select(Appointment, DosingReadiness).join(Appointment.client)
        .options(contains_eager(Appointment.client))
        .outerjoin(DosingReadiness, DosingReadiness.appointment_id == Appointment.id)
        .where(Appointment.therapist_id == therapist.id,
               Appointment.kind == SessionKind.DOSING.value,
               Appointment.status == AppointmentStatus.BOOKED.value,
               Appointment.starts_at >= now, Appointment.starts_at < now + DOSING_WINDOW)
        .order_by(Appointment.starts_at)).all()
    concerns = readiness_concerns({appointment.client_id for appointment, _ in rows})
    return [DosingRow(appointment, readiness, tuple(concerns.get(appointment.id, ())))
            for appointment, readiness in rows]


def readiness_concerns(client_ids):
    """{appointment id: [words]} of the open readiness concern flags of these clients (one
    query, made even when there are none, so the page's query count stays the same)."""
    flags = db.session.scalars(select(SafetyFlag).where(
        SafetyFlag.client_id.in_(client_ids), SafetyFlag.kind == FlagKind.READINESS.value,
        SafetyFlag.acknowledged_at.is_(None)).order_by(SafetyFlag.created_at, SafetyFlag.id))
    found = {}
    for flag in flags:
        found.setdefault(readiness_parts(flag.code)[0], []).append(readiness_title(flag))
    return found


def quiet_clients(therapist, now, limit=None):
    """Active clients with no check-in (or intake measures) for 14 days, and those who never
    completed one, however recently they joined; longest silence first (a client who never
    checked in counts from when they joined), the first `limit` of them, and how many there
    are in all. The latest measure is a correlated subquery per client of this therapist, not
    a grouping of every practice's measures."""
    last = last_checkin_at(User.id)
    inner = (select(User.id.label("id"), last.label("last"),
                    func.coalesce(last, User.created_at).label("since"))
             .where(User.therapist_id == therapist.id, User.role == Role.CLIENT.value,
                    User.is_active_account.is_(True)).subquery())
    # count() OVER () is taken before LIMIT: how many in all, in the same query
    rows = db.session.execute(
        select(User, inner.c.last, func.count().over()).join(inner, inner.c.id == User.id)
        .options(load_only(User.id, User.name, User.timezone, User.created_at))
        .where(or_(inner.c.last.is_(None), inner.c.last < now - CHECKIN_GAP))
        .order_by(inner.c.since, User.id)
        .limit(limit)).all()
    return [QuietClient(user, taken) for user, taken, _ in rows], rows[0][2] if rows else 0


def sections(therapist, zone, now, quiet_limit=None):
    """Everything the dashboard shows, in the order it shows it."""
    sessions = upcoming_sessions(therapist, zone, now)
    quiet, quiet_total = quiet_clients(therapist, now, quiet_limit)
    return {"flags": urgent_flags(therapist),
            "sessions": sessions, "waiting": video_queries.waiting_states(sessions),
            "intakes": intakes_to_review(therapist),
            "dosing": dosing_soon(therapist, now),
            "quiet": quiet, "quiet_total": quiet_total}
