"""Read models of the client's care pages: the whole record ("my data"; its sections beyond
the intake, consents, measures and journal in queries_record.py), the journal, and the dosing
sessions whose post-dosing check-in is open. (The access log: queries_access.py; the home page:
queries_home.py.)"""
from datetime import UTC, date, datetime

from flask import abort
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.care.postdosing import COUNTED_STATUSES, POST_DOSING_WINDOW, has_checkin, invite_opens
from portal.care.queries_access import accesses
from portal.care.queries_record import rest_of_record
from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.intake.services import intake_for
from portal.intake.steps import STEP_TITLES
from portal.models.care import PostDosingCheckin
from portal.models.consent import ConsentSignature
from portal.models.intake import AmendmentRequest
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult
from portal.models.schedule import Appointment
from portal.security.access import get_or_404_for


def _iso(value):
    return value  # an aware datetime: for_json writes ISO-8601 UTC, the page the local time


def for_json(value):
    """The record with its times as ISO-8601 UTC strings (the JSON download)."""
    if isinstance(value, dict):
        return {k: for_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [for_json(v) for v in value]
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def client_record(client):
    """Everything the portal holds about one client, as plain data (for export and printing):
    times as aware datetimes, keys stable (portal/care/labels.py gives the page's words)."""
    intake = intake_for(client, create=False)
    signatures = db.session.scalars(select(ConsentSignature).where(
        ConsentSignature.client_id == client.id).order_by(ConsentSignature.signed_at)).all()
    results = db.session.scalars(select(MeasureResult).where(
        MeasureResult.client_id == client.id).order_by(MeasureResult.taken_at)).all()
    journal = db.session.scalars(select(JournalEntry).where(
        JournalEntry.client_id == client.id).order_by(JournalEntry.written_on)).all()
    decision = intake.latest_decision if intake else None
    return {
        "account": {"name": client.name, "email": client.email, "time_zone": client.timezone,
                    "created_at": _iso(client.created_at)},
        "intake": None if intake is None else {
            "status": intake.status, "submitted_at": _iso(intake.submitted_at),
            "steps": {STEP_TITLES[row.step]: row.data for row in intake.steps
                      if row.step != "consents"},
            "decision": decision.label if decision else None,
            "amendment_requests": [{"message": r.message, "submitted_at": r.created_at,
                                    "resolved_at": r.resolved_at}
                                   for r in db.session.scalars(select(AmendmentRequest).where(
                                       AmendmentRequest.intake_id == intake.id))],
        },
        "consents": [{"document": s.document.title, "version": s.document.version,
                      "signed_name": s.signed_name, "signed_at": _iso(s.signed_at), "ip": s.ip}
                     for s in signatures],
        "measures": [{"instrument": r.instrument, "taken_at": _iso(r.taken_at),
                      "source": r.source, **r.result} for r in results],
        "journal": [{"date": e.written_on, "mood": e.mood, "shared": e.shared,
                     "text": e.text} for e in journal],
        **rest_of_record(client),
        "access_log": [{"when": a.when, "who": a.who, "what": a.what}
                       for a in accesses(client)],
    }


def journal_entries(client):
    """The client's journal, newest first."""
    return db.session.scalars(select(JournalEntry).where(JournalEntry.client_id == client.id)
                              .order_by(JournalEntry.written_on.desc(),
                                        JournalEntry.id.desc())).all()


def own_journal_entry(client, entry_id):
    """The client's own entry (never someone else's, shared or not); else 404."""
    entry = get_or_404_for(client, JournalEntry, entry_id)
    if entry.client_id != client.id:
        abort(404)
    return entry


def ended_dosing(client, appointment_id, now):
    """The client's own dosing session that has ended (its check-in form); 404 for anything
    else."""
    appointment = db.session.get(Appointment, appointment_id)
    if (appointment is None or appointment.client_id != client.id
            or not has_checkin(appointment) or appointment.ends_at > now):
        abort(404)
    return appointment


def post_dosing_sent(appointment):
    """Has the client already answered this session's check-in?"""
    return db.session.scalar(select(PostDosingCheckin.id).where(
        PostDosingCheckin.appointment_id == appointment.id)) is not None


def open_checkins(now, client=None):
    """Dosing sessions whose check-in is open (the invitation time has come, within the week)
    and not answered, newest first: the client's own, or every client's (the email sender)."""
    answered = select(PostDosingCheckin.id).where(
        PostDosingCheckin.appointment_id == Appointment.id).exists()
    stmt = (select(Appointment).options(selectinload(Appointment.client)).where(
        Appointment.kind == SessionKind.DOSING.value,
        Appointment.status.in_(COUNTED_STATUSES), Appointment.ends_at <= now,
        Appointment.ends_at > now - POST_DOSING_WINDOW, ~answered)
        .order_by(Appointment.starts_at.desc()))
    if client is not None:
        stmt = stmt.where(Appointment.client_id == client.id)
    return [a for a in db.session.scalars(stmt) if invite_opens(a) <= now]
