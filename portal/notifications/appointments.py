"""Emails about appointments: booked, rescheduled, cancelled, with a calendar invitation.

Each participant gets their own email, with the time in their own zone and an `.ics` for their
calendar. Subjects never name the client or the kind of session. A therapist's message about a
change stays in the portal: the email only says that there is one.

Queued in the change's own transaction by `on_appointment_changing`, the receiver of the signal
`appointment_changing` (connected in portal/notifications/__init__.py), so they exist if and
only if the change commits; or directly:
    queue_appointment_emails(appointment, "booked" | "rescheduled" | "cancelled", message=None)
    send_appointment_emails(...)  # the same, then commits
"""
from flask import current_app

from portal.core.time import format_local, zone_of
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.notifications import ics
from portal.notifications.email import queue_email

CHANGES = ("booked", "rescheduled", "cancelled")

SUBJECTS = {
    ("booked", Role.CLIENT): "Your appointment is confirmed",
    ("booked", Role.THERAPIST): "New appointment booked",
    ("rescheduled", Role.CLIENT): "Your appointment has a new time",
    ("rescheduled", Role.THERAPIST): "An appointment has a new time",
    ("cancelled", Role.CLIENT): "Your appointment is cancelled",
    ("cancelled", Role.THERAPIST): "An appointment was cancelled",
}

# Said to the client before every in-person (dosing) session.
DAY_RULES = (
    "Do not eat for 4 hours before the session.",
    "Arrange a ride home: someone must drive you.",
    "Do not drive until the next day.",
    "No alcohol and no benzodiazepines in the 24 hours before the session.",
)


def appointment_context(appointment, recipient):
    """Plain values for the templates (no database access once built)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    is_client = recipient.id == appointment.client_id
    minutes = int((appointment.ends_at - appointment.starts_at).total_seconds() // 60)
    return {
        "name": recipient.name,
        "role": Role.CLIENT if is_client else Role.THERAPIST,
        "when": format_local(appointment.starts_at, zone_of(recipient), long=True),
        "minutes": minutes,
        "is_video": appointment.is_video,
        "join_url": ics.join_url(appointment) if appointment.is_video else None,
        "address": None if appointment.is_video else (appointment.location or ""),
        "rules": DAY_RULES if is_client and not appointment.is_video else (),
        "portal_url": f"{base}/home",
    }


def _who(appointment, user_id, recipient):
    """A participant as `recipient` would name them in a sentence."""
    if user_id == recipient.id:
        return "you"
    if user_id == appointment.therapist_id:
        return "your therapist"
    if user_id == appointment.client_id:
        return "your client"
    return "the practice"


def _message_from(appointment, change, message, recipient):
    """Who left a note about this change for `recipient` ("your therapist"...), or None.

    The note itself stays in the portal: an email only says that there is one.
    """
    if change == "cancelled":
        author = appointment.cancelled_by_id
        has_note = bool(message or appointment.cancel_message)
    else:
        author, has_note = appointment.therapist_id, bool(message)  # therapists write notes
    if not has_note or author == recipient.id:
        return None
    return _who(appointment, author, recipient)


def _messages(appointment, change, message):
    """(recipient email, subject, template, attachments, context) for each participant."""
    out = []
    for recipient in (appointment.client, appointment.therapist):
        if recipient is None or not recipient.is_active:
            continue
        context = appointment_context(appointment, recipient)
        context["message_from"] = _message_from(appointment, change, message, recipient)
        if change == "cancelled":
            context["cancelled_by"] = _who(appointment, appointment.cancelled_by_id, recipient)
        method, data = ics.invitation(appointment, recipient.email)
        attachment = ("appointment.ics", "text/calendar", data,
                      {"method": method, "charset": "utf-8"})
        out.append((recipient.email, SUBJECTS[(change, context["role"])],
                    f"appointment_{change}", [attachment], context))
    return out


def queue_appointment_emails(appointment, change, message=None):
    """Queue an email to each participant about `change` in the caller's transaction (not
    committed); returns how many."""
    if change not in CHANGES:
        raise ValueError(f"unknown change {change!r}")
    messages = _messages(appointment, change, message)
    for to, subject, template, attachments, context in messages:
        queue_email(to, subject, template, attachments=attachments, **context)
    return len(messages)


def send_appointment_emails(appointment, change, message=None):
    """Queue the emails about `change` and commit (scripts and tests: the change itself is
    already committed); returns how many were queued."""
    queued = queue_appointment_emails(appointment, change, message)
    db.session.commit()
    return queued


def on_appointment_changing(_sender, appointment, change, message=None, **_):
    """Receiver of `appointment_changing`, inside the change's transaction: queue the emails to
    both participants about a booking, a new time or a cancellation; an outcome (completed,
    no-show) sends no email."""
    if change in CHANGES:
        queue_appointment_emails(appointment, change, message=message)
