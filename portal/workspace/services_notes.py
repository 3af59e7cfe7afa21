"""Session notes: keep the draft, sign and lock it, add addenda. Each write is audited (no
content in the audit detail); the caller commits."""
from portal.extensions import db
from portal.models.notes import NoteAddendum, SessionNote
from portal.security.audit import record
from portal.workspace.queries import note_of


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
