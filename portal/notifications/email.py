"""Emails: render one from its templates and queue it in the outbox, in the caller's transaction.

Emails never carry PHI: they say that something is waiting in the portal and link to it.
`queue_email` adds the rendered message to the outbox table (portal/models/outbox.py) and
returns the row; nothing leaves until the caller commits, and then a sender delivers it, with
retries, off the request path (portal/notifications/outbox.py). So an email exists if and only
if the change it tells about committed, and no answer waits on the mail server: a password
reset answers in the same time whether or not the account exists.
"""
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
    """Render one email and add it to the outbox in the caller's transaction (not committed).

    Returns the outbox row. The message is stored as the lines SMTP will carry (CRLF line
    ends, as smtplib's send_message writes them; UTF-8: headers are encoded, attachments
    base64), encrypted like the address and the subject."""
    msg = build_message(to, subject, template, attachments=attachments, **context)
    wire = msg.as_bytes(policy=msg.policy.clone(linesep="\r\n")).decode("utf-8")
    row = OutboxEmail(recipient=to, subject=subject, message=wire)
    db.session.add(row)
    db.session.flush()  # the id, so that the log line ties the template to later attempts
    log.info("email queued id=%s template=%s", row.id, template)
    return row
