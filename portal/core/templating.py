"""Values and filters every template can use: crisis resources, time in the viewer's zone."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, g
from flask_login import current_user

CRISIS = {
    "call": ("988", "tel:988"),
    "text": ("988", "sms:988"),
    "crisis_text": ("741741", "sms:741741&body=HOME"),
    "emergency": ("911", "tel:911"),
}


def viewer_zone():
    """The signed-in person's zone (UTC otherwise). Remembered for the request, keyed by the
    zone's name: a page lists a hundred times, and the user lookup behind `current_user` costs
    more than the conversion; the name is read from the user each time, so a change of zone
    within the request shows at once."""
    user = g.get("_login_user")  # Flask-Login's per-request cache of current_user
    if user is None:
        user = current_user._get_current_object() if current_user else None
    tz = getattr(user, "timezone", None)
    cached = g.get("_viewer_zone")
    if cached is not None and cached[0] == tz:
        return cached[1]
    try:
        zone = ZoneInfo(tz or "UTC")
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    g._viewer_zone = (tz, zone)
    return zone


def local_time(value: datetime, fmt="%a %d %b %Y, %-I:%M %p"):
    """Show a stored UTC time in the viewer's time zone, with the zone's abbreviation."""
    if value is None:
        return ""
    local = value.astimezone(viewer_zone())
    return f"{local.strftime(fmt)} {local.tzname()}"


def template_globals():
    cfg = current_app.config
    return {
        "practice_name": cfg["PRACTICE_NAME"],
        "crisis": CRISIS,
        "idle_timeout_s": int(cfg["SESSION_IDLE_TIMEOUT"].total_seconds()),
        "idle_warning_s": int(cfg["SESSION_IDLE_WARNING"].total_seconds()),
        "local_time": local_time,
        "show_dev_outbox": cfg.get("SHOW_DEV_OUTBOX", False),
    }
