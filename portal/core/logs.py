"""Logging: escaped messages, a request id on every line, JSON lines in production.

Nothing here decides what is logged; callers log ids and event names, never PHI. As a second
line of defence, secret-bearing URL paths (reset, verification, invite and feed tokens) are
redacted from every record, including the web server's access log.
"""
import json
import logging
import re
import uuid

from flask import g, has_request_context, request

TOKEN_PATH = re.compile(r"(/(?:auth/(?:reset|verify|invite)|account/email|calendar/feed)/)[^\s/?\"']+")
REQUEST_ID = re.compile(r"^[A-Za-z0-9-]{8,64}$")


def escape_control(value):
    """Replace control characters (newlines included) with visible escapes: `\\n`, `\\x1b`."""
    out = []
    for ch in value:
        code = ord(ch)
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F or 0x80 <= code < 0xA0 or ch in "\u2028\u2029":
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def redact(message):
    return TOKEN_PATH.sub(r"\1[redacted]", message)


def assign_request_id():
    """before_request: take a sane X-Request-ID from the proxy or make one."""
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else uuid.uuid4().hex


class SafeFilter(logging.Filter):
    """Render the message once, redact tokens, escape control characters, attach request id."""

    def filter(self, record):
        if getattr(record, "_portal_safe", False):  # already escaped by another handler
            return True
        record._portal_safe = True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the event
            message = str(record.msg)
        record.msg = escape_control(redact(message))
        record.args = ()
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record):
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage(),
                 "request_id": getattr(record, "request_id", "-")}
        if record.exc_info:
            entry["exception"] = escape_control(redact(self.formatException(record.exc_info)))
        return json.dumps(entry)


def configure_logging(app):
    handler = logging.StreamHandler()
    handler.addFilter(SafeFilter())
    if app.config.get("LOG_JSON"):
        handler.setFormatter(JSONFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_portal", False)]:
        root.removeHandler(old)
    handler._portal = True
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    app.logger.handlers.clear()
    app.logger.propagate = True
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error", "engineio", "socketio"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, SafeFilter) for f in logger.filters):
            logger.addFilter(SafeFilter())
