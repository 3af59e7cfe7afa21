"""Read models of the dosing-day record: which sessions have one (ownership), the record, the
client's readiness answers with any concern flags, and the page's state (the gate, the timed
checks, what signing still needs).

A therapist opens the record of their own client's in-person dosing session; an admin reads
another therapist's under an active break-glass grant (audited by own_client), never writes.
Anything else gives 404, so that ids cannot be probed.
"""
from flask import abort, current_app
from sqlalchemy import select

from portal.core.vocabulary import AppointmentStatus, FlagKind, Modality, SessionKind
from portal.dosing import rules
from portal.extensions import db
from portal.models.dosing import DosingRecord
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment
from portal.scheduling.queries import readiness_of
from portal.workspace.flags import readiness_parts, readiness_title
from portal.workspace.queries import own_client


def dosing_appointment(user, appointment_id, write=False):
    """The in-person dosing session whose record `user` may open (write: their own session)."""
    appointment = db.session.get(Appointment, appointment_id)
    if (appointment is None or appointment.kind != SessionKind.DOSING
            or appointment.modality != Modality.IN_PERSON
            or appointment.status == AppointmentStatus.CANCELLED):
        abort(404)
    if appointment.therapist_id != user.id:
        if write:
            abort(404)
        own_client(user, appointment.client_id)  # 404 unless break-glass (audited)
    return appointment


def record_of(appointment):
    """The dosing record of a session, or None when nothing is recorded yet."""
    return db.session.scalar(select(DosingRecord).where(
        DosingRecord.appointment_id == appointment.id))


def gate():
    """The practice's blood-pressure gate (DOSING_BP_GATE, checked at start-up)."""
    return rules.parse_gate(current_app.config["DOSING_BP_GATE"])


def readiness_flags(appointment, open_only=False):
    """The readiness concern flags raised for this session (oldest first). The session is named
    in the flag's code, which is encrypted (cannot be matched in SQL): the client's few
    readiness flags are read and matched here."""
    query = select(SafetyFlag).where(SafetyFlag.client_id == appointment.client_id,
                                     SafetyFlag.kind == FlagKind.READINESS.value)
    if open_only:
        query = query.where(SafetyFlag.acknowledged_at.is_(None))
    flags = db.session.scalars(query.order_by(SafetyFlag.created_at, SafetyFlag.id)).all()
    return [flag for flag in flags if readiness_parts(flag.code)[0] == appointment.id]


class Blank:
    """The fields of a record not written yet, so the rules read one shape."""

    vitals, dose, observations, monitor_name, override, discharge = [], None, None, None, None, None
    signed, addenda, id = False, [], None


def page(appointment, now):
    """Everything the record page (and its printable view) shows."""
    found = record_of(appointment)
    record, limit = found or Blank(), gate()
    readiness = readiness_of(appointment)
    concerns = [(flag, readiness_title(flag)) for flag in readiness_flags(appointment)]
    vitals = [(r, rules.when(r["taken_at"]), limit.exceeded_by(r)) for r in record.vitals]
    return {
        "appointment": appointment, "client": appointment.client, "record": record,
        "readiness": readiness.answers if readiness else None,
        "readiness_at": readiness.submitted_at if readiness else None,
        "concerns": concerns, "open_concerns": [c for c in concerns if c[0].open],
        "vitals": sorted(vitals, key=lambda row: row[1]), "gate": limit,
        "checks": rules.check_states(record, limit, now),
        "override_needed": rules.override_needed(record, limit),
        "dose_refusal": rules.dose_refusal(record, limit),
        "given_at": rules.when((record.dose or {}).get("given_at")),
        "missing": rules.missing_for_signing(record),
    }


def concern_reasons(flags):
    """The reasons each earlier flag of a session raised."""
    return [readiness_parts(flag.code)[1] for flag in flags]
