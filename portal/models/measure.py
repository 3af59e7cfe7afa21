"""Repeat measures (PHQ-9, GAD-7) and safety flags."""
from sqlalchemy import ForeignKey, Index, String, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.core.vocabulary import SCHEDULABLE_MEASURES, FlagKind, Severity, Source
from portal.extensions import db
from portal.models.types import EncryptedJSON, EncryptedText, OpaqueCode, UTCDateTime


class MeasureResult(db.Model):
    """One completed questionnaire; items, total and band are encrypted together."""

    __tablename__ = "measure_results"
    __table_args__ = (Index("ix_measure_results_client_taken", "client_id", "taken_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Opaque, not encrypted: phq9, pcl5 or cssrs names the condition screened for, and the
    # latest result per instrument is picked in SQL (partitioned by it). Keeps its 8 characters.
    instrument: Mapped[str] = mapped_column(OpaqueCode(
        "measure_results.instrument", lambda: tuple(SCHEDULABLE_MEASURES), length=8))
    source: Mapped[str] = mapped_column(String(16))  # a Source
    result = mapped_column(EncryptedJSON("measure_results.result"), nullable=False)
    taken_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    client = relationship("User")

    def visible_to(self, user):
        # Admins see other therapists' clients only through break-glass (portal/admin).
        return user.id == self.client_id or (
            user.is_clinician and self.client.therapist_id == user.id)

    @property
    def total(self):
        return self.result["total"]

    @property
    def band(self):
        return self.result["band"]

    @property
    def item9_positive(self):
        return bool(self.result.get("item9_positive"))


CHECKIN_SOURCES = (Source.CHECKIN.value, Source.INTAKE.value)


def last_checkin_at(client_id):
    """The time of the client's latest check-in (or intake) measures, as a scalar subquery:
    `client_id` is a value, or a column such as User.id to correlate with (the index on client
    and time answers it per client)."""
    return (select(func.max(MeasureResult.taken_at))
            .where(MeasureResult.client_id == client_id,
                   MeasureResult.source.in_(CHECKIN_SOURCES)).scalar_subquery())


class SafetyFlag(db.Model):
    """Something the therapist must see and acknowledge (urgent flags first on the dashboard)."""

    __tablename__ = "safety_flags"
    __table_args__ = (Index("ix_safety_flags_client_open", "client_id", "acknowledged_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # kind, severity and source: opaque, not encrypted. Each names the risk (item 9: thoughts of
    # self-harm), how acute it is, or that the client had a dosing session; the dashboard's
    # urgent list and the booking gates filter on them in SQL, and each is a closed set.
    kind: Mapped[str] = mapped_column(OpaqueCode("safety_flags.kind", FlagKind, length=24))
    severity: Mapped[str] = mapped_column(OpaqueCode("safety_flags.severity", Severity,
                                                     length=24))
    # Encrypted, not opaque: the contraindication codes (pregnancy, psychosis_current, ...) live
    # in the intake's rules, post-dosing flags join several reasons ("item9+low_mood"), so the
    # set is open; and no query filters on it (the review page matches codes in Python).
    code = mapped_column(EncryptedText("safety_flags.code"), nullable=False)
    source: Mapped[str] = mapped_column(OpaqueCode("safety_flags.source", Source))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    acknowledged_at = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id",
                                                                      ondelete="SET NULL"))
    acknowledgement_note = mapped_column(EncryptedText("safety_flags.acknowledgement_note"))
    # The answer that raised the flag, in the words the client chose ("Nearly every day").
    answer = mapped_column(EncryptedText("safety_flags.answer"))

    client = relationship("User", foreign_keys=[client_id])

    def visible_to(self, user):
        return user.is_clinician and self.client.therapist_id == user.id

    @property
    def open(self):
        return self.acknowledged_at is None
