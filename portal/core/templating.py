"""Values every template can use: crisis resources, the vocabulary, time in the viewer's zone."""
from flask import current_app

from portal.core import vocabulary
from portal.core.time import local_time

CRISIS = {
    "call": ("988", "tel:988"),
    "text": ("988", "sms:988"),
    "crisis_text": ("741741", "sms:741741&body=HOME"),
    "emergency": ("911", "tel:911"),
}


def template_globals():
    cfg = current_app.config
    return {
        "practice_name": cfg["PRACTICE_NAME"],
        "crisis": CRISIS,
        "idle_timeout_s": int(cfg["SESSION_IDLE_TIMEOUT"].total_seconds()),
        "idle_warning_s": int(cfg["SESSION_IDLE_WARNING"].total_seconds()),
        "local_time": local_time,
        "vocab": vocabulary,
        "show_dev_outbox": cfg.get("SHOW_DEV_OUTBOX", False),
    }
