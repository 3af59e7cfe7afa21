"""The care blueprint: its name (the endpoints' prefix); its pages sit at the root (/checkins,
/journal, /my-data, /consents), so it has no URL prefix. The views attach to it in routes*.py,
and the app factory registers it."""
from flask import Blueprint

bp = Blueprint("care", __name__)
