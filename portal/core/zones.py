"""Time zones offered in forms: the common ones first, then every IANA zone."""
from functools import lru_cache
from zoneinfo import available_timezones

from wtforms.fields import SelectChoice

COMMON = [
    ("America/New_York", "Eastern Time (New York)"),
    ("America/Chicago", "Central Time (Chicago)"),
    ("America/Denver", "Mountain Time (Denver)"),
    ("America/Phoenix", "Arizona (Phoenix)"),
    ("America/Los_Angeles", "Pacific Time (Los Angeles)"),
    ("America/Anchorage", "Alaska (Anchorage)"),
    ("Pacific/Honolulu", "Hawaii (Honolulu)"),
    ("Europe/London", "United Kingdom (London)"),
    ("Australia/Sydney", "Australia (Sydney)"),
]


@lru_cache(maxsize=1)
def _all_choices():
    common = {zone for zone, _ in COMMON}
    rest = sorted(z for z in available_timezones()
                  if "/" in z and not z.startswith(("Etc/", "SystemV/", "posix/", "right/")))
    return ([SelectChoice(zone, label, optgroup="Common") for zone, label in COMMON]
            + [SelectChoice(z, z.replace("_", " "), optgroup="All time zones")
               for z in rest if z not in common]
            + [SelectChoice("UTC", "UTC", optgroup="All time zones")])


def timezone_choices():
    return _all_choices()


def is_valid_zone(name):
    return any(name == choice.value for choice in _all_choices())
