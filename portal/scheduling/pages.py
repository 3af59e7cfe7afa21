"""Pages shared by several scheduling views: refusals and problems as short pages (400 for a bad
time, 403 with the reason, 409 with the nearest free times), the contact page inside the policy
window, the confirm page of a new or moved booking, and where a person goes after a change."""
from flask import current_app, render_template, url_for
from flask_login import current_user

from portal.core.time import format_local, zone_of
from portal.scheduling.forms import iso_utc


def message_page(status, title, text, times=(), link_for=None):
    """A short page for a refusal or a problem: 400, 403 or 409, with free times as links."""
    return render_template("scheduling/message.html", title=title, text=text, times=times,
                           link_for=link_for, code=status), status


def bad_start():
    return message_page(400, "We could not read that time",
                        "The link or form did not carry a time we understand. Please go back "
                        "and choose a time from the list.")


def refused(reason):
    return message_page(403, "This session cannot be booked yet", reason)


def taken(session_type, nearest, appointment=None):
    return message_page(409, "This time was just taken",
                        "Someone booked this time a moment ago. Here are the nearest free times.",
                        times=nearest, link_for=slot_link(session_type, appointment))


def contact_page(status=200):
    hours = current_app.config.get("CANCELLATION_WINDOW_HOURS", 24)
    return render_template("scheduling/contact.html", hours=hours), status


def slot_link(session_type, appointment=None):
    """The link of a free time: to the booking's confirm page, or to move `appointment` there."""
    if appointment is not None:
        return lambda s: url_for("scheduling.reschedule", appointment_id=appointment.id,
                                 start=iso_utc(s))
    return lambda s: url_for("scheduling.confirm", type_id=session_type.id, start=iso_utc(s))


def confirm_page(session_type, start, form, action, appointment=None):
    """Check a time before booking it (or moving `appointment` to it): the viewer's time and, for
    video, the other person's (the therapist's, or the client's when their therapist moves it)."""
    therapist = appointment.therapist if appointment else session_type.therapist
    other = appointment.client if appointment and not current_user.is_client else therapist
    return render_template("scheduling/confirm.html", session_type=session_type, start=start,
                           form=form, appointment=appointment, other_zone=other.timezone,
                           their_time=format_local(start, zone_of(other)), action=action)


def after_change_url():
    """Back to the client's sessions, or to the therapist's calendar."""
    if current_user.is_client:
        return url_for("scheduling.appointments")
    return url_for("workspace.calendar")
