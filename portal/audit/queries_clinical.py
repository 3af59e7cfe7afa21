"""Which audit details an admin may read: clinical facts of another therapist's client only under
break-glass (issue 14, HIPAA minimum necessary, §164.502(b)).

An event's `detail` can carry clinical meaning (a flag code, an intake decision, a care status).
For an event about a client whose therapist is not the admin, the admin sees that the event
happened, but its detail is withheld unless the admin holds an active break-glass grant for that
client; a detail read under a grant is audited as a break-glass read, like the record pages
(portal/workspace/queries.py), so the therapist and the client see it in their access logs.
Events the admin made themselves are shown: they tell the admin nothing new; so are the details
of the account-security events below, which an admin needs to watch sign-ins and lockouts and
which say nothing about care. Any other event is treated as clinical: a new event is withheld
until someone decides otherwise here (the stricter default).
"""
from dataclasses import dataclass

from flask import request
from sqlalchemy import select

from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.breakglass import BreakGlassGrant
from portal.models.care import PostDosingCheckin
from portal.models.intake import Intake
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.message import MessageThread
from portal.models.notes import SessionNote
from portal.models.schedule import Appointment
from portal.models.user import User
from portal.security.audit import record

# The objects that belong to one client, and the column naming that client.
CLIENT_OF = {
    "intake": (Intake.id, Intake.client_id),
    "journal_entry": (JournalEntry.id, JournalEntry.client_id),
    "measure_result": (MeasureResult.id, MeasureResult.client_id),
    "safety_flag": (SafetyFlag.id, SafetyFlag.client_id),
    "appointment": (Appointment.id, Appointment.client_id),
    "post_dosing_checkin": (PostDosingCheckin.id, PostDosingCheckin.client_id),
    "message_thread": (MessageThread.id, MessageThread.client_id),
}

# Details that are about the account, never about care (a failure reason, a factor, a role).
ACCOUNT_EVENTS = frozenset({
    "login_failure", "login_success", "login_password_ok", "mfa_success", "account_locked",
    "session_expired", "logout", "password_reset_requested", "registration_existing_email",
    "user_created", "role_changed", "user_activated", "user_deactivated", "mfa_reset",
    "break_glass_granted", "break_glass_revoked", "break_glass_read",
    "passkey_registered", "passkey_registration_failed", "passkey_removed",
    "passkey_clone_suspected",
})


@dataclass
class Shown:
    event: AuditEvent
    detail: str | None
    withheld: bool = False


def _ids(rows, kind):
    return {int(r.object_id) for r in rows
            if r.object_type == kind and r.object_id and r.object_id.isdigit()}


def _client_ids(rows):
    """{event id: id of the user the event is about, or its actor}, before the client check."""
    owner = {}
    for kind, (id_col, client_col) in CLIENT_OF.items():
        ids = _ids(rows, kind)
        if ids:
            owner.update({(kind, i): c for i, c in db.session.execute(
                select(id_col, client_col).where(id_col.in_(ids)))})
    notes = _ids(rows, "session_note")
    if notes:
        owner.update({("session_note", i): c for i, c in db.session.execute(
            select(SessionNote.id, Appointment.client_id)
            .join(Appointment, Appointment.id == SessionNote.appointment_id)
            .where(SessionNote.id.in_(notes)))})
    about = {}
    for r in rows:
        key = (r.object_type, int(r.object_id)) if r.object_id and r.object_id.isdigit() else None
        if r.object_type == "user" and key:
            about[r.id] = key[1]
        elif key in owner:
            about[r.id] = owner[key]
        else:
            about[r.id] = r.actor_id
    return about


def details_for(viewer, rows):
    """The rows with the details this viewer may read (see the module docstring)."""
    if not viewer.is_admin:
        return [Shown(r, r.detail) for r in rows]  # therapists see only their own clients' events
    about = _client_ids(rows)
    clients = dict(db.session.execute(
        select(User.id, User.therapist_id).where(User.id.in_(set(about.values()) - {None}),
                                                 User.role == Role.CLIENT.value)).all())
    grants = {g.client_id: g for g in BreakGlassGrant.active_for(viewer.id)}
    shown, read = [], {}
    for r in rows:
        client_id = about[r.id]
        if (r.detail is None or r.actor_id == viewer.id or r.event in ACCOUNT_EVENTS
                or client_id not in clients or clients[client_id] == viewer.id):
            shown.append(Shown(r, r.detail))
        elif client_id in grants:
            read[client_id] = grants[client_id]
            shown.append(Shown(r, r.detail))
        else:
            shown.append(Shown(r, None, withheld=True))
    for client_id, grant in read.items():
        record("break_glass_read", actor=viewer, obj=("user", client_id),
               outcome="break_glass", detail=f"grant {grant.id} {request.endpoint}")
    if read:
        db.session.commit()
    return shown
