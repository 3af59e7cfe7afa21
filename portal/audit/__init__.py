"""The audit trail: recording (service.py), verification (verify.py) and the event list page."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

from portal.audit import routes  # noqa: E402,F401
