"""The demo practice's clinical content (development only, portal/ops/demo.py): intakes with
answers, flags from the real contraindication rules, PHQ-9/GAD-7 history, consents, past
sessions with notes, journal entries. Invented people; rows written straight to the models,
without the emails and alerts the services would send."""
import uuid
from datetime import date, timedelta

from sqlalchemy import select

from portal.core import measures
from portal.core.vocabulary import (
    AppointmentStatus,
    Decision,
    FlagKind,
    IntakeStatus,
    SessionKind,
    Source,
)
from portal.extensions import db
from portal.intake import rules
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.intake import Intake, IntakeStep, ReviewDecision
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.notes import SessionNote
from portal.models.schedule import Appointment, SessionType

NO = "no"
HEALTHY = {
    "history": {"diagnoses": "Major depressive disorder (2019).", "current_therapy": "yes",
                "treatment_details": "Sertraline for two years, some help; weekly talk therapy.",
                "ect_tms": NO, "prior_ketamine": NO, "prior_psychedelics": "",
                "hospitalisations": NO},
    "medical": {"bp_known": "yes", "bp_systolic": "118", "bp_diastolic": "76",
                "bp_controlled": "yes", "heart_disease": NO, "arrhythmia": NO, "stroke": NO,
                "pregnant": NO, "liver_disease": NO, "bladder_problems": NO,
                "hyperthyroidism": NO, "intracranial_pressure": NO, "glaucoma": NO,
                "ketamine_allergy": NO, "weight": "150", "weight_unit": "lb", "medical_notes": ""},
    "psychiatric": {"psychosis": "never", "mania": "never", "bipolar": NO, "dissociative": NO,
                    "family_psychosis": NO, "use_alcohol": "over_year", "use_cannabis": "never",
                    "use_stimulants": "never", "use_opioids": "never", "use_ketamine": "never",
                    "substance_notes": ""},
    "medications": {"medications-0-name": "Sertraline", "medications-0-dose": "100 mg",
                    "medications-0-frequency": "daily", "benzodiazepines": NO, "maoi": NO,
                    "lamotrigine": NO, "opioids_rx": NO, "stimulants_rx": NO},
    "goals": {"goals": "Feel less stuck; get back to painting.",
              "intentions": "To meet the heavy feelings with curiosity.",
              "concerns": "Feeling out of control during the session."},
}


def phq9_gad7(phq9, gad7):
    """The measures step's answers for two lists of item answers (0–3)."""
    answers = {f"phq9_{n}": str(v) for n, v in enumerate(phq9, start=1)}
    answers.update({f"gad7_{n}": str(v) for n, v in enumerate(gad7, start=1)})
    answers["phq9_difficulty"] = "1"
    return answers


def intake(client, about, at, overrides=None, measured=((2,) * 9, (2,) * 7), decision=None,
           therapist=None):
    """A submitted intake (every step complete), its scores and the rules' flags; reviewed
    when `decision` is given."""
    answers = {step: dict(values) for step, values in HEALTHY.items()}
    for step, values in (overrides or {}).items():
        answers[step].update(values)
    answers["about"] = about
    answers["measures"] = phq9_gad7(*measured)
    answers["consents"] = {f"name_{d.kind}": client.name for d in ConsentDocument.current()}
    row = Intake(client_id=client.id, status=IntakeStatus.SUBMITTED.value, current_step="consents",
                 created_at=at - timedelta(days=1), updated_at=at, submitted_at=at)
    db.session.add(row)
    db.session.flush()
    for step, data in answers.items():
        db.session.add(IntakeStep(intake_id=row.id, step=step, data=data, complete=True,
                                  updated_at=at))
    db.session.flush()
    for instrument, items in zip(("phq9", "gad7"), measured, strict=True):
        score(client, instrument, items, Source.INTAKE, at)
    for flag in rules.evaluate(row.all_answers()):
        db.session.add(SafetyFlag(client_id=client.id, kind=FlagKind.CONTRAINDICATION.value,
                                  severity=flag.severity, code=flag.code,
                                  source=Source.INTAKE.value, created_at=at))
    if decision is not None:
        db.session.add(ReviewDecision(intake_id=row.id, therapist_id=therapist.id,
                                      decision=Decision(decision).value,
                                      decided_at=at + timedelta(days=1)))
    return row


def draft_intake(client, about, at):
    """An intake begun: only the first step saved."""
    row = Intake(client_id=client.id, current_step="history", created_at=at, updated_at=at)
    db.session.add(row)
    db.session.flush()
    db.session.add(IntakeStep(intake_id=row.id, step="about", data=about, complete=True,
                              updated_at=at))


def score(client, instrument, items, source, at):
    result = measures.score(instrument, list(items))
    db.session.add(MeasureResult(
        client_id=client.id, instrument=instrument, source=Source(source).value, taken_at=at,
        result={"items": list(items), "total": result.total, "band": result.band,
                "item9_positive": result.item9_positive}))


def checkins(client, now, history):
    """Check-ins for the charts: (days ago, PHQ-9 items, GAD-7 items), oldest first."""
    for days, phq9, gad7 in history:
        at = now - timedelta(days=days)
        score(client, "phq9", phq9, Source.CHECKIN, at)
        score(client, "gad7", gad7, Source.CHECKIN, at)


def sign_consents(client, at):
    for document in ConsentDocument.current():
        db.session.add(ConsentSignature(client_id=client.id, document_id=document.id,
                                        signed_name=client.name, signed_at=at, ip="127.0.0.1"))


def session(client, therapist, kind, start, status=AppointmentStatus.COMPLETED, key=None):
    """An appointment of the therapist's session type of `kind` at `start`."""
    session_type = db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == therapist.id, SessionType.kind == SessionKind(kind).value))
    end = start + timedelta(minutes=session_type.duration_min)
    row = Appointment(
        therapist_id=therapist.id, client_id=client.id, session_type_id=session_type.id,
        kind=session_type.kind, modality=session_type.modality, location=session_type.location,
        starts_at=start, ends_at=end,
        block_start=start - timedelta(minutes=session_type.buffer_before_min),
        block_end=end + timedelta(minutes=session_type.buffer_after_min),
        status=AppointmentStatus(status).value, idempotency_key=key or uuid.uuid4().hex,
        created_at=start - timedelta(days=7), updated_at=start)
    db.session.add(row)
    db.session.flush()
    return row


def note(appointment, therapist, content, signed):
    row = SessionNote(appointment_id=appointment.id, therapist_id=therapist.id,
                      kind=appointment.kind, content=content)
    db.session.add(row)
    if signed:
        row.sign()
    return row


def journal(client, today, entries):
    """Journal entries: (days ago, text, mood 1–10, shared with the therapist)."""
    for days, text, mood, shared in entries:
        db.session.add(JournalEntry(client_id=client.id, text=text, mood=mood, shared=shared,
                                    written_on=today - timedelta(days=days)))


def about(client, born, city, state, contact):
    """The intake's "about you" answers (the emergency contact feeds the safety panel)."""
    name, relation, phone = contact
    return {"legal_name": client.name, "preferred_name": client.name.split()[0],
            "date_of_birth": date(*born).isoformat(), "pronouns": "", "phone": "+1 555 0100",
            "address_line": "12 Demo Street", "city": city, "state": state,
            "postal_code": "00000", "timezone": client.timezone, "emergency_name": name,
            "emergency_relation": relation, "emergency_phone": phone}
