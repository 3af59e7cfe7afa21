"""Session notes service: load the therapist's appointment, keep the draft, sign and lock, add
addenda. Every view and change is audited (no content in the audit detail)."""
from flask import abort

from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.notes import NoteAddendum, SessionNote
from portal.models.schedule import Appointment
from portal.security.audit import record
from portal.workspace.routes_review import own_client


def appointment_for(user, appointment_id, write=False):
    """The appointment if `user` is its therapist; 404 otherwise, so ids of other therapists'
    sessions cannot be probed. Reading only: the client's current therapist, or an admin under
    an active break-glass grant (own_client checks and audits it)."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or appointment.kind not in {k.value for k in SessionKind}:
        abort(404)
    if appointment.therapist_id != user.id:
        if write:
            abort(404)
        own_client(appointment.client_id)
    return appointment


def note_of(appointment):
    return db.session.query(SessionNote).filter_by(appointment_id=appointment.id).one_or_none()


def save_draft(appointment, content, by, event="note_saved"):
    """Create or update the draft; raises NoteLocked once the note is signed."""
    note = note_of(appointment)
    if note is None:
        note = SessionNote(appointment_id=appointment.id, therapist_id=by.id,
                           kind=appointment.kind, content={})
        db.session.add(note)
    note.save_draft(content)
    db.session.flush()
    record(event, actor=by, obj=("session_note", note.id))
    return note


def sign(appointment, content, by):
    """Save the final content and lock the note (raises NoteLocked if already signed)."""
    note = save_draft(appointment, content, by)
    note.sign()
    record("note_signed", actor=by, obj=("session_note", note.id))
    return note


def add_addendum(note, text, by):
    """A dated addendum to a signed note (the caller refuses drafts: they are simply edited)."""
    addendum = NoteAddendum(note=note, text=text, author_id=by.id)
    db.session.add(addendum)
    db.session.flush()
    record("note_addendum_added", actor=by, obj=("session_note", note.id))
    return addendum
