"""Scheduling: session types, availability, free slots, race-free booking, reminders."""
from flask import Blueprint

bp = Blueprint("scheduling", __name__)
