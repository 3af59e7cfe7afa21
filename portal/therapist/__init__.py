"""The therapist's workspace: their clients and invitations (grows with later issues)."""
from flask import Blueprint

bp = Blueprint("therapist", __name__, url_prefix="/therapist")

from portal.therapist import (  # noqa: E402,F401
    routes,
    routes_client,
    routes_dashboard,
    routes_journal,
    routes_notes,
    routes_review,
)
