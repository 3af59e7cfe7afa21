"""The client's own area: check-ins and their record (grows with later issues)."""
from flask import Blueprint

bp = Blueprint("client", __name__)

from portal.client import routes, routes_journal, routes_postdosing  # noqa: E402,F401
