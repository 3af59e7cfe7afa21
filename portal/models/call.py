"""Video calls: one call per video appointment, who joined and left when, and admission state.

Admission is stored, so a participant who reconnects (reload, network change, server restart)
during the appointment goes straight back into the call instead of the waiting room.
"""
from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.db import race_safe_insert
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.types import EncryptedText, UTCDateTime


class Call(db.Model):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id",
                                                           ondelete="CASCADE"), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    client_admitted_at = mapped_column(UTCDateTime)
    ended_at = mapped_column(UTCDateTime)
    reconnections: Mapped[int] = mapped_column(default=0)
    # Where the client is for this session (safety panel); PHI, so encrypted.
    client_location = mapped_column(EncryptedText("calls.client_location"))
    client_phone = mapped_column(EncryptedText("calls.client_phone"))
    location_confirmed_at = mapped_column(UTCDateTime)
    # ISO 3166 code of the confirmed location's country (the emergency numbers follow it);
    # a piece of the location, so encrypted like it.
    client_country = mapped_column(EncryptedText("calls.client_country"))
    # When the two browsers first reached "connected": the call timer counts from it, and from
    # then on the session counts as started (it may be marked completed). Written once.
    first_connected_at = mapped_column(UTCDateTime)

    appointment = relationship("Appointment")
    events = relationship("CallEvent", back_populates="call", cascade="all, delete-orphan",
                          order_by="CallEvent.id")

    def __repr__(self):
        return f"<Call {self.id} appointment={self.appointment_id}>"

    @property
    def admitted(self):
        return self.client_admitted_at is not None

    @property
    def located(self):
        """The client confirmed where they are and a phone number for this session."""
        return self.location_confirmed_at is not None

    def mark_connected(self, now):
        """Record the first connection; True only the first time (later calls change nothing)."""
        if self.first_connected_at is not None:
            return False
        self.first_connected_at = now
        return True


class CallEvent(db.Model):
    """join, rejoin, leave, admit, send_back, end: the call record (no content)."""

    __tablename__ = "call_events"
    __table_args__ = (Index("ix_call_events_call", "call_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(16))
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    call = relationship("Call", back_populates="events")


def call_for(appointment_id):
    """The appointment's Call, created on first use; safe when both participants arrive at once
    (the loser of the insert race reads the winner's row)."""
    def find():
        return db.session.query(Call).filter_by(appointment_id=appointment_id).one_or_none()
    call = find()
    if call is None:
        race_safe_insert(lambda: db.session.add(Call(appointment_id=appointment_id)))
        call = find()  # ours, or the other participant's from a moment ago
    return call
