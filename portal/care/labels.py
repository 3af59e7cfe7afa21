"""Words for the keys of "my record": the page shows labels, never field names
("medications-0-dose" → "Medication 1: dose"), and times in the viewer's zone; the JSON keeps
the keys. Intake answers take the labels of the intake's own questions."""
import re
from datetime import date, datetime

from wtforms.fields.core import UnboundField

from portal.core.time import format_local, viewer_zone
from portal.intake import forms as intake_forms
from portal.intake.steps import STEP_FORMS

LABELS = {
    "name": "Name", "email": "Email", "time_zone": "Time zone", "created_at": "Account created",
    "status": "Status", "submitted_at": "Sent", "decision": "Decision", "steps": "Answers",
    "amendment_requests": "Requests to change your intake", "message": "Message",
    "resolved_at": "Resolved", "document": "Document", "version": "Version",
    "signed_name": "Signed as", "signed_at": "Signed", "ip": "Signed from (network address)",
    "instrument": "Questionnaire", "taken_at": "Taken", "source": "Where", "total": "Score",
    "band": "Meaning", "items": "Answers (item by item)", "date": "Date", "mood": "Mood (1-10)",
    "shared": "Shared with your therapist", "text": "Text", "session": "Session",
    "starts_at": "Starts", "ends_at": "Ends", "how": "How", "location": "Where",
    "cancel_message": "Message when cancelled", "session_at": "Session",
    "fasting": "Fasting 4 hours before", "ride_arranged": "Ride home arranged",
    "ride_who": "Who takes you home", "no_alcohol_benzos": "No alcohol or benzodiazepines",
    "notes": "Notes", "dose": "Dose", "medication": "Medication", "amount": "Amount",
    "route": "How it was taken", "given_at": "Given at", "prescriber": "Prescriber",
    "monitor": "Monitor", "vitals": "Vital signs", "check": "Check",
    "blood_pressure": "Blood pressure", "heart_rate": "Heart rate", "spo2": "Oxygen (SpO2 %)",
    "side_effects": "Side effects", "intensity": "Intensity (0-10)",
    "blood_pressure_override": "Reason to dose above the blood-pressure limit",
    "discharge": "Going home", "alert_and_oriented": "Alert and oriented",
    "vitals_back_in_range": "Vital signs back in range", "ride_home_confirmed": "Ride confirmed",
    "driver": "Driver", "next_integration": "Next integration session", "addenda": "Added later",
    "written_at": "Written", "answers": "Answers", "raised_at": "Raised", "about": "About",
    "reviewed_at": "Reviewed by your therapist", "phone": "Phone",
    "confirmed_at": "Confirmed", "subject": "Subject", "started_at": "Started",
    "closed_at": "Closed", "messages": "Messages", "from": "From", "sent_at": "Sent",
    "changed_at": "Changed", "reason": "Reason", "period": "Period", "when": "When",
    "who": "Who", "what": "What",
}
LIST_ITEM = re.compile(r"^(?P<list>[a-z_]+)-(?P<index>\d+)-(?P<field>[a-z_]+)$")


def _question_labels():
    found = {}
    for form_class in [*STEP_FORMS.values(), intake_forms.MedicationRow]:
        for name in dir(form_class):
            unbound = getattr(form_class, name, None)
            if isinstance(unbound, UnboundField):
                label = unbound.args[0] if unbound.args else unbound.kwargs.get("label")
                if isinstance(label, str):
                    found.setdefault(name, label)
    return found


QUESTIONS = _question_labels()


def label_of(key):
    """The words for a key of the record."""
    key = str(key)
    item = LIST_ITEM.match(key)
    if item:
        field = QUESTIONS.get(item["field"], item["field"].replace("_", " "))
        return f"{item['list'].rstrip('s').replace('_', ' ').capitalize()} " \
               f"{int(item['index']) + 1}: {field.lower()}"
    if key in LABELS:
        return LABELS[key]
    if key in QUESTIONS:
        return QUESTIONS[key]
    return key.replace("_", " ").capitalize() if re.fullmatch(r"[a-z0-9_]+", key) else key


def shown(value):
    """A value of the record in words: local times, Yes/No, a dash for nothing."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return format_local(value, viewer_zone())
    if isinstance(value, date):
        return f"{value:%A} {value.day} {value:%B %Y}"
    if isinstance(value, list | tuple):
        return ", ".join(shown(v) for v in value)
    return str(value)


# The sections of "my record", in the page's order, with their titles (the JSON's keys).
SECTIONS = {
    "account": "Account", "intake": "Intake", "consents": "Consents",
    "appointments": "Sessions", "readiness": "Readiness before dosing sessions",
    "dosing_records": "Dosing sessions", "post_dosing_checkins": "Check-ins after dosing",
    "measures": "Questionnaires", "checkin_invitations": "Check-in invitations",
    "measure_schedule": "Questionnaires your therapist scheduled",
    "booking_overrides": "Sessions booked past a booking rule",
    "flags": "Alerts from your answers", "call_locations": "Where you were for video sessions",
    "messages": "Messages", "journal": "Journal", "care_status": "Your care's status",
    "access_log": "Who looked at your record",
}
