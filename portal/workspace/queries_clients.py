"""The therapist's clients list: where each client stands in the arc of care, their latest
PHQ-9 and GAD-7 with a small trend line, and their next booked session; how many clients they
have in all, and their open invitations.

Four set-based queries whatever the number of clients: the clients with their arc status (one
CASE over correlated EXISTS subqueries, so the status filter runs in the database), the last
TREND_POINTS measures per client and instrument (a window function), each client's next
booked session (a window function) and their open safety flags counted by severity.

The arc stage of each client comes from portal/care/arc.py.
"""
from typing import NamedTuple

from markupsafe import Markup, escape
from sqlalchemy import case, func, literal, or_, select
from sqlalchemy.orm import aliased

from portal.care.arc import stage_expression
from portal.core.measures import SCALES
from portal.core.time import utcnow
from portal.core.vocabulary import (
    SEVERITY_LABELS,
    STAGE_LABELS,
    AppointmentStatus,
    FlagKind,
    Role,
    Severity,
)
from portal.extensions import db
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.schedule import Appointment
from portal.models.user import Invitation, User

TREND_POINTS = 8  # the last scores drawn in a row's trend line
BOOKED = AppointmentStatus.BOOKED.value
SPARK_W, SPARK_H, SPARK_PAD = 96, 28, 3
SPARK_LINE = "#0f6570"


class Trend(NamedTuple):
    instrument: str
    latest: int
    band: str
    totals: list  # oldest first
    svg: Markup
    text: str


class FlagCount(NamedTuple):
    """Open safety flags of one severity: the marker on the clients list and client page."""

    severity: str
    label: str
    count: int

    @property
    def urgent(self):
        return self.severity in (Severity.URGENT, Severity.EXCLUDE)


class ClientRow(NamedTuple):
    client: User
    status: str
    status_label: str
    trends: dict  # instrument → Trend (absent when no score yet)
    next_session: Appointment | None
    flags: list = []  # FlagCount, most urgent first (empty: no open flag)


def _clients(therapist, search, status):
    arc = stage_expression()
    query = (select(User, arc.label("arc"))
             .where(User.therapist_id == therapist.id, User.role == Role.CLIENT.value)
             .order_by(User.name, User.id))
    if search:
        needle = search.strip().lower()
        query = query.where(or_(func.lower(User.name).contains(needle, autoescape=True),
                                func.lower(User.email).contains(needle, autoescape=True)))
    if status in STAGE_LABELS:
        query = query.where(arc == status)
    return db.session.execute(query).all()


def _latest_measures(therapist):
    """{(client id, instrument): [MeasureResult, oldest first]}, at most TREND_POINTS each."""
    rank = func.row_number().over(partition_by=(MeasureResult.client_id, MeasureResult.instrument),
                                  order_by=(MeasureResult.taken_at.desc(), MeasureResult.id.desc()))
    ranked = (select(MeasureResult, rank.label("rank"))
              .join(User, User.id == MeasureResult.client_id)
              .where(User.therapist_id == therapist.id).subquery())
    row = aliased(MeasureResult, ranked)
    found = {}
    for result in db.session.scalars(select(row).where(ranked.c.rank <= TREND_POINTS)
                                     .order_by(row.client_id, row.taken_at, row.id)):
        found.setdefault((result.client_id, result.instrument), []).append(result)
    return found


def next_sessions(therapist, now):
    """{client id: their next booked session (starting at or after `now`)}."""
    rank = func.row_number().over(partition_by=Appointment.client_id,
                                  order_by=(Appointment.starts_at, Appointment.id))
    ranked = (select(Appointment, rank.label("rank"))
              .join(User, User.id == Appointment.client_id)
              .where(User.therapist_id == therapist.id, Appointment.status == BOOKED,
                     Appointment.starts_at >= now).subquery())
    row = aliased(Appointment, ranked)
    return {a.client_id: a for a in db.session.scalars(select(row).where(ranked.c.rank == 1))}


