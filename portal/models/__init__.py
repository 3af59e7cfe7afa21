"""Database models, one module per aggregate."""
from portal.models.audit import AuditEvent
from portal.models.breakglass import BreakGlassGrant
from portal.models.call import Call, CallEvent
from portal.models.care import CareStatusChange, CheckinInvitation, PostDosingCheckin
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.dosing import DosingAddendum, DosingRecord
from portal.models.intake import AmendmentRequest, Intake, IntakeStep, ReviewDecision
from portal.models.journal import JournalEntry
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.measure_schedule import MeasureReminder, MeasureSchedule
from portal.models.message import Message, MessageThread, ResponseHours
from portal.models.notes import NoteAddendum, SessionNote
from portal.models.outbox import OutboxEmail
from portal.models.passkey import Passkey, PasskeyChallenge
from portal.models.schedule import (
                                    Appointment,
                                    AvailabilityOverride,
                                    AvailabilityRule,
                                    BookingOverride,
                                    DosingReadiness,
                                    ReminderLog,
                                    SessionType,
)
from portal.models.user import CareStatus, Invitation, Role, User, UserSession

__all__ = [
    "AmendmentRequest", "Appointment", "AuditEvent", "AvailabilityOverride", "AvailabilityRule",
    "BookingOverride", "BreakGlassGrant", "Call", "CallEvent", "CareStatus", "CareStatusChange",
    "CheckinInvitation", "ConsentDocument", "ConsentSignature", "DosingAddendum", "DosingRecord",
    "DosingReadiness", "Intake", "IntakeStep", "Invitation", "JournalEntry",
    "MeasureReminder", "MeasureResult", "MeasureSchedule", "Message", "MessageThread",
    "ResponseHours",
    "NoteAddendum", "OutboxEmail", "Passkey", "PasskeyChallenge",
    "PostDosingCheckin", "ReminderLog", "ReviewDecision", "Role", "SafetyFlag", "SessionNote",
    "SessionType", "User", "UserSession",
]
