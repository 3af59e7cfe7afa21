"""Measure schedules per client (set by the therapist) and the reminders sent for them.

Which instruments a client is asked is itself clinical (a PCL-5 says "trauma"): the list is
encrypted. The timing fields say only how often. A reminder row per (client, occasion, day)
makes sending idempotent, like ReminderLog: its unique constraint decides which run sends.
"""
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.types import EncryptedJSON, UTCDateTime


class MeasureSchedule(db.Model):
    """The instruments a client is asked, every N days, before preparation or integration
    sessions, and the morning after dosing (any combination)."""

    __tablename__ = "measure_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                           unique=True)
    instruments = mapped_column(EncryptedJSON("measure_schedules.instruments"), nullable=False)
    every_days: Mapped[int | None] = mapped_column()
    before_sessions: Mapped[bool] = mapped_column(default=False)
    after_dosing: Mapped[bool] = mapped_column(default=False)
    starts_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    client = relationship("User", foreign_keys=[client_id])

    def visible_to(self, user):
        return user.is_clinician and self.client.therapist_id == user.id


class MeasureReminder(db.Model):
    """One reminder email (day 1, 2 or 3 of an occasion) claimed, then sent."""

    __tablename__ = "measure_reminders"
    __table_args__ = (UniqueConstraint("client_id", "occasion", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    occasion: Mapped[str] = mapped_column(String(40))  # e.g. every:1767225600#2, before:12#1
    day: Mapped[int] = mapped_column()
    claimed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)
