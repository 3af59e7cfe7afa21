"""The rest of "my record": what the portal keeps about a client beyond the intake, consents,
measures and journal (portal/care/queries.py), as plain data with stable keys.

Times are aware datetimes here: the JSON export writes them as ISO-8601 UTC, the page shows
them in the viewer's zone. COVERS names, for each model that refers to a client, the key of
the export that holds it; tests/test_my_record_complete.py fails when a model that refers to a
client is neither covered nor excluded with a reason (EXCLUDED), so none is forgotten.

The dosing record is given in full in client-facing words, the therapist's observations
included: it is part of the designated record set (HIPAA right of access, 45 CFR 164.524), a
checklist and a 0-10 rating rather than interpretive notes. Session notes are not: see EXCLUDED.
"""
from datetime import datetime

from sqlalchemy import select

from portal.core.vocabulary import (
    CHECK_LABELS,
    DOSE_ROUTES,
    KIND_LABELS,
    NEXT_INTEGRATION,
    READINESS_CONCERNS,
    SEVERITY_LABELS,
    SIDE_EFFECT_LABELS,
    STATUS_LABELS,
    FlagKind,
)
from portal.extensions import db
from portal.models.call import Call
from portal.models.care import CareStatusChange, CheckinInvitation, PostDosingCheckin
from portal.models.dosing import DosingRecord
from portal.models.measure import SafetyFlag
from portal.models.measure_schedule import MeasureReminder, MeasureSchedule
from portal.models.message import MessageThread
from portal.models.schedule import Appointment, BookingOverride, DosingReadiness

COVERS = {
    "User": "account", "Intake": "intake", "ConsentSignature": "consents",
    "MeasureResult": "measures", "JournalEntry": "journal", "Appointment": "appointments",
    "DosingReadiness": "readiness", "DosingRecord": "dosing_records",
    "PostDosingCheckin": "post_dosing_checkins", "SafetyFlag": "flags",
    "Call": "call_locations", "MessageThread": "messages", "CareStatusChange": "care_status",
    "CheckinInvitation": "checkin_invitations", "BreakGlassGrant": "access_log",
    "MeasureSchedule": "measure_schedule", "MeasureReminder": "measure_schedule",
    "BookingOverride": "booking_overrides",
}
EXCLUDED = {
    "SessionNote": "the therapist's psychotherapy notes, kept apart from the record (45 CFR "
                   "164.501 and 164.524(a)(1)(i)); a copy is given on request by the practice",
    "UserSession": "sign-in sessions: security data, listed on the account page",
    "RecoveryCode": "one-way hashes of sign-in recovery codes: security data, nothing to read",
    "Passkey": "sign-in keys: security data, listed on the account page",
    "PasskeyChallenge": "single-use sign-in challenges, minutes long: security data",
    "ReminderLog": "which reminder emails were sent for an appointment listed under "
                   "appointments: delivery bookkeeping, no fact about the client",
    "CallEvent": "technical events of a video connection (connected, reconnected): plumbing; "
                 "the call's location is under call_locations",
}


