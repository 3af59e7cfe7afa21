"""The portal's words, defined once: roles, care statuses, session kinds, decisions, consent
kinds, flag kinds and severities, the arc of care and the windows of time every page shares.

Models store these values, forms offer them, templates compare against them (they are template
globals, see portal/core/templating.py), so a word or a window is changed in one place.
"""
import enum
from datetime import timedelta


class Role(enum.StrEnum):
    CLIENT = "client"
    THERAPIST = "therapist"
    ADMIN = "admin"  # practice owner; may also see clients as their therapist


# Who may use an area's pages (security.access.role_required takes these).
CLINICIANS = (Role.THERAPIST, Role.ADMIN)
PEOPLE = (Role.CLIENT, Role.THERAPIST, Role.ADMIN)


class CareStatus(enum.StrEnum):
    """Where a client stands with the practice: only active clients can book."""

    ACTIVE = "active"
    PAUSED = "paused"
    DISCHARGED = "discharged"


class SessionKind(enum.StrEnum):
    """The session kinds, in the order of the arc of care."""

    CONSULTATION = "consultation"
    PREPARATION = "preparation"
    DOSING = "dosing"
    INTEGRATION = "integration"


KIND_LABELS = {
    SessionKind.CONSULTATION: "Consultation",
    SessionKind.PREPARATION: "Preparation session",
    SessionKind.DOSING: "Dosing session",
    SessionKind.INTEGRATION: "Integration session",
}


class Modality(enum.StrEnum):
    VIDEO = "video"
    IN_PERSON = "in_person"


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


STATUS_LABELS = {
    AppointmentStatus.BOOKED: "Booked",
    AppointmentStatus.COMPLETED: "Completed",
    AppointmentStatus.NO_SHOW: "Did not attend",
    AppointmentStatus.CANCELLED: "Cancelled",
}


class IntakeStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Decision(enum.StrEnum):
    ELIGIBLE = "eligible"
    NEEDS_CLEARANCE = "needs_clearance"
    NOT_ELIGIBLE = "not_eligible"


DECISION_LABELS = {
    Decision.ELIGIBLE: "Eligible for ketamine-assisted therapy",
    Decision.NEEDS_CLEARANCE: "Needs medical clearance first",
    Decision.NOT_ELIGIBLE: "Not eligible at this time",
}


class ConsentKind(enum.StrEnum):
    TELEHEALTH = "telehealth"
    KAP = "kap"
    PRIVACY = "privacy"


CONSENT_TITLES = {
    ConsentKind.TELEHEALTH: "Telehealth consent",
    ConsentKind.KAP: "Informed consent for ketamine-assisted psychotherapy",
    ConsentKind.PRIVACY: "Notice of privacy practices",
}


class FlagKind(enum.StrEnum):
    ITEM9 = "item9"
    CONTRAINDICATION = "contraindication"
    POST_DOSING = "post_dosing"
    READINESS = "readiness"  # a "no" or a missing dosing-day readiness answer
    CSSRS = "cssrs"  # a moderate or high C-SSRS screener (code: cssrs_<risk>)


class Severity(enum.StrEnum):
    """How a safety flag is grouped for the therapist, most pressing first."""

    URGENT = "urgent"
    EXCLUDE = "exclude"
    CLEARANCE = "needs_clearance"
    CAUTION = "caution"
    CONCERN = "concern"  # worth a look before the session (e.g. a readiness answer)