def open_flag_counts(therapist=None, client=None):
    """{client id: [FlagCount, most urgent first]} of the open flags of the therapist's clients
    (or of one client); item-9 flags count as urgent whatever their stored severity."""
    # typed as the column (an opaque code): the literal is stored as its code, the result read
    # back as a word, whichever branch gave it
    severity = case((SafetyFlag.kind == FlagKind.ITEM9.value,
                     literal(Severity.URGENT.value, SafetyFlag.severity.type)),
                    else_=SafetyFlag.severity)
    query = (select(SafetyFlag.client_id, severity, func.count())
             .where(SafetyFlag.acknowledged_at.is_(None)).group_by(SafetyFlag.client_id, severity))
    if client is not None:
        query = query.where(SafetyFlag.client_id == client.id)
    else:
        query = query.join(User, User.id == SafetyFlag.client_id).where(
            User.therapist_id == therapist.id)
    counts = {}
    for client_id, key, count in db.session.execute(query):
        known = Severity(key) if key in SEVERITY_LABELS else Severity.URGENT
        per_client = counts.setdefault(client_id, {})
        per_client[known] = per_client.get(known, 0) + count
    return {client_id: [FlagCount(key.value, SEVERITY_LABELS[key], per_client[key])
                        for key in Severity if key in per_client]
            for client_id, per_client in counts.items()}


def sparkline(instrument, totals, maximum):
    """A tiny inline SVG of `totals` (oldest first) with its text alternative."""
    name = SCALES[instrument].name
    if len(totals) == 1:
        text = f"{name}: {totals[0]} (one score so far)"
    else:
        text = f"{name} went from {totals[0]} to {totals[-1]} over {len(totals)} check-ins"
    step = (SPARK_W - 2 * SPARK_PAD) / max(len(totals) - 1, 1)
    points = [(SPARK_PAD + i * step if len(totals) > 1 else SPARK_W / 2,
               SPARK_PAD + (SPARK_H - 2 * SPARK_PAD) * (1 - min(max(t, 0), maximum) / maximum))
              for i, t in enumerate(totals)]
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    last_x, last_y = points[-1]
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" class="sparkline" role="img" '
           f'width="{SPARK_W}" height="{SPARK_H}" viewBox="0 0 {SPARK_W} {SPARK_H}" '
           f'aria-label="{escape(text)}"><title>{escape(text)}</title>'
           f'<polyline points="{coords}" fill="none" stroke="{SPARK_LINE}" stroke-width="2" '
           f'stroke-linejoin="round" stroke-linecap="round"/>'
           f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" fill="{SPARK_LINE}"/></svg>')
    return Markup(svg), text  # noqa: S704 (numbers and escaped text only)


def trend(instrument, results):
    totals = [r.total for r in results]
    svg, text = sparkline(instrument, totals, SCALES[instrument].max_score)
    return Trend(instrument, totals[-1], results[-1].band, totals, svg, text)


def client_rows(therapist, now, search="", status="all"):
    """The therapist's clients (matching `search` and `status`) as ClientRows, by name."""
    clients = _clients(therapist, search, status)
    if not clients:
        return []
    measures = _latest_measures(therapist)
    upcoming = next_sessions(therapist, now)
    flags = open_flag_counts(therapist)
    rows = []
    for client, arc in clients:
        trends = {key: trend(key, measures[(client.id, key)]) for key in SCALES
                  if (client.id, key) in measures}
        rows.append(ClientRow(client, arc, STAGE_LABELS[arc], trends, upcoming.get(client.id),
                              flags.get(client.id, [])))
    return rows


def client_count(therapist):
    """How many clients the therapist has, whatever the search."""
    return db.session.scalar(select(func.count()).select_from(User).where(
        User.therapist_id == therapist.id, User.role == Role.CLIENT.value))


def open_invitations(therapist):
    """The therapist's invitations not yet used nor expired, newest first."""
    return db.session.scalars(select(Invitation).where(
        Invitation.therapist_id == therapist.id, Invitation.used_at.is_(None),
        Invitation.expires_at > utcnow()).order_by(Invitation.created_at.desc())).all()