def _when(value):
    """A time kept as ISO text inside an encrypted document, as an aware datetime."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _yes_no(value):
    return None if value is None else ("Yes" if value in (True, "yes", "y") else "No")


def appointments(client):
    rows = db.session.scalars(select(Appointment).where(Appointment.client_id == client.id)
                              .order_by(Appointment.starts_at)).all()
    return [{"session": KIND_LABELS.get(a.kind, a.kind), "starts_at": a.starts_at,
             "ends_at": a.ends_at, "how": "In person" if a.modality == "in_person" else "Video",
             "location": a.location, "status": STATUS_LABELS.get(a.status, a.status),
             "cancel_message": a.cancel_message} for a in rows]


def _of_appointments(model, client):
    return db.session.execute(select(model, Appointment).join(
        Appointment, Appointment.id == model.appointment_id)
        .where(Appointment.client_id == client.id).order_by(Appointment.starts_at)).all()


def readiness(client):
    return [{"session_at": a.starts_at, "submitted_at": r.submitted_at,
             "fasting": r.answers.get("fasting"), "ride_arranged": r.answers.get("ride_arranged"),
             "ride_who": r.answers.get("ride_who"),
             "no_alcohol_benzos": r.answers.get("no_alcohol_benzos"),
             "notes": r.answers.get("notes")} for r, a in _of_appointments(DosingReadiness, client)]


def _dose(dose):
    return None if not dose else {
        "medication": dose.get("medication"), "amount": dose.get("amount"),
        "route": DOSE_ROUTES.get(dose.get("route"), dose.get("route")),
        "given_at": _when(dose.get("given_at")), "prescriber": dose.get("prescriber")}


def dosing_records(client):
    found = []
    for r, a in _of_appointments(DosingRecord, client):
        obs, out = r.observations or {}, r.discharge or {}
        found.append({
            "session_at": a.starts_at, "signed_at": r.signed_at, "dose": _dose(r.dose),
            "monitor": r.monitor_name,
            "vitals": [{"check": CHECK_LABELS.get(v.get("check"), v.get("check")),
                        "taken_at": _when(v.get("taken_at")),
                        "blood_pressure": f"{v.get('systolic')}/{v.get('diastolic')}",
                        "heart_rate": v.get("heart_rate"), "spo2": v.get("spo2")}
                       for v in r.vitals or []],
            "side_effects": [SIDE_EFFECT_LABELS.get(s, s) for s in obs.get("side_effects", [])]
            + ([obs["other"]] if obs.get("other") else []),
            "intensity": obs.get("intensity"),
            "blood_pressure_override": (r.override or {}).get("reason"),
            "discharge": None if not out else {
                "alert_and_oriented": _yes_no(out.get("alert_oriented")),
                "vitals_back_in_range": _yes_no(out.get("vitals_in_range")),
                "ride_home_confirmed": _yes_no(out.get("ride_confirmed")),
                "driver": out.get("driver_name"),
                "next_integration": NEXT_INTEGRATION.get(out.get("next_integration"))},
            "addenda": [{"written_at": d.created_at, "text": d.text} for d in r.addenda]})
    return found


def post_dosing_checkins(client):
    rows = db.session.scalars(select(PostDosingCheckin).where(
        PostDosingCheckin.client_id == client.id).order_by(PostDosingCheckin.created_at)).all()
    return [{"submitted_at": c.created_at, "answers": c.answers} for c in rows]


def flag_words(flag):
    """An alert in plain words, for the client."""
    if flag.kind == FlagKind.ITEM9:
        return ("Question 9 of the PHQ-9 answered above 0 (thoughts of being better off dead "
                "or of self-harm)")
    if flag.kind == FlagKind.POST_DOSING:
        return "Answers after a dosing session that your therapist wanted to look at"
    if flag.kind == FlagKind.READINESS:
        reasons = flag.code.partition(":")[2].split("+")
        return "Before a dosing session: " + ", ".join(READINESS_CONCERNS.get(r, r)
                                                        for r in reasons if r)
    return (f"{SEVERITY_LABELS.get(flag.severity, 'Note')}: "
            f"{flag.code.replace('_', ' ')} (from your intake answers)")


def flags(client):
    rows = db.session.scalars(select(SafetyFlag).where(SafetyFlag.client_id == client.id)
                              .order_by(SafetyFlag.created_at)).all()
    return [{"raised_at": f.created_at, "about": flag_words(f),
             "reviewed_at": f.acknowledged_at} for f in rows]


def call_locations(client):
    return [{"session_at": a.starts_at, "location": c.client_location, "phone": c.client_phone,
             "confirmed_at": c.location_confirmed_at}
            for c, a in _of_appointments(Call, client) if c.client_location or c.client_phone]


def messages(client):
    threads = db.session.scalars(select(MessageThread).where(
        MessageThread.client_id == client.id).order_by(MessageThread.created_at)).all()
    return [{"subject": t.subject, "started_at": t.created_at, "closed_at": t.closed_at,
             "messages": [{"from": "You" if m.author_id == client.id else
                           (m.author.name if m.author else "Staff"),
                           "sent_at": m.created_at, "text": m.body} for m in t.messages]}
            for t in threads]


def care_status(client):
    rows = db.session.scalars(select(CareStatusChange).where(
        CareStatusChange.client_id == client.id).order_by(CareStatusChange.changed_at)).all()
    return [{"changed_at": c.changed_at, "status": c.status.capitalize(), "reason": c.reason}
            for c in rows]


def checkin_invitations(client):
    rows = db.session.scalars(select(CheckinInvitation).where(
        CheckinInvitation.client_id == client.id).order_by(CheckinInvitation.claimed_at)).all()
    return [{"period": i.period, "sent_at": i.sent_at} for i in rows]


def measure_schedule(client):
    """The questionnaires the therapist asked for, and the reminders sent about them."""
    rows = db.session.scalars(select(MeasureSchedule).where(
        MeasureSchedule.client_id == client.id)).all()
    sent = db.session.scalars(select(MeasureReminder).where(
        MeasureReminder.client_id == client.id, MeasureReminder.sent_at.is_not(None))
        .order_by(MeasureReminder.sent_at)).all()
    return [{"questionnaires": s.instruments, "every_days": s.every_days,
             "before_sessions": _yes_no(s.before_sessions),
             "morning_after_dosing": _yes_no(s.after_dosing), "since": s.starts_at}
            for s in rows] + [{"reminder_sent_at": r.sent_at} for r in sent]


def booking_overrides(client):
    """Sessions the therapist booked past a booking rule, with the rule and their reason."""
    rows = db.session.execute(select(BookingOverride, Appointment).join(
        Appointment, Appointment.id == BookingOverride.appointment_id).where(
        Appointment.client_id == client.id).order_by(BookingOverride.created_at)).all()
    return [{"session_at": a.starts_at, "rule": o.refusal, "reason": o.reason,
             "recorded_at": o.created_at} for o, a in rows]


def rest_of_record(client):
    """The sections beyond the intake, consents, measures and journal (keys are stable)."""
    return {"appointments": appointments(client), "readiness": readiness(client),
            "dosing_records": dosing_records(client),
            "post_dosing_checkins": post_dosing_checkins(client), "flags": flags(client),
            "call_locations": call_locations(client), "messages": messages(client),
            "care_status": care_status(client),
            "checkin_invitations": checkin_invitations(client),
            "measure_schedule": measure_schedule(client),
            "booking_overrides": booking_overrides(client)}
