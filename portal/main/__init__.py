"""The front door: the landing page, each person's home and the crisis page."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from portal.main import routes  # noqa: E402,F401