SEVERITY_LABELS = {
    Severity.URGENT: "Urgent",
    Severity.EXCLUDE: "Exclusion",
    Severity.CLEARANCE: "Needs medical clearance",
    Severity.CAUTION: "Caution",
    Severity.CONCERN: "Concern",
}
# Flags the dashboard lists first: they need the therapist today.
URGENT_SEVERITIES = (Severity.URGENT, Severity.EXCLUDE)
# Open flags of these severities stand in the way of an "eligible" decision: each is
# acknowledged with a note first, or the decision names them and gives a reason.
DECISION_SEVERITIES = (Severity.URGENT, Severity.EXCLUDE, Severity.CLEARANCE)
# Flags of suicide risk (PHQ-9 item 9; a moderate or high C-SSRS screener): while one is
# open, no one books a dosing session, not even the therapist with a reason (scheduling/gates.py).
SUICIDE_RISK_KINDS = (FlagKind.ITEM9, FlagKind.CSSRS)


class IntakeStep(enum.StrEnum):
    """The intake's eight steps, in the order the client meets them."""

    ABOUT = "about"
    HISTORY = "history"
    MEDICAL = "medical"
    PSYCHIATRIC = "psychiatric"
    MEDICATIONS = "medications"
    MEASURES = "measures"
    GOALS = "goals"
    CONSENTS = "consents"


class Source(enum.StrEnum):
    """Where answers came from: the measures' and the safety flags' `source`."""

    INTAKE = "intake"
    CHECKIN = "checkin"
    POST_DOSING = "post_dosing"
    READINESS = "readiness"


class ReminderKind(enum.StrEnum):
    """What a reminder_log row sent. Reminders before a session are stored with the
    appointment's sequence ("reminder_24h#2"), so a rescheduled session gets them again."""

    REMINDER_24H = "reminder_24h"
    REMINDER_1H = "reminder_1h"
    READINESS = "readiness"  # the questions the day before a dosing session
    CHECKIN_INVITE = "checkin_invite"
    POST_DOSING_INVITE = "post_dosing_invite"


class RoomState(enum.StrEnum):
    """Where a participant is in a video room: waiting to be admitted, or in the call."""

    WAITING = "waiting"
    IN_CALL = "in_call"


