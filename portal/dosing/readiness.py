"""When the client's dosing-day readiness answers raise a concern, without I/O.

The client answers three questions before a dosing session (portal/scheduling/forms.py:
fasting, a ride home, no alcohol or benzodiazepines). A "no" raises a concern flag as soon as it
is saved; no answers at all raise one by the morning of the session (READINESS_DEADLINE in the
practice's zone, the therapist's), when `flask send-reminders` next runs.
"""
from datetime import UTC, datetime, time

READINESS_DEADLINE = time(7, 0)  # "by the morning" of the session, in the practice's zone
# The readiness question behind each concern, and the answer that raises it.
# (The words of each concern: READINESS_CONCERNS in portal/core/vocabulary.py.)
QUESTIONS = {"fasting": "fasting", "ride": "ride_arranged", "substances": "no_alcohol_benzos"}


def reasons_of(answers, now, deadline):
    """The concerns of one session's answers (None: not answered) at `now`, in a fixed order:
    each question answered anything but "yes", or no answers once the deadline has come."""
    if answers is None:
        return ["unanswered"] if now >= deadline else []
    return [reason for reason, question in QUESTIONS.items() if answers.get(question) != "yes"]


def deadline_of(starts_at, practice_zone):
    """The morning of the session (READINESS_DEADLINE on its day in the practice's zone), or
    its start if that is earlier."""
    day = starts_at.astimezone(practice_zone).date()
    morning = datetime.combine(day, READINESS_DEADLINE, tzinfo=practice_zone).astimezone(UTC)
    return min(morning, starts_at)


def new_reasons(reasons, raised_codes_reasons):
    """The reasons no earlier flag of the session has raised (acknowledged ones count: a
    concern once seen is not raised again; a new one is)."""
    seen = {r for reasons_of_flag in raised_codes_reasons for r in reasons_of_flag}
    return [r for r in reasons if r not in seen]
