"""Scheduling: session types, availability, free slots, race-free booking, reminders."""
from flask import Blueprint

bp = Blueprint("scheduling", __name__)

from portal.scheduling import routes_changes, routes_client, routes_feed, routes_therapist  # noqa: E402,F401
