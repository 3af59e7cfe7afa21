"""Free slots: weekly hours and date overrides (therapist's wall clock) minus booked blocks.

Wall-clock hours are turned into UTC instants day by day with the therapist's zone, so a 9:00
start stays 9:00 local across DST changes; local times that do not exist (the spring-forward gap)
are skipped, and a repeated hour (fall back) is offered once. Only the appointments that touch
the window asked for are read, so the cost does not grow with history.
"""
from bisect import bisect_left
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.core.vocabulary import AppointmentStatus
from portal.extensions import db
from portal.models.schedule import Appointment, AvailabilityOverride, AvailabilityRule

# No block is longer than this (the longest session plus buffers): bounds the window query.
MAX_BLOCK = timedelta(hours=12)


def _to_utc(day, wall_time, zone):
    """The UTC instant of a wall-clock time on a local day, or None in a DST gap."""
    local = datetime.combine(day, wall_time, tzinfo=zone)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def _subtract(ranges, cut):
    out = []
    for start, end in ranges:
        if cut[1] <= start or cut[0] >= end:
            out.append((start, end))
            continue
        if start < cut[0]:
            out.append((start, cut[0]))
        if cut[1] < end:
            out.append((cut[1], end))
    return out


def working_hours(therapist, first_day, last_day):
    """The therapist's available wall-clock ranges for each local day in [first_day, last_day]."""
    rules = db.session.scalars(select(AvailabilityRule).where(
        AvailabilityRule.therapist_id == therapist.id)).all()
    overrides = db.session.scalars(select(AvailabilityOverride).where(
        AvailabilityOverride.therapist_id == therapist.id,
        AvailabilityOverride.day >= first_day, AvailabilityOverride.day <= last_day)).all()
    by_day = {}
    for o in overrides:
        by_day.setdefault(o.day, []).append(o)
    day = first_day
    while day <= last_day:
        ranges = [(r.start_time, r.end_time) for r in rules if r.weekday == day.weekday()]
        for o in by_day.get(day, []):  # days off and time off cut the weekly hours ...
            if not o.available:
                ranges = [] if o.start_time is None else _subtract(ranges, (o.start_time,
                                                                            o.end_time))
        for o in by_day.get(day, []):  # ... and extra hours on that date are added after
            if o.available and o.start_time and o.end_time:
                ranges.append((o.start_time, o.end_time))
        yield day, _merge(ranges)
        day += timedelta(days=1)


def _merge(ranges):
    """Join touching or overlapping ranges, so a session may run across the join."""
    merged = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def booked_blocks(therapist_id, start, end, ignore_id=None):
    """Blocks (with buffers) of live appointments touching [start, end), sorted by start."""
    query = select(Appointment.block_start, Appointment.block_end).where(
        Appointment.therapist_id == therapist_id,
        Appointment.status != AppointmentStatus.CANCELLED.value,
        Appointment.starts_at >= start - MAX_BLOCK, Appointment.starts_at < end + MAX_BLOCK)
    if ignore_id is not None:
        query = query.where(Appointment.id != ignore_id)
    return sorted((b_start, b_end) for b_start, b_end in db.session.execute(query)
                  if b_end > start and b_start < end)


def _overlaps(blocks, starts, start, end):
    """Does [start, end) overlap any block? (blocks sorted, non-overlapping among themselves)"""
    i = bisect_left(starts, end)
    for block_start, block_end in blocks[max(0, i - 8):i]:
        if block_start < end and block_end > start:
            return True
    return False


def free_slots(session_type, window_start, window_end, now=None, ignore_id=None, limits=True):
    """UTC start times in [window_start, window_end) at which `session_type` can be booked.
    `limits`: the type's minimum notice and booking window apply (clients); without them any
    free future time of the therapist's hours is offered (the therapist booking for a client)."""
    now = now or datetime.now(UTC)
    therapist = session_type.therapist
    zone = ZoneInfo(therapist.timezone)
    duration = timedelta(minutes=session_type.duration_min)
    before = timedelta(minutes=session_type.buffer_before_min)
    after = timedelta(minutes=session_type.buffer_after_min)
    step = timedelta(minutes=max(5, session_type.slot_step_min))
    notice = timedelta(minutes=session_type.min_notice_min) if limits else timedelta(0)
    earliest = max(window_start, now + notice)
    latest = min(window_end, now + timedelta(days=session_type.horizon_days)) if limits \
        else window_end
    if earliest >= latest:
        return []
    blocks = booked_blocks(therapist.id, earliest - before - duration, latest + duration + after,
                           ignore_id=ignore_id)
    block_starts = [b[0] for b in blocks]
    first_day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_day = latest.astimezone(zone).date() + timedelta(days=1)
    slots = set()
    for day, ranges in working_hours(therapist, first_day, last_day):
        for wall_start, wall_end in ranges:
            range_end = _to_utc(day, wall_end, zone) or _gap_end(day, wall_end, zone)
            local, stop = datetime.combine(day, wall_start), datetime.combine(day, wall_end)
            while local < stop:
                start = _to_utc(day, local.time(), zone)
                local += step
                if start is None or start < earliest or start >= latest:
                    continue
                end = start + duration
                if end <= range_end and not _overlaps(blocks, block_starts, start - before,
                                                      end + after):
                    slots.add(start)
    return sorted(slots)


def _gap_end(day, wall_time, zone):
    """A range ending inside a DST gap ends when the clock jumps (the first valid instant)."""
    local = datetime.combine(day, wall_time)
    for minutes in range(1, 121):
        instant = _to_utc(day, (local + timedelta(minutes=minutes)).time(), zone)
        if instant is not None:
            return instant
    return datetime.combine(day, wall_time, tzinfo=zone).astimezone(UTC)


def nearest_free(session_type, around, count=5, now=None, ignore_id=None, limits=True):
    """The free slots closest to `around` (for "this time was just taken")."""
    found = free_slots(session_type, around - timedelta(days=3), around + timedelta(days=10),
                       now=now, ignore_id=ignore_id, limits=limits)
    return sorted(found, key=lambda s: abs(s - around))[:count]


def is_free(session_type, start, now=None, ignore_id=None, limits=True):
    return start in free_slots(session_type, start - timedelta(minutes=1),
                               start + timedelta(minutes=1), now=now, ignore_id=ignore_id,
                               limits=limits)
