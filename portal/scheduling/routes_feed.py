"""The private calendar feed: an `.ics` URL with a secret token, for Apple or Google calendar.

Calendar apps cannot sign in, so the token in the URL is the only key. It carries 256 random
bits; only its SHA-256 is stored, so a copy of the database cannot be turned into feed URLs.
Making a new URL revokes the old one. Entries never say what kind of session it is (see
portal.notifications.ics). The token is redacted from logs by portal.logs.
"""
import hashlib
import secrets
from datetime import timedelta

from flask import Response, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from portal.audit.service import record
from portal.extensions import db
from portal.models.schedule import Appointment, AppointmentStatus
from portal.models.types import utcnow
from portal.models.user import User
from portal.notifications import ics
from portal.scheduling import bp
from portal.security.access import public

FEED_PAST = timedelta(days=30)  # recent sessions stay visible in the calendar for a month
FEED_LIMIT = 1000


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def feed_appointments(user, now):
    """The user's live appointments from a month ago onwards, oldest first."""
    return db.session.scalars(select(Appointment).where(
        or_(Appointment.client_id == user.id, Appointment.therapist_id == user.id),
        Appointment.status != AppointmentStatus.CANCELLED.value,
        Appointment.starts_at >= now - FEED_PAST)
        .order_by(Appointment.starts_at).limit(FEED_LIMIT)).all()


def _feed_url(token):
    # Built from BASE_URL, never from the request's Host header.
    base = current_app.config["BASE_URL"].rstrip("/")
    return base + url_for("scheduling.calendar_feed", token=token)


@bp.get("/calendar/feed/<token>.ics")
@public
def calendar_feed(token):
    """Calendar apps (no sign-in; the token is the key): the owner's appointments as iCalendar."""
    user = db.session.scalar(select(User).where(User.calendar_token_hash == token_hash(token)))
    if user is None or not user.is_active:
        abort(404)
    now = utcnow()
    body = ics.feed(feed_appointments(user, now), now=now)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="appointments.ics"'})


@bp.get("/account/calendar-feed")
def calendar_feed_settings():
    """Signed-in users: whether their calendar feed is on, with buttons to make or revoke it."""
    return render_template("main/calendar_feed.html", feed_url=None)


@bp.post("/account/calendar-feed")
def reset_calendar_feed():
    """Signed-in users: make a new feed URL (the old one stops working) and show it once."""
    token = secrets.token_urlsafe(32)
    current_user.calendar_token_hash = token_hash(token)
    record("calendar_feed_reset", actor=current_user, obj=("user", current_user.id))
    db.session.commit()
    return render_template("main/calendar_feed.html", feed_url=_feed_url(token))


@bp.post("/account/calendar-feed/revoke")
def revoke_calendar_feed():
    """Signed-in users: turn the calendar feed off; calendar apps stop receiving updates."""
    current_user.calendar_token_hash = None
    record("calendar_feed_revoked", actor=current_user, obj=("user", current_user.id))
    db.session.commit()
    flash("Your calendar feed is off. Calendars subscribed to it will stop updating.", "success")
    return redirect(url_for("scheduling.calendar_feed_settings"))
