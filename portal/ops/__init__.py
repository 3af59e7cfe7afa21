"""Operations: health checks, the development outbox, backup and restore (docs/deploy.md)."""
from flask import Blueprint

bp = Blueprint("ops", __name__)

from portal.ops import routes  # noqa: E402,F401
