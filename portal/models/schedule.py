"""Scheduling: session types, weekly availability, date overrides, appointments, reminders.

All instants are UTC. Weekly hours and overrides are wall-clock times in the therapist's own
zone (a 9:00 start stays 9:00 across a DST change). An appointment's "block" is its time plus
the type's buffers; blocks of live appointments never overlap (enforced by the database).
"""
from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, Time, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, Modality, ReminderKind, SessionKind
from portal.extensions import db
from portal.models.types import EncryptedJSON, EncryptedText, OpaqueCode, UTCDateTime

DEFAULT_TYPES = [
    # kind, name, minutes, modality
    (SessionKind.CONSULTATION, "Free consultation", 20, Modality.VIDEO),
    (SessionKind.PREPARATION, "Preparation session", 50, Modality.VIDEO),
    (SessionKind.DOSING, "Dosing session (in person)", 180, Modality.IN_PERSON),
    (SessionKind.INTEGRATION, "Integration session", 50, Modality.VIDEO),
]


class SessionType(db.Model):
    __tablename__ = "session_types"
    __table_args__ = (UniqueConstraint("therapist_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Opaque, not encrypted: the (therapist, kind) constraint and lookups by kind need equality,
    # and an appointment's session type would otherwise name its kind in clear.
    kind: Mapped[str] = mapped_column(OpaqueCode("session_types.kind", SessionKind))
    # Encrypted: shown, never filtered; "Dosing session (in person)" names the treatment.
    # Nullable since 0010 only because SQLite could not re-declare it otherwise (migration 0010);
    # every type is created with its name (scheduling.services.ensure_default_types).
    name = mapped_column(EncryptedText("session_types.name"))
    duration_min: Mapped[int] = mapped_column()
    buffer_before_min: Mapped[int] = mapped_column(default=0)
    buffer_after_min: Mapped[int] = mapped_column(default=10)
    min_notice_min: Mapped[int] = mapped_column(default=24 * 60)
    horizon_days: Mapped[int] = mapped_column(default=60)
    slot_step_min: Mapped[int] = mapped_column(default=30)
    modality: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=True)

    therapist = relationship("User")

    def __repr__(self):
        return f"<SessionType {self.id} {self.kind}>"

    @property
    def is_video(self):
        return self.modality == Modality.VIDEO.value


class AvailabilityRule(db.Model):
    """Weekly hours: on `weekday` (0 = Monday) from `start` to `end`, therapist's wall clock."""

    __tablename__ = "availability_rules"
    __table_args__ = (CheckConstraint("start_time < end_time", name="range"),
                      CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"))

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                              index=True)
    weekday: Mapped[int] = mapped_column()
    start_time = mapped_column(Time, nullable=False)
    end_time = mapped_column(Time, nullable=False)


class AvailabilityOverride(db.Model):
    """A date's exception: a day off (no times), or extra hours (with times)."""

    __tablename__ = "availability_overrides"
    __table_args__ = (Index("ix_availability_overrides_therapist_day", "therapist_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    day = mapped_column(Date, nullable=False)
    available: Mapped[bool] = mapped_column()  # False: day off / holiday; True: extra hours
    start_time = mapped_column(Time)
    end_time = mapped_column(Time)
    # Encrypted: free text the therapist types ("Kit's dosing day"), never filtered on.
    note = mapped_column(EncryptedText("availability_overrides.note"))


class Appointment(db.Model):
    __tablename__ = "appointments"
    __table_args__ = (
        # one live appointment per therapist and start (the overlap guarantee is added by the
        # migration: an exclusion constraint on PostgreSQL, a locked re-check on SQLite)
        Index("uq_appointments_therapist_start_live", "therapist_id", "starts_at", unique=True,
              postgresql_where=text("status <> 'cancelled'"),
              sqlite_where=text("status <> 'cancelled'")),
        Index("ix_appointments_therapist_starts", "therapist_id", "starts_at"),
        Index("ix_appointments_client_starts", "client_id", "starts_at"),
        UniqueConstraint("client_id", "idempotency_key"),
        CheckConstraint("block_start < block_end", name="block"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    therapist_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    session_type_id: Mapped[int] = mapped_column(ForeignKey("session_types.id",
                                                            ondelete="RESTRICT"))
    # Opaque, not encrypted: "dosing" beside client_id reveals ketamine treatment, but the
    # dashboard, the booking gates and the reminders filter on it next to indexed columns.
    kind: Mapped[str] = mapped_column(OpaqueCode("appointments.kind", SessionKind))
    modality: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(Text)
    starts_at = mapped_column(UTCDateTime, nullable=False)
    ends_at = mapped_column(UTCDateTime, nullable=False)
    block_start = mapped_column(UTCDateTime, nullable=False)
    block_end = mapped_column(UTCDateTime, nullable=False)
    status: Mapped[str] = mapped_column(String(16), default=AppointmentStatus.BOOKED.value)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    sequence: Mapped[int] = mapped_column(default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    cancelled_at = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                   ondelete="SET NULL"))
    cancel_message = mapped_column(EncryptedText("appointments.cancel_message"))
    status_changed_at = mapped_column(UTCDateTime)

    therapist = relationship("User", foreign_keys=[therapist_id])
    client = relationship("User", foreign_keys=[client_id])
    session_type = relationship("SessionType")
    cancelled_by = relationship("User", foreign_keys=[cancelled_by_id])

    def __repr__(self):
        return f"<Appointment {self.id} {self.kind} {self.status}>"

    def visible_to(self, user):
        # Only the two participants; admins use break-glass for other people's records.
        return user.id in (self.client_id, self.therapist_id)

    @property
    def live(self):
        return self.status != AppointmentStatus.CANCELLED.value

    @property
    def is_video(self):
        return self.modality == Modality.VIDEO.value

    @property
    def uid(self):
        """Stable iCalendar UID: the same across reschedules and cancellation."""
        return f"appointment-{self.id}@kap-portal"


class ReminderLog(db.Model):
    """One row per reminder sent: the unique constraint makes sending idempotent."""

    __tablename__ = "reminder_log"
    __table_args__ = (UniqueConstraint("appointment_id", "kind", "recipient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id",
                                                           ondelete="CASCADE"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Opaque, not encrypted: part of the unique key that makes sending idempotent, and
    # "readiness" exists only for dosing sessions. The "#sequence" suffix stays in clear.
    kind: Mapped[str] = mapped_column(OpaqueCode("reminder_log.kind", ReminderKind, length=24,
                                                 suffix=True))
    claimed_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    sent_at = mapped_column(UTCDateTime)


class DosingReadiness(db.Model):
    """The client's answers the day before a dosing session (fasting, ride, no alcohol...)."""

    __tablename__ = "dosing_readiness"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id",
                                                           ondelete="CASCADE"), unique=True)
    answers = mapped_column(EncryptedJSON("dosing_readiness.answers"), nullable=False)
    submitted_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class BookingOverride(db.Model):
    """A session the therapist booked for a client although a gate of the arc refused it: the
    refusal they overrode and their reason (both encrypted; the audit keeps only ids)."""

    __tablename__ = "booking_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id",
                                                           ondelete="CASCADE"), unique=True)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    refusal = mapped_column(EncryptedText("booking_overrides.refusal"), nullable=False)
    reason = mapped_column(EncryptedText("booking_overrides.reason"), nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    appointment = relationship("Appointment")
    by = relationship("User")
