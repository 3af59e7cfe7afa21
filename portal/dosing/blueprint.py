"""The dosing blueprint: its name (the endpoints' prefix) and URL prefix; the views attach to it
in routes*.py, and the app factory registers it."""
from flask import Blueprint

bp = Blueprint("dosing", __name__, url_prefix="/therapist/dosing")
