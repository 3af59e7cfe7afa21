"""The practice owner's pages: staff accounts and roles."""
from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from portal.admin import routes, routes_breakglass  # noqa: E402,F401
