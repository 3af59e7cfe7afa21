"""Send email over SMTP, or write it to instance/outbox/ in development.

Emails never carry PHI: they say that something is waiting in the portal and link to it.
A failure to send is logged (ids only) and never turns the user's request into an error.
"""
import logging
import smtplib
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app, render_template

log = logging.getLogger(__name__)


def build_message(to, subject, template, attachments=(), **context):
    """Render `templates/email/<template>.txt` and `.html` into a multipart message."""
    cfg = current_app.config
    context.setdefault("practice_name", cfg["PRACTICE_NAME"])
    context.setdefault("base_url", cfg["BASE_URL"].rstrip("/"))
    msg = EmailMessage()
    msg["From"] = cfg["MAIL_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="portal.local")
    msg.set_content(render_template(f"email/{template}.txt", **context))
    msg.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    for filename, mimetype, data, params in attachments:
        maintype, subtype = mimetype.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename,
                           params=params or {})
    return msg


def send_email(to, subject, template, attachments=(), **context):
    """Build and deliver one email; returns True when it was handed to SMTP or the outbox."""
    msg = build_message(to, subject, template, attachments=attachments, **context)
    cfg = current_app.config
    try:
        if cfg.get("SMTP_HOST"):
            with smtplib.SMTP(cfg["SMTP_HOST"], cfg["SMTP_PORT"], timeout=10) as smtp:
                if cfg.get("SMTP_STARTTLS"):
                    smtp.starttls()
                if cfg.get("SMTP_USERNAME"):
                    smtp.login(cfg["SMTP_USERNAME"], cfg["SMTP_PASSWORD"])
                smtp.send_message(msg)
        else:
            outbox = Path(cfg["OUTBOX_DIR"])
            outbox.mkdir(parents=True, exist_ok=True)
            name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:6]}.eml"
            (outbox / name).write_bytes(bytes(msg))
        log.info("email sent template=%s", template)
        return True
    except (OSError, smtplib.SMTPException) as exc:
        log.error("email delivery failed template=%s error=%s", template, type(exc).__name__)
        return False
