"""The client's home page, computed on the server: the next session (join button or dosing-day
address and rules), the one next step in the arc of care, and the check-ins waiting.

The next step is chosen by the client's stage in the arc (portal.care.arc.stage_of, the same
rules as the therapist's clients list; see arc.py), then refined within the stage. Reasons a
session cannot be booked come from portal.scheduling.gates.refusal, so the home page and the
booking pages use the same words.
"""
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, url_for
from sqlalchemy import select

from portal.care.arc import stage_of
from portal.care.queries import open_checkins
from portal.care.queries_outcome import review_outcome
from portal.core.time import zone_of
from portal.core.vocabulary import CHECKIN_GAP, JOIN_EARLY, AppointmentStatus, SessionKind, Stage
from portal.extensions import db
from portal.intake.services import intake_for
from portal.models.measure import last_checkin_at
from portal.models.schedule import Appointment, SessionType
from portal.notifications.appointments import DAY_RULES
from portal.scheduling import gates
from portal.video import access as video_access

INTEGRATION_WITHIN = timedelta(hours=72)
BOOKED = AppointmentStatus.BOOKED.value
COMPLETED = AppointmentStatus.COMPLETED.value
OUT_OF_CARE = (Stage.PAUSED, Stage.DISCHARGED)
# Stages in which the home page shows the review's outcome (later on it is old news).
OUTCOME_STAGES = (Stage.ELIGIBLE, Stage.NEEDS_CLEARANCE, Stage.NOT_ELIGIBLE, Stage.PREPARING)


@dataclass(frozen=True)
class NextSession:
    appointment: Appointment
    join_opens: datetime
    can_join: bool
    relative: str  # "in 2 days": the countdown's text without JavaScript


@dataclass(frozen=True)
class NextStep:
    key: str  # names the state (tests, CSS): intake, waiting_review, talk_with_therapist, ...
    text: str
    link: str | None = None
    link_label: str | None = None
    reason: str | None = None  # why a booking is not possible yet, in the gates' words


@dataclass(frozen=True)
class PendingCheckin:
    text: str
    link: str
    link_label: str


@dataclass
class Home:
    session: NextSession | None
    step: NextStep | None
    checkins: list = field(default_factory=list)
    rules: tuple = DAY_RULES
    contact: dict | None = None  # paused or discharged: how to reach the practice
    outcome: object = None  # the intake review's decision in plain words (queries_outcome)


def relative(delta):
    """A time left in plain words: "in 2 days", "in 3 hours", "in 5 minutes", "now"."""
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "now"
    for size, unit in ((24 * 60, "day"), (60, "hour"), (1, "minute")):
        if minutes >= size:
            n = minutes // size
            return f"in {n} {unit}{'' if n == 1 else 's'}"
    return "now"


def next_session(client, now):
    """The client's next booked session (or the one going on now), with its join state."""
    appointment = db.session.scalars(select(Appointment).where(
        Appointment.client_id == client.id, Appointment.status == BOOKED,
        Appointment.ends_at > now).order_by(Appointment.starts_at).limit(1)).first()
    if appointment is None:
        return None
    can_join = appointment.is_video and video_access.refusal(client, appointment, now) is None
    return NextSession(appointment, appointment.starts_at - JOIN_EARLY, can_join,
                       relative(appointment.starts_at - now))


def _type(client, kind):
    return db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == client.therapist_id, SessionType.kind == kind.value))


def _book(client, kind):
    found = _type(client, kind)
    return url_for("scheduling.choose_time", type_id=found.id) if found is not None \
        else url_for("scheduling.book")


def _reason(client, kind):
    found = _type(client, kind)
    return gates.refusal(client, found) if found is not None else None


def _sessions(client, *kinds):
    """The client's booked and completed sessions of these kinds, oldest first."""
    return db.session.scalars(select(Appointment).where(
        Appointment.client_id == client.id, Appointment.status.in_([BOOKED, COMPLETED]),
        Appointment.kind.in_([kind.value for kind in kinds]))
        .order_by(Appointment.starts_at)).all()


# --- the next step of each stage (Stage.PAUSED and Stage.DISCHARGED have none) -----------------

def _consultation_step(client, now):
    """No intake sent yet: start it, or continue the draft."""
    draft = intake_for(client, create=False)
    verb = "Continue" if draft else "Start"
    return NextStep("intake", f"Please {'continue' if draft else 'complete'} your intake. "
                    "It asks about your health, your history and what you hope for, and "
                    "takes about 20 minutes. Your answers are saved as you go.",
                    url_for("intake.start"), f"{verb} my intake")


def _intake_submitted_step(client, now):
    """Sent, no decision yet: waiting for the review."""
    return NextStep("waiting_review", "Thank you for sending your intake. Your therapist "
                    "will read it and contact you.", url_for("intake.review"), "See my intake",
                    reason=_reason(client, SessionKind.PREPARATION))


def _decided_step(client, now):
    """Needs clearance or not eligible: talk the decision through (a consultation is open)."""
    text = "Please talk the next steps through with your therapist."
    if _reason(client, SessionKind.CONSULTATION) is None:
        return NextStep("talk_with_therapist", f"{text} You can book a consultation to do so.",
                        _book(client, SessionKind.CONSULTATION), "Book a consultation",
                        reason=_reason(client, SessionKind.PREPARATION))
    return NextStep("talk_with_therapist", text, url_for("scheduling.appointments"),
                    "See my sessions", reason=_reason(client, SessionKind.PREPARATION))


