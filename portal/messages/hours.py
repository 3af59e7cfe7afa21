"""A therapist's stated response hours, without I/O: are they answering now, and if not, from
when may the client expect an answer.

Hours are weekdays (0 = Monday) and a daily window [starts, ends) in the therapist's own zone;
a therapist who stated none answers Monday to Friday, 9 AM to 5 PM.
"""
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_DAYS = (0, 1, 2, 3, 4)
DEFAULT_STARTS, DEFAULT_ENDS = time(9), time(17)
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Hours:
    days: tuple
    starts: time
    ends: time
    zone: ZoneInfo

    def is_open(self, instant):
        """Is `instant` (aware) within the response hours?"""
        local = instant.astimezone(self.zone)
        return local.weekday() in self.days and self.starts <= local.time() < self.ends

    def next_opening(self, instant):
        """When the hours next begin after `instant` (aware UTC), or None while they are open
        (or when no day is stated)."""
        if self.is_open(instant) or not self.days:
            return None
        local = instant.astimezone(self.zone)
        for ahead in range(8):
            day = local.date() + timedelta(days=ahead)
            opening = datetime.combine(day, self.starts, tzinfo=self.zone)
            if day.weekday() in self.days and opening > local:
                return opening.astimezone(UTC)
        return None


def clock(value):
    """9:00 AM, 5:30 PM."""
    return f"{value.hour % 12 or 12}:{value:%M} {'AM' if value.hour < 12 else 'PM'}"


def describe_days(days):
    """"Monday to Friday" for a run of days, else the days named one by one."""
    days = sorted(set(days))
    if not days:
        return "no days"
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]} to {DAY_NAMES[days[-1]]}"
    names = [DAY_NAMES[d] for d in days]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def describe(hours):
    """"Monday to Friday, 9:00 AM to 5:00 PM (America/New_York time)"."""
    return (f"{describe_days(hours.days)}, {clock(hours.starts)} to {clock(hours.ends)} "
            f"({hours.zone.key} time)")
