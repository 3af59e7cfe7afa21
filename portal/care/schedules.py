"""When a client's measure schedule asks for a check-in (pure rules: rows in, occasions out).

An occasion opens:
- every N days: N, 2N, ... days after the schedule was set (changing it starts again);
- before a preparation or integration session: MEASURE_BEFORE_SESSION before it starts, until
  it starts (a rescheduled session is a new occasion: its key carries the sequence);
- after dosing: at 8:00 the morning after the session, in the client's zone.
It is completed when every scheduled instrument has a result taken since it opened (the PHQ-9
and GAD-7 check-in answers both). Reminders: one a day for MEASURE_REMINDER_DAYS days from the
opening, until it is completed.
"""
from datetime import timedelta
from typing import NamedTuple

from portal.care.postdosing import invite_opens
from portal.core.vocabulary import MEASURE_BEFORE_SESSION, MEASURE_REMINDER_DAYS, MeasureOccasion

DAY = timedelta(days=1)
# The client's page for each instrument (endpoint names of the care blueprint).
PAGES = {"phq9": "care.checkin", "gad7": "care.checkin", "pcl5": "care.pcl5",
         "cssrs": "care.cssrs_screener"}


class Occasion(NamedTuple):
    key: str  # as stored in MeasureReminder.occasion
    opened: object  # aware datetime (UTC)
    closes: object  # aware datetime: no reminder from then on


def occasions(schedule, sessions, dosings, now):
    """The schedule's occasions open at `now`. `sessions`: the client's booked preparation and
    integration sessions; `dosings`: their dosing sessions (booked or completed)."""
    found = []
    reminding = MEASURE_REMINDER_DAYS * DAY
    if schedule.every_days:
        period = timedelta(days=schedule.every_days)
        count = (now - schedule.starts_at) // period
        if count >= 1:
            opened = schedule.starts_at + count * period
            found.append(Occasion(f"{MeasureOccasion.EVERY}:{int(schedule.starts_at.timestamp())}"
                                  f"#{count}", opened, opened + reminding))
    if schedule.before_sessions:
        for session in sessions:
            opened = session.starts_at - MEASURE_BEFORE_SESSION
            if opened <= now < session.starts_at:
                found.append(Occasion(f"{MeasureOccasion.BEFORE}:{session.id}#{session.sequence}",
                                      opened, min(session.starts_at, opened + reminding)))
    if schedule.after_dosing:
        for dosing in dosings:
            opened = invite_opens(dosing)
            if opened <= now < opened + reminding:
                found.append(Occasion(f"{MeasureOccasion.AFTER_DOSING}:{dosing.id}", opened,
                                      opened + reminding))
    return found


def missing(occasion, instruments, taken):
    """The scheduled instruments without a result since the occasion opened. `taken`:
    {instrument: [taken_at, ...]}."""
    return [key for key in instruments
            if not any(when >= occasion.opened for when in taken.get(key, ()))]


def reminder_day(occasion, now):
    """Which reminder (1, 2, 3) is due at `now`, or None once the occasion closes."""
    if not occasion.opened <= now < occasion.closes:
        return None
    day = (now - occasion.opened) // DAY + 1
    return day if day <= MEASURE_REMINDER_DAYS else None
