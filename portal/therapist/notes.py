"""Session notes service: load the therapist's appointment, keep the draft, sign and lock, add
addenda. Every view and change is audited (no content in the audit detail)."""
from flask import abort

from portal.audit.service import record
from portal.extensions import db
from portal.models.notes import NoteAddendum, SessionNote
from portal.models.schedule import Appointment, SessionKind


def appointment_for(user, appointment_id):
    """The appointment if `user` is its therapist (admins: any); 404 otherwise, so ids of other
    therapists' sessions cannot be probed."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not (user.is_admin or appointment.therapist_id == user.id):
        abort(404)
    if appointment.kind not in {k.value for k in SessionKind}:
        abort(404)
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
