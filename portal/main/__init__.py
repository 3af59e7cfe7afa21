"""Landing page, each role's home, account settings, health checks and the dev outbox."""
from flask import Blueprint

bp = Blueprint("main", __name__)

from portal.main import routes, routes_account  # noqa: E402,F401
