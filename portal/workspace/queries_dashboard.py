"""The therapist dashboard's queries: one query per section, whatever the number of clients.

Each function takes the therapist (and, where time matters, `now` as aware UTC) and returns rows
ready for the template: the columns the page shows and nothing else, the client's name joined in
the same query. Rows are plain result rows, not model instances: the page reads them once, so
the identity map, change tracking and the columns it does not show (and their decryption) would
be work for nothing. The statements are built once, at import, with bound parameters: a request
only binds its values (the statement and its cache key are not rebuilt per request).
"""
from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, case, func, null, or_, select

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
from portal.models.measure import CHECKIN_SOURCES, MeasureResult, SafetyFlag
from portal.models.schedule import Appointment, DosingReadiness
from portal.models.user import User
from portal.video import queries as video_queries
from portal.workspace.flags import (
    UNQUOTED_KINDS,
    dashboard_title,
    readiness_parts,
    readiness_title,
    source_words,
)

DOSING_WINDOW = timedelta(hours=72)
CLIENT_NAME = User.name.label("client_name")


def rows_of(statement, **params):
    """The rows of one of these statements, run on the session's connection (its transaction):
    they select columns, not models, so the session has nothing to load or track."""
    return db.session.connection().execute(statement, params).all()


class UrgentFlag(NamedTuple):
    """An open urgent flag in the dashboard's one-line form (`flag`: its row, with
    client_name)."""

    flag: object
    badge: str
    title: str
    raised_from: str


class DosingRow(NamedTuple):
    appointment: object  # id, client_id, client_name, starts_at
    answers: dict | None  # the readiness answers; None: not answered yet
    concerns: tuple = ()  # the session's open readiness concerns, in words


class QuietClient(NamedTuple):
    client: object  # id, name, created_at
    last_checkin: datetime | None  # None: never checked in (the client's join date is shown)


_URGENT_FLAGS = (
    select(SafetyFlag.id, SafetyFlag.client_id, SafetyFlag.kind, SafetyFlag.severity,
           SafetyFlag.code, SafetyFlag.source, SafetyFlag.created_at, CLIENT_NAME,
           # the answer is decrypted only for the flags whose title quotes it
           case((SafetyFlag.kind.in_(UNQUOTED_KINDS), null()),
                else_=SafetyFlag.answer).label("answer"))
    .join(User, User.id == SafetyFlag.client_id)
    .where(User.therapist_id == bindparam("therapist_id"), SafetyFlag.acknowledged_at.is_(None),
           or_(SafetyFlag.kind == FlagKind.ITEM9.value,
               SafetyFlag.severity.in_([s.value for s in URGENT_SEVERITIES])))
    .order_by(case((SafetyFlag.kind == FlagKind.ITEM9.value, 0),
                   (SafetyFlag.severity == Severity.URGENT.value, 0), else_=1),
              SafetyFlag.created_at, SafetyFlag.id))


def urgent_flags(therapist):
    """Open item-9 and other urgent flags, then open exclusion flags, oldest first within each
    group, with their words."""
    flags = rows_of(_URGENT_FLAGS, therapist_id=therapist.id)
    return [UrgentFlag(flag, *dashboard_title(flag), source_words(flag.source, short=True))
            for flag in flags]


def day_bounds(zone, now):
    """[start of today, start of the day after tomorrow) in `zone`, as UTC instants."""
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time(), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=2), time(), tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


_UPCOMING_SESSIONS = (
    select(Appointment.id, Appointment.client_id, Appointment.kind, Appointment.modality,
           Appointment.starts_at, CLIENT_NAME)
    .join(User, User.id == Appointment.client_id)
    .where(Appointment.therapist_id == bindparam("therapist_id"),
           Appointment.status == AppointmentStatus.BOOKED.value,
           Appointment.starts_at >= bindparam("start"), Appointment.starts_at < bindparam("end"))
    .order_by(Appointment.starts_at))


def upcoming_sessions(therapist, zone, now):
    """Booked sessions today and tomorrow in the therapist's zone, with their clients' names."""
    start, end = day_bounds(zone, now)
    return rows_of(_UPCOMING_SESSIONS, therapist_id=therapist.id, start=start, end=end)


_INTAKES_TO_REVIEW = (
    select(Intake.client_id, Intake.submitted_at, CLIENT_NAME)
    .join(User, User.id == Intake.client_id)
    .where(User.therapist_id == bindparam("therapist_id"),
           Intake.status == IntakeStatus.SUBMITTED.value,
           ~select(ReviewDecision.id).where(ReviewDecision.intake_id == Intake.id).exists())
    .order_by(Intake.submitted_at, Intake.id))


