"""The client's course of care outside the appointments: pauses and discharges, the check-in
the day after a dosing session, and the 14-day check-in invitations."""
from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.core.vocabulary import CareStatus
from portal.extensions import db
from portal.models.types import EncryptedJSON, EncryptedText, OpaqueCode, UTCDateTime


class CareStatusChange(db.Model):
    """One change of a client's care status (users.care_status holds the current one)."""

    __tablename__ = "care_status_changes"
    __table_args__ = (Index("ix_care_status_changes_client", "client_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Opaque like users.care_status: a closed set telling that care was paused or ended.
    status: Mapped[str] = mapped_column(OpaqueCode("care_status_changes.status", CareStatus))
    reason = mapped_column(EncryptedText("care_status_changes.reason"))
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    client = relationship("User", foreign_keys=[client_id])
    changed_by = relationship("User", foreign_keys=[changed_by_id])


class PostDosingCheckin(db.Model):
    """The short form the day after a dosing session (one per session); answers encrypted."""

    __tablename__ = "post_dosing_checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)
    answers = mapped_column(EncryptedJSON("post_dosing_checkins.answers"), nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    client = relationship("User")
    appointment = relationship("Appointment")


class CheckinInvitation(db.Model):
    """A periodic check-in invitation; the unique (client, period) row makes sending it
    idempotent across concurrent runs (claim, then send)."""

    __tablename__ = "checkin_invitations"
    __table_args__ = (UniqueConstraint("client_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period: Mapped[str] = mapped_column(String(32))
    claimed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)
