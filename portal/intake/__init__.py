"""The client's intake: eight steps with autosaved drafts, a review page and final submission."""
from flask import Blueprint

bp = Blueprint("intake", __name__, url_prefix="/intake")

from portal.intake import routes  # noqa: E402,F401
