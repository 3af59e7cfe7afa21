"""Emails: queue one in the outbox, in the caller's transaction; render it when it is sent.

Emails never carry PHI: they say that something is waiting in the portal and link to it.
`queue_email` adds the email's recipient, subject, template and values to the outbox table
(portal/models/outbox.py) and returns the row; nothing leaves until the caller commits, and then
a sender renders it (`render`) and delivers it, with retries, off the request path
(portal/notifications/outbox.py). So an email exists if and only if the change it tells about
committed, and no answer waits on the mail server or on rendering (Python's email package takes
milliseconds per message): a password reset answers alike whether or not the account exists.
"""
import base64
import logging
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app, render_template

from portal.extensions import db
from portal.models.outbox import OutboxEmail

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


def queue_email(to, subject, template, attachments=(), **context):
    """Add one email to the outbox in the caller's transaction (not committed); returns the row.

    `context` holds the template's values, as JSON (strings, numbers, lists, None); attachments
    are (filename, mimetype, bytes, params), kept in base64."""
    content = {"template": template, "context": context, "attachments": [
        [name, mimetype, base64.b64encode(data).decode("ascii"), params or {}]
        for name, mimetype, data, params in attachments]}
    row = OutboxEmail(recipient=to, subject=subject, content=content)
    db.session.add(row)
    db.session.flush()  # the id, so that the log line ties the template to later attempts
    log.info("email queued id=%s template=%s", row.id, template)
    return row


def render(row):
    """The message of a queued email, built from its templates and values (by the sender)."""
    content = row.content
    attachments = [(name, mimetype, base64.b64decode(data), params)
                   for name, mimetype, data, params in content["attachments"]]
    return build_message(row.recipient, row.subject, content["template"],
                         attachments=attachments, **content["context"])