def _eligible_step(client, now):
    """Eligible, no preparation session yet: book the first, once the consultation is done."""
    reason = _reason(client, SessionKind.PREPARATION)
    if reason:
        link = None if _reason(client, SessionKind.CONSULTATION) else \
            _book(client, SessionKind.CONSULTATION)
        return NextStep("consultation_first", "Your preparation sessions start after your "
                        "consultation with your therapist.", link,
                        "Book a consultation" if link else None, reason=reason)
    return NextStep("book_preparation", "Book your first preparation session. You will "
                    "talk about your intentions and what to expect.",
                    _book(client, SessionKind.PREPARATION), "Book a preparation session")


def _preparing_step(client, now):
    """A preparation session booked or done: wait for it, or book a dosing session after it
    (a past one not marked completed is not done yet: the client books another)."""
    preparations = _sessions(client, SessionKind.PREPARATION)
    if not any(a.status == COMPLETED for a in preparations):
        if any(a.status == BOOKED and a.ends_at > now for a in preparations):
            return NextStep("preparation_booked", "Your first preparation session is booked. "
                            "You can book a dosing session after it.")
        return _eligible_step(client, now)
    reason = _reason(client, SessionKind.DOSING)
    if reason:
        return NextStep("dosing_blocked", "Your next step is a dosing session.", reason=reason)
    return NextStep("book_dosing", "You have completed a preparation session: you can book a "
                    "dosing session.", _book(client, SessionKind.DOSING), "Book a dosing session")


def _after_dosing_step(client, integrations, dosing, now):
    """Right after a dose: an integration session, then the post-dosing check-in."""
    if not [a for a in integrations if a.starts_at >= dosing.ends_at]:
        if now - dosing.ends_at <= INTEGRATION_WITHIN:
            text = ("Your integration session is suggested within 72 hours of your dosing "
                    "session, while the experience is fresh.")
        else:
            text = "Please book an integration session to talk your dosing session through."
        return NextStep("book_integration_after_dosing", text,
                        _book(client, SessionKind.INTEGRATION), "Book my integration session")
    due = open_checkins(now, client)
    if due:
        return NextStep("post_dosing_checkin", "Please tell us how you are after your dosing "
                        "session: a short check-in is waiting for you.",
                        url_for("care.post_dosing", appointment_id=due[0].id),
                        "Start the check-in")
    return None


def _dosing_step(client, now):
    """Dosing and integrating: a dosing session has ended, is booked, or both. For the client a
    session that has ended counts as done even before the therapist marks it completed."""
    sessions = _sessions(client, SessionKind.DOSING, SessionKind.INTEGRATION)
    doses = [a for a in sessions if a.kind == SessionKind.DOSING.value and a.ends_at <= now]
    if doses:
        integrations = [a for a in sessions if a.kind == SessionKind.INTEGRATION.value]
        step = _after_dosing_step(client, integrations, doses[-1], now)
        if step is not None:
            return step
    if any(a.kind == SessionKind.DOSING.value and a.status == BOOKED and a.ends_at > now
           for a in sessions):
        return NextStep("dosing_booked", "Your dosing session is booked. Please read the "
                        "dosing-day rules with your next session.")
    return NextStep("book_integration", "Book your next integration session when it suits "
                    "you.", _book(client, SessionKind.INTEGRATION), "Book a session")


STEP_OF_STAGE = {
    Stage.CONSULTATION: _consultation_step,
    Stage.INTAKE_SUBMITTED: _intake_submitted_step,
    Stage.NEEDS_CLEARANCE: _decided_step,
    Stage.NOT_ELIGIBLE: _decided_step,
    Stage.ELIGIBLE: _eligible_step,
    Stage.PREPARING: _preparing_step,
    Stage.DOSING: _dosing_step,
    Stage.INTEGRATING: _dosing_step,
}
assert set(STEP_OF_STAGE) | set(OUT_OF_CARE) == set(Stage)


def next_step(client, now, stage=None):
    """The one thing to do next in the arc of care (None for paused or discharged clients)."""
    stage = stage or stage_of(client)
    return None if stage in OUT_OF_CARE else STEP_OF_STAGE[stage](client, now)


def pending_checkins(client, now):
    """The post-dosing check-ins waiting, and the regular check-in after 14 quiet days."""
    found = [PendingCheckin("A short check-in about how you are after your session on "
                            f"{a.starts_at.astimezone(zone_of(client)):%-d %B}.",
                            url_for("care.post_dosing", appointment_id=a.id),
                            "Start the check-in")
             for a in open_checkins(now, client)]
    if client.in_care and _quiet(client, now):
        found.append(PendingCheckin("It has been a while since your last check-in: two short "
                                    "questionnaires, about three minutes.",
                                    url_for("care.checkin"), "Start a check-in"))
    return found


def _quiet(client, now):
    intake = intake_for(client, create=False)
    if intake is None or not intake.submitted:
        return False  # the intake itself asks these questions
    last = db.session.scalar(select(last_checkin_at(client.id)))
    return (last or intake.submitted_at) < now - CHECKIN_GAP


def home_for(client, now):
    """Everything the client's home page shows."""
    stage = stage_of(client)
    contact = None
    if stage in OUT_OF_CARE:
        cfg = current_app.config
        contact = {"phone": cfg["PRACTICE_PHONE"], "address": cfg["PRACTICE_ADDRESS"],
                   "therapist": client.therapist.name if client.therapist else None,
                   "status": client.care_status}
    return Home(session=next_session(client, now), step=next_step(client, now, stage),
                checkins=pending_checkins(client, now), contact=contact,
                outcome=review_outcome(client) if stage in OUTCOME_STAGES else None)
