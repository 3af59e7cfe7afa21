"""iCalendar for appointments: invitations (METHOD REQUEST / CANCEL) and the private feed.

A calendar entry is seen by anyone who glances at a phone or shares a calendar, so it never
says what kind of session it is, nor the practice's name (which may say the treatment): the
summary, the organizer's name and the feed's name are PRACTICE_CALENDAR_NAME ("Appointment" by
default), and the place is the join link or the practice's street address.
The UID is stable per appointment and SEQUENCE grows with each change (RFC 5546), so calendar
apps update or remove the entry they already have instead of adding a second one.
"""
from datetime import UTC
from email.utils import parseaddr

from flask import current_app
from icalendar import Calendar, Event, vCalAddress, vText

from portal.core.time import utcnow

PRODID = "-//Portal//Appointments//EN"  # no treatment in the raw data either
# The UID (Appointment.uid, "...@kap-portal") is kept as it was: calendar apps match updates and
# cancellations by UID, so changing it would leave a stale copy of every entry already sent.
# Calendar apps do not show it.


def summary():
    return current_app.config["PRACTICE_CALENDAR_NAME"]


def join_url(appointment):
    """The video room of an appointment (link only: the room checks who signs in)."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/sessions/{appointment.id}"


def place(appointment):
    """What goes in LOCATION: the join link for video, the address for in-person sessions."""
    return join_url(appointment) if appointment.is_video else (appointment.location or "")


def _description(appointment):
    if appointment.is_video:
        return (f"Video session. Join from the portal: {join_url(appointment)}\n"
                "You will be asked to sign in.")
    return f"In person at {appointment.location or 'the practice'}."


def _organizer():
    address = parseaddr(current_app.config["MAIL_FROM"])[1] or "no-reply@localhost"
    organizer = vCalAddress(f"mailto:{address}")
    organizer.params["CN"] = vText(current_app.config["PRACTICE_CALENDAR_NAME"])
    return organizer


def _attendee(email):
    # No CN: the name of a client is not written into anyone's calendar data.
    attendee = vCalAddress(f"mailto:{email}")
    attendee.params["ROLE"] = vText("REQ-PARTICIPANT")
    attendee.params["RSVP"] = vText("FALSE")
    return attendee


def _event(appointment, stamp, attendee_email=None):
    event = Event()
    event.add("uid", appointment.uid)
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    event.add("summary", summary())
    event.add("location", place(appointment))
    event.add("description", _description(appointment))
    event.add("status", "CONFIRMED" if appointment.live else "CANCELLED")
    event.add("transp", "OPAQUE")
    event.add("organizer", _organizer())
    if attendee_email:
        event.add("attendee", _attendee(attendee_email))
    return event


def _calendar(method=None):
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    return cal


def invitation(appointment, recipient_email, now=None):
    """One appointment for one recipient: METHOD REQUEST while live, CANCEL once cancelled."""
    method = "REQUEST" if appointment.live else "CANCEL"
    cal = _calendar(method)
    cal.add_component(_event(appointment, now or utcnow(), attendee_email=recipient_email))
    return method, cal.to_ical()


def feed(appointments, now=None):
    """A subscribed calendar (no METHOD): one VEVENT per appointment, no attendees."""
    cal = _calendar()
    cal.add("x-wr-calname", current_app.config["PRACTICE_CALENDAR_NAME"])
    cal.add("x-published-ttl", "PT1H")
    stamp = now or utcnow()
    for appointment in appointments:
        cal.add_component(_event(appointment, stamp))
    return cal.to_ical()
