"""The therapist's workspace: their clients and invitations (grows with later issues)."""
from flask import Blueprint

bp = Blueprint("therapist", __name__, url_prefix="/therapist")

from portal.therapist import routes, routes_review  # noqa: E402,F401
