"""Database models, one module per aggregate."""
from portal.models.audit import AuditEvent
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.intake import AmendmentRequest, Intake, IntakeStep, ReviewDecision
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.user import Invitation, Role, User, UserSession

__all__ = ["AmendmentRequest", "AuditEvent", "ConsentDocument", "ConsentSignature", "Intake",
           "IntakeStep", "Invitation", "MeasureResult", "ReviewDecision", "Role", "SafetyFlag",
           "User", "UserSession"]
