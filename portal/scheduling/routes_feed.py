"""The private calendar feed: an `.ics` URL with a secret token, for Apple or Google calendar.

Calendar apps cannot sign in, so the token in the URL is the only key. It carries 256 random
bits; only its SHA-256 is stored, so a copy of the database cannot be turned into feed URLs.
Making a new URL revokes the old one. Entries never say what kind of session it is (see
portal.notifications.ics). The token is redacted from logs by portal.core.logs.
"""
from flask import Response, abort

from portal.core.time import utcnow
from portal.notifications import ics
from portal.scheduling import queries
from portal.scheduling.blueprint import bp
from portal.security.access import public


@bp.get("/calendar/feed/<token>.ics")
@public
def calendar_feed(token):
    """Calendar apps (no sign-in; the token is the key): the owner's appointments as iCalendar."""
    user = queries.feed_owner(token)
    if user is None:
        abort(404)
    now = utcnow()
    body = ics.feed(queries.feed_appointments(user, now), now=now)
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": 'inline; filename="appointments.ics"'})
