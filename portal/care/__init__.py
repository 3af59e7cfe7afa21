"""The client's own care between sessions: check-ins, the post-dosing check-in, the
integration journal, re-consent and "my data"."""
from flask import Blueprint

bp = Blueprint("care", __name__)

from portal.care import routes, routes_journal, routes_postdosing  # noqa: E402,F401
