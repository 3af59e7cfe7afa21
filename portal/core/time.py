"""Time: stored in UTC, shown in the viewer's zone. The one place a zone is looked up and a
local time is written out (pages, emails and calendar entries use these)."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import g
from flask_login import current_user

SHORT = "%a %d %b %Y, %-I:%M %p"  # Tue 03 Mar 2026, 9:00 AM EST


def utcnow():
    """The current time as an aware UTC datetime (all times are stored in UTC)."""
    return datetime.now(UTC)


def zone_named(name):
    """The zone called `name`, or UTC when the name is empty or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def zone_of(user):
    return zone_named(getattr(user, "timezone", None))


def viewer_zone():
    """The signed-in person's zone (UTC otherwise), remembered for the request keyed by the
    zone's name: a page lists a hundred times, and the name is read from the user each time,
    so a change of zone within the request shows at once."""
    tz = getattr(current_user, "timezone", None)
    cached = g.get("_viewer_zone")
    if cached is not None and cached[0] == tz:
        return cached[1]
    zone = zone_named(tz)
    g._viewer_zone = (tz, zone)
    return zone


def format_local(instant, zone, long=False):
    """A UTC instant as wall-clock time in `zone`, with the zone's abbreviation:
    "Tue 03 Mar 2026, 9:00 AM EST", or long: "Tuesday 3 March 2026, 9:00 AM EST"
    (locale-independent: emails must read the same on every server)."""
    local = instant.astimezone(zone)
    if not long:
        return f"{local.strftime(SHORT)} {local.tzname()}"
    hour = local.hour % 12 or 12
    half = "AM" if local.hour < 12 else "PM"
    return f"{local:%A} {local.day} {local:%B %Y}, {hour}:{local:%M} {half} {local.tzname()}"


def local_time(value, fmt=SHORT, zone=None):
    """Template global: a stored UTC time in the viewer's zone (or in `zone`, a zone's name:
    the practice's time next to the client's), with the zone's abbreviation."""
    if value is None:
        return ""
    tz = zone_named(zone) if zone else viewer_zone()
    if fmt == SHORT:
        return format_local(value, tz)
    local = value.astimezone(tz)
    return f"{local.strftime(fmt)} {local.tzname()}"
