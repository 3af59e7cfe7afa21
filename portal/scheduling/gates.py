"""Which session types a client may book, with the reason in plain words when not, and how
close to its start a client may still change a session online (the policy window).

The arc of care: consultation → intake review → preparation → dosing → integration.
Enforced on the server at booking time; the booking pages show the same reasons:
  - consultation: one open (booked, not yet over) at a time;
  - preparation: an eligible review and a completed consultation;
  - dosing: an eligible review, in person, no open suicide-risk flag, the current consents
    signed and a completed preparation session;
  - integration: an eligible review and a dosing session that is completed or has started.
A therapist booking for their client may override a refusal with a recorded reason
(services.book with `override`), except a `final_refusal`: no one books a dosing session while
a suicide-risk flag (PHQ-9 item 9) is open, nor a dosing session that is not in person.

`refusal` takes keyword arguments only after the first two (`now`, `moving`), so a stub of it
(tests' `no_gates`) may accept `(client, session_type, **kwargs)`.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, or_, select

from portal.core.time import format_local, utcnow, zone_of
from portal.core.vocabulary import (
    SUICIDE_RISK_KINDS,
    AppointmentStatus,
    CareStatus,
    Decision,
    Modality,
    SessionKind,
)
from portal.extensions import db
from portal.models.consent import unsigned_current
from portal.models.intake import Intake
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment

BOOKED, COMPLETED = AppointmentStatus.BOOKED.value, AppointmentStatus.COMPLETED.value
SUICIDE_RISK = ("Your therapist would like to talk with you before a dosing session. They have "
                "been notified and will contact you.")
IN_PERSON_ONLY = ("Dosing sessions take place in person at the practice. Please contact the "
                  "practice to book one.")


def _decision(client):
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client.id))
    if intake is None or not intake.submitted:
        return None, intake
    latest = intake.latest_decision
    return (latest.decision if latest else None), intake


def _completed(client, kind):
    return db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.client_id == client.id, Appointment.kind == kind,
        Appointment.status == COMPLETED))


def _open_suicide_risk(client):
    return db.session.scalar(select(SafetyFlag.id).where(
        SafetyFlag.client_id == client.id,
        SafetyFlag.kind.in_([k.value for k in SUICIDE_RISK_KINDS]),
        SafetyFlag.acknowledged_at.is_(None)).limit(1)) is not None


def _next_booked(client, kind, now, moving=None):
    """The client's booked session of `kind` that has not ended yet (soonest), or None."""
    query = select(Appointment).where(
        Appointment.client_id == client.id, Appointment.kind == kind.value,
        Appointment.status == BOOKED, Appointment.ends_at > now)
    if moving is not None:
        query = query.where(Appointment.id != moving.id)
    return db.session.scalars(query.order_by(Appointment.starts_at).limit(1)).first()


def _when(appointment, client):
    return format_local(appointment.starts_at, zone_of(client))


def policy_window():
    """Clients change or cancel online up to this long before the start (therapists any time)."""
    return timedelta(hours=current_app.config.get("CANCELLATION_WINDOW_HOURS", 24))


def not_in_care(client):
    """Why a paused or discharged client cannot book, with the practice's phone if known."""
    state = "is paused" if client.care_status == CareStatus.PAUSED.value else "has ended"
    phone = current_app.config.get("PRACTICE_PHONE")
    contact = f"contact the practice at {phone}" if phone else "contact the practice"
    return f"Your care with the practice {state}. To book again, please {contact}."


def final_refusal(client, session_type):
    """Why no one, not even the therapist with a reason, may book `session_type` for `client`
    now; None when a refusal may be overridden."""
    if session_type.kind != SessionKind.DOSING:
        return None
    if session_type.modality != Modality.IN_PERSON:
        return IN_PERSON_ONLY
    if _open_suicide_risk(client):
        return SUICIDE_RISK
    return None


def _consultation(client, now, moving):
    booked = _next_booked(client, SessionKind.CONSULTATION, now, moving)
    if booked is not None:
        return (f"You already have a consultation booked for {_when(booked, client)}. You can "
                "book another once it has taken place, or change its time under My sessions.")
    return None


def _preparation(client, now, moving):
    if _completed(client, SessionKind.CONSULTATION.value):
        return None
    booked = _next_booked(client, SessionKind.CONSULTATION, now)
    if booked is not None:
        return ("Preparation sessions open after your consultation on "
                f"{_when(booked, client)}.")
    return "Preparation sessions open after a consultation. Please book a consultation first."


def _integration(client, now, moving):
    dosed = db.session.scalar(select(Appointment.id).where(
        Appointment.client_id == client.id, Appointment.kind == SessionKind.DOSING.value,
        or_(Appointment.status == COMPLETED,
            (Appointment.status == BOOKED) & (Appointment.starts_at <= now))).limit(1))
    if dosed is not None:
        return None
    booked = _next_booked(client, SessionKind.DOSING, now)
    if booked is not None:
        return ("Integration sessions follow a dosing session. You can book one once your "
                f"dosing session on {_when(booked, client)} has begun.")
    return "Integration sessions follow a dosing session. You can book one after your first."


def _dosing(client, now, moving):
    if _open_suicide_risk(client):
        return SUICIDE_RISK
    if unsigned_current(client.id):
        return "Please sign the current consent documents before booking a dosing session."
    if not _completed(client, SessionKind.PREPARATION.value):
        return "A dosing session is booked after at least one completed preparation session."
    return None


AFTER_REVIEW = {SessionKind.PREPARATION: _preparation, SessionKind.DOSING: _dosing,
                SessionKind.INTEGRATION: _integration}


def _review(client):
    """Why sessions after the intake review are not open yet, or None when found eligible."""
    decision, intake = _decision(client)
    if decision == Decision.ELIGIBLE:
        return None
    if intake is None or not intake.submitted:
        return ("Preparation, dosing and integration sessions open once your intake is "
                "complete and your therapist has reviewed it.")
    if decision is None:
        return "Your therapist is still reviewing your intake. We will let you know."
    return ("Your therapist needs to talk with you before these sessions can be booked. "
            "Please book a consultation or contact the practice.")


def refusal(client, session_type, *, now=None, moving=None):
    """Why `client` may not book `session_type` at `now` (or move `moving`, their booked
    session, to another time), or None when they may."""
    now = now or utcnow()
    if not client.is_client or not client.email_verified or not client.is_active:
        return "Only confirmed client accounts can book sessions."
    if not client.in_care:
        return not_in_care(client)
    if session_type.therapist_id != client.therapist_id or not session_type.active:
        return "This kind of session is not offered to you. Please contact the practice."
    if session_type.kind == SessionKind.DOSING and session_type.modality != Modality.IN_PERSON:
        return IN_PERSON_ONLY
    kind = SessionKind(session_type.kind)
    if kind == SessionKind.CONSULTATION:
        return _consultation(client, now, moving)
    return _review(client) or AFTER_REVIEW[kind](client, now, moving)
