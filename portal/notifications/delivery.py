"""Hand one rendered email to the mail server, or, in development without SMTP_HOST, write it
to instance/outbox/ (shown at /dev/outbox).

Raises on failure: the outbox (portal/notifications/outbox.py) decides whether to retry, and
logs only the row id and the exception's class, never the address or the server's reply (which
often quotes the address).
"""
import smtplib
import uuid
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app

SMTP_TIMEOUT_S = 10


def transmit(recipient, message):
    """Deliver `message` (an EmailMessage) to `recipient`."""
    cfg = current_app.config
    if not cfg.get("SMTP_HOST"):
        _write_to_folder(Path(cfg["OUTBOX_DIR"]), bytes(message))
        return
    with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=SMTP_TIMEOUT_S) as smtp:
        if cfg.get("SMTP_STARTTLS"):
            smtp.starttls()
        if cfg.get("SMTP_USERNAME"):
            smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
        smtp.send_message(message, to_addrs=[recipient])


def _write_to_folder(folder, data):
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}.eml"
    (folder / name).write_bytes(data)


def is_permanent(exc):
    """The server refused this message for good (5xx to its recipient or its content): retrying
    will not help. Connection problems, 4xx answers and refusals of our own settings (sign-in,
    sender address) are retried: they pass, or an operator fixes them."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= code < 600 for code in codes)
    return isinstance(exc, smtplib.SMTPDataError) and 500 <= exc.smtp_code < 600
