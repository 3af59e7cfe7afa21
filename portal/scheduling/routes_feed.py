"""The private calendar feed: an `.ics` URL with a secret token, for Apple or Google calendar.

Calendar apps cannot sign in, so the token in the URL is the only key. It carries 256 random
bits; only its SHA-256 is stored, so a copy of the database cannot be turned into feed URLs.
Making a new URL revokes the old one. Entries never say what kind of session it is (see
portal.notifications.ics). The token is redacted from logs by portal.core.logs.
"""
from datetime import timedelta

from flask import Response, abort
from sqlalchemy import or_, select

from portal.core.time import utcnow
from portal.core.tokens import token_hash
from portal.core.vocabulary import AppointmentStatus
from portal.extensions import db
from portal.models.schedule import Appointment
from portal.models.user import User
from portal.notifications import ics
from portal.scheduling.blueprint import bp
from portal.security.access import public

FEED_PAST = timedelta(days=30)  # recent sessions stay visible in the calendar for a month
FEED_LIMIT = 1000


def feed_appointments(user, now):
    """The user's live appointments from a month ago onwards, oldest first."""
    return db.session.scalars(select(Appointment).where(
        or_(Appointment.client_id == user.id, Appointment.therapist_id == user.id),
        Appointment.status != AppointmentStatus.CANCELLED.value,
        Appointment.starts_at >= now - FEED_PAST)
        .order_by(Appointment.starts_at).limit(FEED_LIMIT)).all()


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
