"""The messages blueprint: its name (the endpoints' prefix) and URL prefix; the views attach to
it in routes*.py, and the app factory registers it.

Every page gets `unread_messages()`: a function, called only where the nav shows the badge, so
no count is queried while an email renders or a request commits."""
from flask import Blueprint
from flask_login import current_user

from portal.messages.queries import unread_count

bp = Blueprint("messages", __name__, url_prefix="/messages")


@bp.app_context_processor
def unread_badge():
    return {"unread_messages": lambda: unread_count(current_user)}
