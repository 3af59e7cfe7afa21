"""The check-in the day after a dosing session, its rules: which sessions it is for, when the
client is invited, and which answers are worrying. (The reads are in portal/care/queries.py; what
a worrying answer sets in motion, an urgent flag and the item-9 rules of the intake, is in
portal/care/services.py.)

Which sessions: a dosing appointment of the client that is marked completed, or still
"booked" but already over (therapists do not always mark sessions completed the same day). No-shows
and cancelled sessions have no check-in. The form can be opened as soon as the session has
ended; the home page and the email invite the client from 8:00 on the next day in the client's
own zone, for a week (POST_DOSING_WINDOW).
"""
from datetime import UTC, datetime, time, timedelta

from portal.core.time import zone_of
from portal.core.vocabulary import AppointmentStatus, SessionKind

INVITE_FROM = time(8, 0)  # the morning after the dosing day, in the client's zone
POST_DOSING_WINDOW = timedelta(days=7)  # invited (home page, email) for a week after the session
COUNTED_STATUSES = (AppointmentStatus.COMPLETED.value, AppointmentStatus.BOOKED.value)
LOW_MOOD = 3  # a mood of 3 or less out of 10 is worrying


def invite_opens(appointment):
    """8:00 on the day after the session's (local) day, in the client's own zone, as UTC."""
    zone = zone_of(appointment.client)
    next_day = appointment.starts_at.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(next_day, INVITE_FROM, tzinfo=zone).astimezone(UTC)


def has_checkin(appointment):
    """Does this appointment qualify for a post-dosing check-in at all (ignoring the time)?"""
    return (appointment.kind == SessionKind.DOSING.value
            and appointment.status in COUNTED_STATUSES)


def worrying_reasons(answers):
    """Codes of the answers the therapist should see soon (empty when none is worrying)."""
    reasons = []
    if answers["phq9_9"] > 0:
        reasons.append("item9")
    if answers["dissociation"]:
        reasons.append("dissociation")
    if answers["worry_text"].strip():
        reasons.append("worry_text")
    if answers["mood"] <= LOW_MOOD:
        reasons.append("low_mood")
    return reasons
