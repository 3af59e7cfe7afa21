"""The read model of "who accessed my record": the audit events about a client's record made by
other people, in plain words, without other users' emails, addresses or browsers.

"About the record": events on the client's user row, and on their intake, journal entries,
questionnaire results, safety flags, appointments, session notes and message threads. The client's own actions
and events without a person (system jobs) are left out; so are refusals (outcome "failure"):
they changed and showed nothing.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, cast, or_, select

from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.intake import Intake
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.message import MessageThread
from portal.models.notes import SessionNote
from portal.models.schedule import Appointment
from portal.models.user import User

LIMIT = 200
MERGE_WITHIN = timedelta(minutes=30)  # autosaves and repeated views become one line

WHAT = {
    "intake_viewed": "viewed your intake",
    "intake_printed": "printed your intake",
    "intake_decision": "recorded a decision about your intake",
    "break_glass_read": "opened your record",
    "break_glass_granted": "opened emergency access to your record",
    "break_glass_revoked": "ended emergency access to your record",
    "journal_viewed": "read the journal entries you shared",
    "measures_viewed": "viewed your questionnaire results",
    "note_viewed": "opened a session note",
    "note_saved": "wrote a session note",
    "note_autosaved": "wrote a session note",
    "note_signed": "signed a session note",
    "note_addendum_added": "added to a session note",
    "safety_panel_viewed": "viewed your location and emergency contact for a session",
    "safety_flag_acknowledged": "reviewed an alert from your answers",
    "client_page_viewed": "opened your record",
    "client_care_status_changed": "changed the status of your care",
    "user_created": "created your account",
    "role_changed": "changed your account type",
    "user_activated": "reactivated your account",
    "user_deactivated": "deactivated your account",
    "mfa_reset": "reset your two-step sign-in",
    "appointment_cancelled": "cancelled a session",
    "appointment_rescheduled": "moved a session",
    "appointment_completed": "marked a session as attended",
    "appointment_no_show": "marked a session as missed",
    "call_page_opened": "opened the video room of a session",
    "call_admit": "let you into a video session",
    "message_thread_viewed": "read your messages",
    "message_sent": "wrote you a message",
    "message_thread_closed": "closed a conversation in your messages",
}
BY_OBJECT = {
    "user": "looked at or updated your record",
    "intake": "looked at or updated your intake",
    "journal_entry": "read a journal entry you shared",
    "measure_result": "viewed a questionnaire result",
    "safety_flag": "reviewed an alert from your answers",
    "appointment": "took part in or updated a session",
    "session_note": "worked on a session note",
    "message_thread": "read or wrote your messages",
}


@dataclass
class Access:
    when: datetime
    who: str
    what: str


def _about(client):
    """SQL condition: the event is about one of this client's objects."""
    def ids(column, where):
        return select(cast(column, String)).where(where)
    appointments = select(Appointment.id).where(Appointment.client_id == client.id)
    objects = {
        "intake": ids(Intake.id, Intake.client_id == client.id),
        "journal_entry": ids(JournalEntry.id, JournalEntry.client_id == client.id),
        "measure_result": ids(MeasureResult.id, MeasureResult.client_id == client.id),
        "safety_flag": ids(SafetyFlag.id, SafetyFlag.client_id == client.id),
        "appointment": ids(Appointment.id, Appointment.client_id == client.id),
        "session_note": ids(SessionNote.id, SessionNote.appointment_id.in_(appointments)),
        "message_thread": ids(MessageThread.id, MessageThread.client_id == client.id),
    }
    return or_((AuditEvent.object_type == "user") & (AuditEvent.object_id == str(client.id)),
               *[(AuditEvent.object_type == kind) & AuditEvent.object_id.in_(query)
                 for kind, query in objects.items()])


def who(actor, event, client):
    """The person in plain role terms; None for people the client is not told about."""
    if event.outcome == "break_glass" or event.event.startswith("break_glass"):
        return "Practice administrator (emergency access)"
    if actor.id == client.therapist_id:
        return f"Your therapist, {actor.name}"
    if actor.role == Role.ADMIN.value:
        return "Practice administrator"
    if actor.role == Role.THERAPIST.value:
        return f"A therapist of the practice, {actor.name}"
    return None  # another client never acts on this record; nothing to say about them


def accesses(client, limit=LIMIT):
    """The latest accesses by other people, newest first (repeats within 30 minutes merged)."""
    rows = db.session.execute(
        select(AuditEvent, User).join(User, User.id == AuditEvent.actor_id)
        .where(_about(client), AuditEvent.actor_id != client.id,
               AuditEvent.outcome.in_(("success", "break_glass")))
        .order_by(AuditEvent.id.desc()).limit(limit)).all()
    found = []
    for event, actor in rows:
        person = who(actor, event, client)
        if person is None:
            continue
        what = WHAT.get(event.event) or BY_OBJECT.get(event.object_type, "updated your record")
        last = found[-1] if found else None
        if last and last.who == person and last.what == what and \
                last.when - event.created_at <= MERGE_WITHIN:
            continue  # the newer line stands for this one
        found.append(Access(event.created_at, person, what))
    return found
