"""The client's intake: answers per step (encrypted), its review decision and amendment requests."""
import re

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.core.time import utcnow
from portal.core.vocabulary import DECISION_LABELS, Decision, IntakeStatus, IntakeStep
from portal.extensions import db
from portal.models.types import EncryptedJSON, EncryptedText, OpaqueCode, UTCDateTime

ROW_KEY = re.compile(r"^medications-(\d{1,3})-(name|dose|frequency)$")
STEPS = [step.value for step in IntakeStep]


class Intake(db.Model):
    __tablename__ = "intakes"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                           unique=True)
    status: Mapped[str] = mapped_column(String(16), default=IntakeStatus.DRAFT.value)
    current_step: Mapped[str] = mapped_column(String(16), default=STEPS[0])
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    submitted_at = mapped_column(UTCDateTime)

    client = relationship("User")
    steps = relationship("IntakeStep", back_populates="intake", cascade="all, delete-orphan",
                         order_by="IntakeStep.id")
    decisions = relationship("ReviewDecision", back_populates="intake",
                             cascade="all, delete-orphan", order_by="ReviewDecision.id")

    def __repr__(self):
        return f"<Intake {self.id} client={self.client_id} {self.status}>"

    def visible_to(self, user):
        # Admins see other therapists' clients only through break-glass (portal/admin).
        return user.id == self.client_id or (
            user.is_clinician and self.client.therapist_id == user.id)

    @property
    def submitted(self):
        return self.status == IntakeStatus.SUBMITTED.value

    def step(self, key):
        return next((s for s in self.steps if s.step == key), None)

    def answers(self, key):
        row = self.step(key)
        return dict(row.data) if row is not None else {}

    def all_answers(self):
        """Every step's answers merged into one flat dict (the rules read this).

        Repeated rows arrive from the form as `medications-0-name` keys; they are gathered into
        a `medications` list of {name, dose, frequency} dicts.
        """
        merged, rows = {}, {}
        for row in self.steps:
            for key, value in (row.data or {}).items():
                match = ROW_KEY.match(key)
                if match:
                    rows.setdefault(int(match.group(1)), {})[match.group(2)] = value
                else:
                    merged[key] = value
        merged["medications"] = [rows[i] for i in sorted(rows) if any(rows[i].values())]
        return merged

    def completed_steps(self):
        return {row.step for row in self.steps if row.complete}

    @property
    def latest_decision(self):
        return self.decisions[-1] if self.decisions else None


class IntakeStep(db.Model):
    """The answers of one step: saved as a draft on every change, marked complete when valid."""

    __tablename__ = "intake_steps"
    __table_args__ = (UniqueConstraint("intake_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(16))
    data = mapped_column(EncryptedJSON("intake_steps.data"), nullable=False)
    complete: Mapped[bool] = mapped_column(default=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    intake = relationship("Intake", back_populates="steps")


class ReviewDecision(db.Model):
    """The therapist's decision on an intake. The client sees the decision in plain words and
    `client_note`; the private note, reason, referral and clearance details are for the care
    team. An "eligible" decision taken while safety flags were open names them
    (`flags_confirmed`: [{id, title}]) with the therapist's `confirm_reason`."""

    __tablename__ = "review_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"),
                                           index=True)
    therapist_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Opaque, not encrypted: "not_eligible" or "needs_clearance" is a clinical judgement, and
    # the arc of care compares the latest decision in SQL; a closed set.
    decision: Mapped[str] = mapped_column(OpaqueCode("review_decisions.decision", Decision,
                                                     length=24))
    clearance_needed = mapped_column(EncryptedText("review_decisions.clearance_needed"))
    reason = mapped_column(EncryptedText("review_decisions.reason"))
    referral = mapped_column(EncryptedText("review_decisions.referral"))
    private_note = mapped_column(EncryptedText("review_decisions.private_note"))
    client_note = mapped_column(EncryptedText("review_decisions.client_note"))
    flags_confirmed = mapped_column(EncryptedJSON("review_decisions.flags_confirmed"))
    confirm_reason = mapped_column(EncryptedText("review_decisions.confirm_reason"))
    decided_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    intake = relationship("Intake", back_populates="decisions")
    therapist = relationship("User")

    @property
    def label(self):
        return DECISION_LABELS[Decision(self.decision)]


class AmendmentRequest(db.Model):
    """A client's request to change a submitted intake (the therapist decides)."""

    __tablename__ = "amendment_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intakes.id", ondelete="CASCADE"),
                                           index=True)
    message = mapped_column(EncryptedText("amendment_requests.message"), nullable=False)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    resolved_at = mapped_column(UTCDateTime)
