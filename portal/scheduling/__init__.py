"""Scheduling: session types, availability, free slots, race-free booking, reminders."""
from flask import Blueprint

bp = Blueprint("scheduling", __name__)

from portal.scheduling import routes_booking, routes_changes, routes_feed  # noqa: E402,F401
