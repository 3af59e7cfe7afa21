"""Session notes: one per appointment, written from a template for the session's kind, kept as a
draft (autosaved) until the therapist signs and locks it; afterwards only dated addenda.

Notes are clinical records for the care team: encrypted at rest and never shown to the client.
"""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.core.vocabulary import NoteStatus, SessionKind
from portal.extensions import db
from portal.models.types import EncryptedJSON, EncryptedText, OpaqueCode, UTCDateTime


class SessionNote(db.Model):
    __tablename__ = "session_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id",
                                                           ondelete="CASCADE"), unique=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The template: the appointment's kind. Opaque like appointments.kind (a closed set; a
    # dosing note reveals the treatment), so both columns can be compared in SQL alike.
    kind: Mapped[str] = mapped_column(OpaqueCode("session_notes.kind", SessionKind))
    content = mapped_column(EncryptedJSON("session_notes.content"), nullable=False)
    status: Mapped[str] = mapped_column(String(8), default=NoteStatus.DRAFT.value)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    signed_at = mapped_column(UTCDateTime)

    appointment = relationship("Appointment")
    addenda = relationship("NoteAddendum", back_populates="note", cascade="all, delete-orphan",
                           order_by="NoteAddendum.id")

    def __repr__(self):
        return f"<SessionNote {self.id} appointment={self.appointment_id} {self.status}>"

    @property
    def signed(self):
        return self.status == NoteStatus.SIGNED.value

    def save_draft(self, content):
        """Replace the draft's fields; refused once signed (the caller answers 409)."""
        if self.signed:
            raise NoteLocked(self.id)
        self.content, self.updated_at = dict(content), utcnow()

    def sign(self):
        if self.signed:
            raise NoteLocked(self.id)
        self.status, self.signed_at = NoteStatus.SIGNED.value, utcnow()
        self.updated_at = self.signed_at


class NoteLocked(Exception):
    """A signed note was about to change: only addenda are allowed."""


class NoteAddendum(db.Model):
    """A dated addition to a signed note, by its author; the note itself never changes."""

    __tablename__ = "note_addenda"
    __table_args__ = (Index("ix_note_addenda_note", "note_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("session_notes.id", ondelete="CASCADE"))
    text = mapped_column(EncryptedText("note_addenda.text"), nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    note = relationship("SessionNote", back_populates="addenda")
    author = relationship("User")
