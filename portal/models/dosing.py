"""The dosing-day record: one per in-person dosing session, kept by the therapist beside the
client. Vital signs over time, the dose, observations, the named monitor, a clinical override of
the blood-pressure gate, and the discharge checklist; signed and locked like a session note,
then only dated addenda.

Everything clinical is encrypted at rest (JSON documents and texts); the shapes of the
documents are written once in portal/dosing/rules.py. The rules (the gate, the timed checks,
what signing needs) live there too: this module only keeps the record and its lock.
"""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.core.vocabulary import NoteStatus
from portal.extensions import db
from portal.models.types import EncryptedJSON, EncryptedText, UTCDateTime


class RecordLocked(Exception):
    """A signed dosing record was about to change: only addenda are allowed."""


class DosingRecord(db.Model):
    __tablename__ = "dosing_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id",
                                                           ondelete="CASCADE"), unique=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(8), default=NoteStatus.DRAFT.value)
    # [{"check", "taken_at", "systolic", "diastolic", "heart_rate", "spo2"}], in entry order
    vitals = mapped_column(EncryptedJSON("dosing_records.vitals"), nullable=False)
    # {"medication", "amount", "route", "given_at", "prescriber"}
    dose = mapped_column(EncryptedJSON("dosing_records.dose"))
    # {"side_effects": [...], "other": "", "intensity": 0-10 or None}
    observations = mapped_column(EncryptedJSON("dosing_records.observations"))
    monitor_name = mapped_column(EncryptedText("dosing_records.monitor_name"))
    # {"reason", "reading": index of the pre-dose reading it overrides, "bp": "152/96"}
    override = mapped_column(EncryptedJSON("dosing_records.override"))
    override_at = mapped_column(UTCDateTime)
    override_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
    # {"alert_oriented", "vitals_in_range", "ride_confirmed": bools, "driver_name",
    #  "next_integration": "booked" | "offered" | ""}
    discharge = mapped_column(EncryptedJSON("dosing_records.discharge"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    signed_at = mapped_column(UTCDateTime)
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    appointment = relationship("Appointment")
    signed_by = relationship("User", foreign_keys=[signed_by_id])
    override_by = relationship("User", foreign_keys=[override_by_id])
    addenda = relationship("DosingAddendum", back_populates="record",
                           cascade="all, delete-orphan", order_by="DosingAddendum.id")

    def __repr__(self):
        return f"<DosingRecord {self.id} appointment={self.appointment_id} {self.status}>"

    @property
    def signed(self):
        return self.status == NoteStatus.SIGNED.value

    def change(self, **fields):
        """Set fields of a draft (JSON documents are replaced whole); refused once signed."""
        if self.signed:
            raise RecordLocked(self.id)
        for name, value in fields.items():
            setattr(self, name, value)
        self.updated_at = utcnow()

    def sign(self, by):
        if self.signed:
            raise RecordLocked(self.id)
        self.status, self.signed_at, self.signed_by_id = NoteStatus.SIGNED.value, utcnow(), by.id
        self.updated_at = self.signed_at


class DosingAddendum(db.Model):
    """A dated addition to a signed dosing record, by its author; the record never changes."""

    __tablename__ = "dosing_addenda"
    __table_args__ = (Index("ix_dosing_addenda_record", "record_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("dosing_records.id", ondelete="CASCADE"))
    text = mapped_column(EncryptedText("dosing_addenda.text"), nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    record = relationship("DosingRecord", back_populates="addenda")
    author = relationship("User")
