"""Scheduling test data: weekly hours, session types by kind, and a client's arc of care.

Every builder commits, like tests/factories.py, so requests and threads see the rows. Times are
built with `at(zone, ...)` (wall clock in a zone → aware UTC instant) and read back with
`wall(instant, zone)`, so tests state times the way people read them.
"""
import itertools
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.core.time import utcnow
from portal.core.vocabulary import (
    CONSENT_TITLES,
    AppointmentStatus,
    ConsentKind,
    Decision,
    FlagKind,
    IntakeStatus,
    SessionKind,
)
from portal.extensions import db
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.intake import Intake, ReviewDecision
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment, AvailabilityOverride, AvailabilityRule, SessionType
from portal.scheduling import services

WEEKDAYS = range(5)  # Monday to Friday
EVERY_DAY = range(7)
# Past appointments made by `complete_preparation` without a time: one hour apart, never
# overlapping each other (the database refuses overlapping blocks on PostgreSQL).
_PAST_SLOTS = itertools.count()
_PAST_ORIGIN = datetime(2020, 1, 6, 9, tzinfo=UTC)


# --- time -----------------------------------------------------------------------------------
def at(zone, year, month, day, hour=0, minute=0, fold=0):
    """The UTC instant of a wall-clock time in `zone` (fold=1: the second of a repeated hour)."""
    return datetime(year, month, day, hour, minute, fold=fold, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def wall(instant, zone):
    """An instant as the wall clock in `zone` shows it: an aware local datetime."""
    return instant.astimezone(ZoneInfo(zone))


def hhmm(instant, zone):
    return wall(instant, zone).strftime("%H:%M")


def by_local_day(instants, zone):
    """{local date: [local datetimes]} in order, as a person in `zone` sees a slot list."""
    days = {}
    for instant in instants:
        local = wall(instant, zone)
        days.setdefault(local.date(), []).append(local)
    return days


# --- availability ---------------------------------------------------------------------------
def weekly_hours(therapist, start=time(9), end=time(17), days=WEEKDAYS):
    """Recurring hours on the given weekdays (0 = Monday), in the therapist's own zone."""
    rules = [AvailabilityRule(therapist_id=therapist.id, weekday=d, start_time=start, end_time=end)
             for d in days]
    db.session.add_all(rules)
    db.session.commit()
    return rules


def day_off(therapist, day, start=None, end=None, note="Holiday"):
    """A whole day off, or (with times) time off within the day."""
    override = AvailabilityOverride(therapist_id=therapist.id, day=day, available=False,
                                    start_time=start, end_time=end, note=note)
    db.session.add(override)
    db.session.commit()
    return override


def extra_hours(therapist, day, start, end, note="Extra hours"):
    override = AvailabilityOverride(therapist_id=therapist.id, day=day, available=True,
                                    start_time=start, end_time=end, note=note)
    db.session.add(override)
    db.session.commit()
    return override


def session_type(therapist, kind, **settings):
    """The therapist's session type of `kind` (the defaults are seeded once), with `settings`."""
    services.ensure_default_types(therapist)
    found = db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == therapist.id, SessionType.kind == SessionKind(kind).value))
    for name, value in settings.items():
        setattr(found, name, value)
    db.session.commit()
    return found


# --- the client's arc of care ---------------------------------------------------------------
def submit_intake(client):
    """A submitted intake, not yet reviewed (the answers do not matter to the gates)."""
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client.id))
    if intake is None:
        intake = Intake(client_id=client.id)
        db.session.add(intake)
    intake.status, intake.submitted_at = IntakeStatus.SUBMITTED.value, utcnow()
    db.session.commit()
    return intake


def decide(client, decision=Decision.ELIGIBLE):
    """The therapist's review decision on the client's (submitted) intake."""
    intake = submit_intake(client)
    row = ReviewDecision(intake=intake, therapist_id=client.therapist_id,
                         decision=Decision(decision).value)
    db.session.add(row)
    db.session.commit()
    return row


def current_consents():
    """The current consent documents (the migration seeds version 1 of each kind)."""
    if not ConsentDocument.current():
        for kind in ConsentKind:
            db.session.add(ConsentDocument(kind=kind.value, version=1, title=CONSENT_TITLES[kind],
                                           body=f"{CONSENT_TITLES[kind]}: the text."))
        db.session.commit()
    return ConsentDocument.current()


def sign_current_consents(client):
    signed = set(db.session.scalars(select(ConsentSignature.document_id).where(
        ConsentSignature.client_id == client.id)))
    for document in current_consents():
        if document.id not in signed:
            db.session.add(ConsentSignature(client_id=client.id, document_id=document.id,
                                            signed_name=client.name, ip="203.0.113.7"))
    db.session.commit()


def publish_new_version(kind=ConsentKind.KAP):
    """A new version of a consent document: everyone has to sign it again."""
    current_consents()
    version = db.session.scalar(select(func.max(ConsentDocument.version)).where(
        ConsentDocument.kind == ConsentKind(kind).value))
    document = ConsentDocument(kind=ConsentKind(kind).value, version=version + 1,
                               title=CONSENT_TITLES[ConsentKind(kind)], body="Revised text.")
    db.session.add(document)
    db.session.commit()
    return document


def make_eligible(client, sign_consents=True):
    """Intake submitted and reviewed as eligible; current consents signed unless told not to."""
    decide(client, Decision.ELIGIBLE)
    if sign_consents:
        sign_current_consents(client)
    return client


def make_appointment(client, session_type, start, status=AppointmentStatus.BOOKED, key=None):
    """An appointment written straight to the table, bypassing services.book (and its checks)."""
    end = start + timedelta(minutes=session_type.duration_min)
    appointment = Appointment(
        therapist_id=session_type.therapist_id, client_id=client.id,
        session_type_id=session_type.id, kind=session_type.kind,
        modality=session_type.modality, location=session_type.location,
        starts_at=start, ends_at=end,
        block_start=start - timedelta(minutes=session_type.buffer_before_min),
        block_end=end + timedelta(minutes=session_type.buffer_after_min),
        status=AppointmentStatus(status).value, idempotency_key=key or uuid.uuid4().hex)
    db.session.add(appointment)
    db.session.commit()
    return appointment


def complete_session(client, kind, start=None):
    """A session of `kind` in the past, marked completed (by default at a unique past hour)."""
    therapist = db.session.get(type(client), client.therapist_id)
    start = start or _PAST_ORIGIN + timedelta(hours=next(_PAST_SLOTS))
    return make_appointment(client, session_type(therapist, kind), start,
                            status=AppointmentStatus.COMPLETED)


def complete_preparation(client, start=None):
    """A preparation session in the past, marked completed (by default at a unique past hour)."""
    return complete_session(client, SessionKind.PREPARATION, start)


def complete_consultation(client, start=None):
    """A consultation in the past, marked completed: preparation sessions open after it."""
    return complete_session(client, SessionKind.CONSULTATION, start)


def open_item9_flag(client, source="checkin"):
    """An unacknowledged PHQ-9 item-9 flag (thoughts of self-harm): dosing waits for a talk."""
    flag = SafetyFlag(client_id=client.id, kind=FlagKind.ITEM9.value, severity="urgent",
                      code="phq9_item9", source=source)
    db.session.add(flag)
    db.session.commit()
    return flag


def acknowledge(flag, therapist):
    flag.acknowledged_at, flag.acknowledged_by_id = utcnow(), therapist.id
    db.session.commit()
    return flag