class NoteStatus(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class OutboxStatus(enum.StrEnum):  # an email of the outbox (portal/notifications/outbox.py)
    QUEUED = "queued"  # new, or waiting for its retry
    SENDING = "sending"  # claimed by a sender until its lease ends
    SENT = "sent"  # handed to the mail server
    FAILED = "failed"  # given up


class Stage(enum.StrEnum):
    """Where a client is in the arc of care (consultation → intake review → preparation →
    dosing → integration), or paused/discharged. The rules: portal/care/arc.py."""

    CONSULTATION = "consultation"
    INTAKE_SUBMITTED = "intake_submitted"
    NEEDS_CLEARANCE = "needs_clearance"
    NOT_ELIGIBLE = "not_eligible"
    ELIGIBLE = "eligible"
    PREPARING = "preparing"
    DOSING = "dosing"
    INTEGRATING = "integrating"
    PAUSED = "paused"
    DISCHARGED = "discharged"


STAGE_LABELS = {
    Stage.CONSULTATION: "Consultation",
    Stage.INTAKE_SUBMITTED: "Intake submitted",
    Stage.NEEDS_CLEARANCE: "Needs medical clearance",
    Stage.NOT_ELIGIBLE: "Not eligible",
    Stage.ELIGIBLE: "Eligible",
    Stage.PREPARING: "Preparing",
    Stage.DOSING: "Dosing",
    Stage.INTEGRATING: "Integrating",
    Stage.PAUSED: "Paused",
    Stage.DISCHARGED: "Discharged",
}

class PasskeyPurpose(enum.StrEnum):
    """What a WebAuthn challenge was issued for; a challenge answers only its own purpose."""

    REGISTER = "register"
    SECOND_FACTOR = "second_factor"
    SIGN_IN = "sign_in"  # passwordless: the passkey with user verification is both factors


# --- windows of time --------------------------------------------------------------------------
# A video room opens this long before the session for the client (the join button shows from
# then on, on every page) and this long before for the therapist (to prepare); it closes this
# long after the session's end.
JOIN_EARLY = timedelta(minutes=15)
JOIN_EARLY_MINUTES = int(JOIN_EARLY.total_seconds() // 60)  # how pages say it
THERAPIST_EARLY = timedelta(hours=12)
ROOM_CLOSES_AFTER = timedelta(minutes=30)
# A client is "quiet" after 14 days without a check-in; the intake's own measures count as one.
CHECKIN_GAP = timedelta(days=14)
# A passkey challenge (registration or sign-in) must be answered within this time, once.
PASSKEY_CHALLENGE_LIFETIME = timedelta(minutes=5)


def arc_position(kind):
    """Where a session kind comes in the arc of care (unknown kinds last): for sorting."""
    kinds = list(SessionKind)
    return kinds.index(kind) if kind in kinds else len(kinds)


# --- the dosing-day record (portal/dosing) ----------------------------------------------------
class DosingCheck(enum.StrEnum):
    """The timed vital-sign checks of a dosing session (Spravato label: before the dose, at about
    40 minutes, and until stable before discharge), and any reading in between."""

    PRE_DOSE = "pre_dose"
    PLUS_40 = "plus_40"
    DISCHARGE = "discharge"
    OTHER = "other"


CHECK_LABELS = {
    DosingCheck.PRE_DOSE: "Before the dose",
    DosingCheck.PLUS_40: "40 minutes after the dose",
    DosingCheck.DISCHARGE: "Before discharge",
    DosingCheck.OTHER: "Another reading (until stable)",
}
CHECK_SHORT_LABELS = {  # in the vitals table, where a tablet's column is narrow
    DosingCheck.PRE_DOSE: "Pre-dose", DosingCheck.PLUS_40: "+40 min",
    DosingCheck.DISCHARGE: "Discharge", DosingCheck.OTHER: "Other",
}
PLUS_40_AFTER = timedelta(minutes=40)  # the +40 check is due this long after the dose ...
CHECK_DUE_SOON = timedelta(minutes=5)  # ... shown as due from this long before it
MIN_MONITORING = timedelta(hours=2)  # the discharge check comes after at least this much
SIDE_EFFECT_LABELS = {
    "nausea": "Nausea", "dizziness": "Dizziness", "anxiety": "Anxiety", "headache": "Headache",
    "elevated_bp": "Elevated blood pressure", "other": "Other",
}
DOSE_ROUTES = {
    "intranasal": "Intranasal", "sublingual": "Sublingual (lozenge or troche)",
    "intramuscular": "Intramuscular injection", "intravenous": "Intravenous infusion",
    "oral": "Oral",
}
NEXT_INTEGRATION = {"booked": "Booked", "offered": "Offered"}
# Why a readiness concern flag was raised (its code joins these with "+"): a "no" to a
# dosing-day readiness question, or no answers by the morning of the session.
READINESS_CONCERNS = {
    "fasting": "not fasting for 4 hours before, or not sure",
    "ride": "no ride home arranged",
    "substances": "alcohol or benzodiazepines in the last 24 hours",
    "unanswered": "the readiness questions were not answered by the morning",
}


# Measurement-based care: the occasions a measure schedule asks on (reminder kinds, sent by
# `flask send-reminders`), and how long its reminders go on.
class MeasureOccasion(enum.StrEnum):
    EVERY = "every"  # every N days from when the schedule was set
    BEFORE = "before"  # before each preparation or integration session
    AFTER_DOSING = "after_dosing"  # the morning after a dosing session


MEASURE_REMINDER_DAYS = 3  # a reminder a day, for up to 3 days, until the measure is completed
MEASURE_BEFORE_SESSION = timedelta(days=3)  # a session's measure opens 3 days before it
SCHEDULABLE_MEASURES = {"phq9": "PHQ-9 (mood)", "gad7": "GAD-7 (worry)",
                        "pcl5": "PCL-5 (after a very stressful experience)",
                        "cssrs": "C-SSRS screener (safety)"}
