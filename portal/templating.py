"""Values and filters every template can use: crisis resources, time in the viewer's zone."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from flask_login import current_user

CRISIS = {
    "call": ("988", "tel:988"),
    "text": ("988", "sms:988"),
    "crisis_text": ("741741", "sms:741741&body=HOME"),
    "emergency": ("911", "tel:911"),
}


def viewer_zone():
    tz = getattr(current_user, "timezone", None) if current_user else None
    try:
        return ZoneInfo(tz or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


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
