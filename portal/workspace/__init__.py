"""The therapist's workspace (/therapist/...): dashboard, clients, intake review, notes,
calendar, availability and session types, consents."""
from flask import Blueprint

bp = Blueprint("workspace", __name__, url_prefix="/therapist")

from portal.workspace import (  # noqa: E402,F401
    routes,
    routes_calendar,
    routes_client,
    routes_dashboard,
    routes_journal,
    routes_notes,
    routes_review,
)
