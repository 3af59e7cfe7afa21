"""One client's record for their therapist: the client page (the arc of care as a timeline,
intake and review, consents, measures, appointments, session notes, shared journal entries and
post-dosing check-ins), the shared journal, and the scores over time.

The client page loads in a fixed number of queries whatever the length of the client's history
(one per kind of record, related rows joined). Only shared journal entries are ever loaded.
"""
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portal.care.arc import stage_of
from portal.core import chart
from portal.core.time import viewer_zone
from portal.core.vocabulary import KIND_LABELS, STATUS_LABELS, AppointmentStatus, CareStatus
from portal.extensions import db
from portal.models.care import CareStatusChange, PostDosingCheckin
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.dosing import DosingRecord
from portal.models.intake import Intake
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult
from portal.models.measure_schedule import MeasureSchedule
from portal.models.notes import SessionNote
from portal.models.schedule import Appointment
from portal.workspace.flags import SIDE_EFFECTS
from portal.workspace.queries_clients import open_flag_counts

CARE_WORDS = {CareStatus.ACTIVE: "Care resumed", CareStatus.PAUSED: "Care paused",
              CareStatus.DISCHARGED: "Discharged"}


class Event(NamedTuple):
    """One step of the arc of care on the timeline."""

    when: datetime
    title: str
    detail: str
    kind: str  # account | appointment | intake | decision | care | dosing
    appointment_id: int | None = None  # a dosing record's session (the page links to it)


class Visit(NamedTuple):
    appointment: Appointment
    note_id: int | None
    note_status: str | None


def shared_journal(client):
    """The journal entries the client chose to share, newest first (private ones never load)."""
    return db.session.scalars(select(JournalEntry).where(
        JournalEntry.client_id == client.id, JournalEntry.shared.is_(True))
        .order_by(JournalEntry.written_on.desc(), JournalEntry.id.desc())).all()


def measures_of(client):
    """Every PHQ-9 and GAD-7 result of the client, oldest first."""
    return db.session.scalars(select(MeasureResult).where(MeasureResult.client_id == client.id)
                              .order_by(MeasureResult.taken_at, MeasureResult.id)).all()


def dosing_records(client):
    """The client's dosing-day records with their sessions, in the order of the sessions."""
    return db.session.scalars(
        select(DosingRecord).join(DosingRecord.appointment)
        .options(contains_eager(DosingRecord.appointment))
        .where(Appointment.client_id == client.id).order_by(Appointment.starts_at)).all()


def dosing_dates(records):
    """When each dosing took place: the recorded dose's time, else the session's start (the
    measures chart marks them)."""
    return [datetime.fromisoformat(r.dose["given_at"]) if r.dose and r.dose.get("given_at")
            else r.appointment.starts_at for r in records]


def load_record(client):
    """Everything the client page shows, one query per kind of record (with the client's stage
    in the arc and their open flags counted by severity)."""
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client.id)
                               .options(selectinload(Intake.decisions)))
    visits = [Visit(a, note_id, status) for a, note_id, status in db.session.execute(
        select(Appointment, SessionNote.id, SessionNote.status)
        .outerjoin(SessionNote, SessionNote.appointment_id == Appointment.id)
        .where(Appointment.client_id == client.id)
        .order_by(Appointment.starts_at, Appointment.id))]
    signatures = db.session.scalars(
        select(ConsentSignature).options(joinedload(ConsentSignature.document))
        .where(ConsentSignature.client_id == client.id).order_by(ConsentSignature.signed_at)).all()
    signed = {s.document_id for s in signatures}
    changes = db.session.scalars(
        select(CareStatusChange).options(joinedload(CareStatusChange.changed_by))
        .where(CareStatusChange.client_id == client.id)
        .order_by(CareStatusChange.changed_at, CareStatusChange.id)).all()
    checkins = db.session.scalars(
        select(PostDosingCheckin).options(joinedload(PostDosingCheckin.appointment))
        .where(PostDosingCheckin.client_id == client.id)
        .order_by(PostDosingCheckin.created_at.desc())).all()
    return {"intake": intake, "visits": visits, "signatures": signatures,
            "stage": stage_of(client), "flags": open_flag_counts(client=client).get(client.id, []),
            "unsigned": [d for d in ConsentDocument.current() if d.id not in signed],
            "changes": changes, "measures": measures_of(client), "journal": shared_journal(client),
            "checkins": checkins, "dosings": dosing_records(client)}


def timeline(client, data):
    """The arc of care, oldest first: account, sessions, intake, decisions, care changes."""
    events = [Event(client.created_at, "Account created", "", "account")]
    for visit in data["visits"]:
        a = visit.appointment
        if a.status != AppointmentStatus.CANCELLED:
            events.append(Event(a.starts_at, KIND_LABELS.get(a.kind, a.kind.capitalize()),
                                STATUS_LABELS.get(a.status, a.status), "appointment"))
    intake = data["intake"]
    if intake is not None and intake.submitted_at is not None:
        events.append(Event(intake.submitted_at, "Intake submitted", "", "intake"))
    for decision in intake.decisions if intake is not None else []:
        events.append(Event(decision.decided_at, "Review decision", decision.label, "decision"))
    for found in data.get("dosings", ()):
        events.append(Event(found.appointment.starts_at, "Dosing record",
                            "Signed" if found.signed else "Not signed yet", "dosing",
                            found.appointment_id))
    for change in data["changes"]:
        events.append(Event(change.changed_at, CARE_WORDS.get(change.status, change.status),
                            change.reason or "", "care"))
    return sorted(events, key=lambda e: e.when)


def visits_by_time(visits, now):
    """(upcoming, past): booked sessions not yet over, soonest first; the rest, latest first."""
    upcoming = [v for v in visits if v.appointment.status == AppointmentStatus.BOOKED
                and v.appointment.ends_at > now]
    return upcoming, [v for v in reversed(visits) if v not in upcoming]


def measure_series(measures, id_prefix=None, marks=()):
    """Per instrument (PHQ-9, GAD-7, and the PCL-5 once taken): its results, the chart in the
    viewer's zone (element ids start with `id_prefix`-<instrument> when given; `marks`: dosing
    dates drawn across it), the large changes of the watched one, response and remission."""
    return chart.build_series(measures, tz=viewer_zone(), id_prefix=id_prefix, marks=marks)


def checkin_summary(answers):
    """The post-dosing answers in a few plain words (for the care team)."""
    effects = [word for key, word in SIDE_EFFECTS.items() if answers.get(key)]
    return {"sleep": answers.get("sleep"), "mood": answers.get("mood"),
            "effects": effects, "item9": answers.get("phq9_9"),
            "worry": answers.get("worry_text") or ""}


def measure_schedule(client):
    """The client's measure schedule, or None."""
    return db.session.scalar(select(MeasureSchedule).where(MeasureSchedule.client_id == client.id))
