"""The client's integration journal: dated entries, private by default, shareable one by one."""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.types import EncryptedText, UTCDateTime


class JournalEntry(db.Model):
    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_client_written", "client_id", "written_on"),
                      CheckConstraint("mood IS NULL OR mood BETWEEN 1 AND 10", name="mood"))

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    written_on = mapped_column(Date, nullable=False)
    text = mapped_column(EncryptedText("journal_entries.text"), nullable=False)
    mood: Mapped[int | None] = mapped_column()
    shared: Mapped[bool] = mapped_column(default=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    client = relationship("User")

    def __repr__(self):
        return f"<JournalEntry {self.id} client={self.client_id} shared={self.shared}>"

    def visible_to(self, user):
        """The author always; their therapist only once shared (admins of other therapists'
        clients read through break-glass, in the therapist's journal view)."""
        if user.id == self.client_id:
            return True
        return bool(self.shared and user.is_clinician and self.client.therapist_id == user.id)
