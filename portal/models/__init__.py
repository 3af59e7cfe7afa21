"""Database models, one module per aggregate."""
from portal.models.audit import AuditEvent
from portal.models.user import Invitation, Role, User, UserSession

__all__ = ["AuditEvent", "Invitation", "Role", "User", "UserSession"]
