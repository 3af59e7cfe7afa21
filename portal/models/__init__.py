"""Database models, one module per aggregate."""
from portal.models.audit import AuditEvent
from portal.models.call import Call, CallEvent
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.intake import AmendmentRequest, Intake, IntakeStep, ReviewDecision
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.schedule import (
                                    Appointment,
                                    AvailabilityOverride,
                                    AvailabilityRule,
                                    DosingReadiness,
                                    ReminderLog,
                                    SessionType,
)
from portal.models.user import Invitation, Role, User, UserSession

__all__ = [
    "AmendmentRequest", "Appointment", "AuditEvent", "AvailabilityOverride", "AvailabilityRule",
    "Call", "CallEvent", "ConsentDocument", "ConsentSignature", "DosingReadiness", "Intake",
    "IntakeStep", "Invitation", "MeasureResult", "ReminderLog", "ReviewDecision", "Role",
    "SafetyFlag", "SessionType", "User", "UserSession",
]
