"""Which session types a client may book, with the reason in plain words when not, and how
close to its start a client may still change a session online (the policy window).

The arc of care: consultation → intake review → preparation → dosing → integration.
Enforced on the server at booking time; the booking pages show the same reasons.
"""
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.core.vocabulary import AppointmentStatus, CareStatus, Decision, FlagKind, SessionKind
from portal.extensions import db
from portal.models.consent import unsigned_current
from portal.models.intake import Intake
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment


def _decision(client):
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client.id))
    if intake is None or not intake.submitted:
        return None, intake
    latest = intake.latest_decision
    return (latest.decision if latest else None), intake


def _completed(client, kind):
    return db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.client_id == client.id, Appointment.kind == kind,
        Appointment.status == AppointmentStatus.COMPLETED.value))


def _open_item9(client):
    return db.session.scalar(select(SafetyFlag.id).where(
        SafetyFlag.client_id == client.id, SafetyFlag.kind == FlagKind.ITEM9.value,
        SafetyFlag.acknowledged_at.is_(None)).limit(1)) is not None


def policy_window():
    """Clients change or cancel online up to this long before the start (therapists any time)."""
    return timedelta(hours=current_app.config.get("CANCELLATION_WINDOW_HOURS", 24))


def not_in_care(client):
    """Why a paused or discharged client cannot book, with the practice's phone if known."""
    state = "is paused" if client.care_status == CareStatus.PAUSED.value else "has ended"
    phone = current_app.config.get("PRACTICE_PHONE")
    contact = f"contact the practice at {phone}" if phone else "contact the practice"
    return f"Your care with the practice {state}. To book again, please {contact}."


def refusal(client, session_type):
    """Why `client` may not book `session_type` now, or None when they may."""
    if not client.is_client or not client.email_verified or not client.is_active:
        return "Only confirmed client accounts can book sessions."
    if not client.in_care:
        return not_in_care(client)
    if session_type.therapist_id != client.therapist_id or not session_type.active:
        return "This kind of session is not offered to you. Please contact the practice."
    kind = session_type.kind
    if kind == SessionKind.CONSULTATION:
        return None
    decision, intake = _decision(client)
    if decision != Decision.ELIGIBLE:
        if intake is None or not intake.submitted:
            return ("Preparation, dosing and integration sessions open once your intake is "
                    "complete and your therapist has reviewed it.")
        if decision is None:
            return "Your therapist is still reviewing your intake. We will let you know."
        return ("Your therapist needs to talk with you before these sessions can be booked. "
                "Please book a consultation or contact the practice.")
    if kind in (SessionKind.PREPARATION, SessionKind.INTEGRATION):
        return None
    # dosing
    if _open_item9(client):
        return ("Your therapist would like to talk with you before a dosing session. They have "
                "been notified and will contact you.")
    if unsigned_current(client.id):
        return "Please sign the current consent documents before booking a dosing session."
    if not _completed(client, SessionKind.PREPARATION.value):
        return "A dosing session is booked after at least one completed preparation session."
    return None