def intakes_to_review(therapist):
    """Submitted intakes of the therapist's clients with no review decision yet."""
    return rows_of(_INTAKES_TO_REVIEW, therapist_id=therapist.id)


_DOSING_SOON = (
    select(Appointment.id, Appointment.client_id, Appointment.starts_at, CLIENT_NAME,
           DosingReadiness.answers)
    .join(User, User.id == Appointment.client_id)
    .outerjoin(DosingReadiness, DosingReadiness.appointment_id == Appointment.id)
    .where(Appointment.therapist_id == bindparam("therapist_id"),
           Appointment.kind == SessionKind.DOSING.value,
           Appointment.status == AppointmentStatus.BOOKED.value,
           Appointment.starts_at >= bindparam("now"), Appointment.starts_at < bindparam("until"))
    .order_by(Appointment.starts_at))


def dosing_soon(therapist, now):
    """Booked dosing sessions in the next 72 hours with the client's readiness answers."""
    rows = rows_of(_DOSING_SOON, therapist_id=therapist.id, now=now, until=now + DOSING_WINDOW)
    concerns = readiness_concerns({row.client_id for row in rows})
    return [DosingRow(row, row.answers, tuple(concerns.get(row.id, ()))) for row in rows]


_READINESS_CONCERNS = (
    select(SafetyFlag.code)
    .where(SafetyFlag.client_id.in_(bindparam("client_ids", expanding=True)),
           SafetyFlag.kind == FlagKind.READINESS.value, SafetyFlag.acknowledged_at.is_(None))
    .order_by(SafetyFlag.created_at, SafetyFlag.id))


def readiness_concerns(client_ids):
    """{appointment id: [words]} of the open readiness concern flags of these clients (one
    query, made even when there are none, so the page's query count stays the same)."""
    found = {}
    for flag in rows_of(_READINESS_CONCERNS, client_ids=list(client_ids)):
        found.setdefault(readiness_parts(flag.code)[0], []).append(readiness_title(flag))
    return found


def _quiet_clients_statement():
    """The active clients of a therapist with no check-in since `cutoff` (an index seek per
    client: none at or after the cutoff), with the time of their latest one (for the quiet ones
    only: the newest of their measures on the client-and-time index, the first of a check-in
    source; what last_checkin_at finds, without reading all of them), longest silence first;
    count() OVER () is taken before LIMIT: how many there are in all, in the same query."""
    checkins = (MeasureResult.client_id == User.id, MeasureResult.source.in_(CHECKIN_SOURCES))
    heard_since = select(MeasureResult.id).where(
        *checkins, MeasureResult.taken_at >= bindparam("cutoff")).exists()
    latest = (select(MeasureResult.taken_at).where(*checkins)
              .order_by(MeasureResult.taken_at.desc()).limit(1).scalar_subquery())
    clients = (select(User.id, User.name, User.created_at, latest.label("last"))
               .where(User.therapist_id == bindparam("therapist_id"),
                      User.role == Role.CLIENT.value, User.is_active_account.is_(True),
                      ~heard_since)
               .subquery())
    return (select(clients.c.id, clients.c.name, clients.c.created_at, clients.c.last,
                   func.count().over().label("total"))
            .order_by(func.coalesce(clients.c.last, clients.c.created_at), clients.c.id))


_QUIET_CLIENTS = _quiet_clients_statement()
_QUIET_CLIENTS_FIRST = _QUIET_CLIENTS.limit(bindparam("limit"))


def quiet_clients(therapist, now, limit=None):
    """Active clients with no check-in (or intake measures) for 14 days, and those who never
    completed one, however recently they joined; longest silence first (a client who never
    checked in counts from when they joined), the first `limit` of them, and how many there
    are in all."""
    rows = rows_of(_QUIET_CLIENTS if limit is None else _QUIET_CLIENTS_FIRST,
                   therapist_id=therapist.id, cutoff=now - CHECKIN_GAP, limit=limit)
    return [QuietClient(row, row.last) for row in rows], rows[0].total if rows else 0


def sections(therapist, zone, now, quiet_limit=None):
    """Everything the dashboard shows, in the order it shows it."""
    sessions = upcoming_sessions(therapist, zone, now)
    quiet, quiet_total = quiet_clients(therapist, now, quiet_limit)
    return {"flags": urgent_flags(therapist),
            "sessions": sessions,
            "waiting": video_queries.waiting_states(therapist.id, sessions),
            "intakes": intakes_to_review(therapist),
            "dosing": dosing_soon(therapist, now),
            "quiet": quiet, "quiet_total": quiet_total}
