"""The video blueprint: its name (the endpoints' prefix) and URL prefix; the views attach to
it in routes*.py, and the app factory registers it."""
from flask import Blueprint

bp = Blueprint("video", __name__)
