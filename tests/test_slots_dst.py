"""Free slots (acceptance 1): weekly hours in the therapist's zone, shown in the client's zone,
correct across DST changes in New York, London and Sydney; overrides, buffers, minimum notice
and horizon. `now` is always passed explicitly, so the tests do not depend on the real clock."""
from datetime import UTC, date, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.scheduling.slots import free_slots
from tests.scheduling_helpers import (
    EVERY_DAY,
    at,
    by_local_day,
    day_off,
    extra_hours,
    hhmm,
    make_appointment,
    session_type,
    wall,
    weekly_hours,
)

NEW_YORK, LONDON, SYDNEY = "America/New_York", "Europe/London", "Australia/Sydney"
CONSULTATION_STARTS = [f"{h:02d}:{m:02d}" for h in range(9, 17) for m in (0, 30)]  # 20 min, 9–17


def consultation_for(factories, zone, days=EVERY_DAY, start=time(9), end=time(17)):
    therapist = factories.make_therapist(timezone=zone)
    if days:
        weekly_hours(therapist, start, end, days)
    return session_type(therapist, SessionKind.CONSULTATION)


def slots_between(kind, zone, first, last, now):
    """Free slots from the start of local day `first` to the end of local day `last`."""
    after = last + timedelta(days=1)  # local midnights: a day of a DST change is 23 or 25 hours
    start, end = (at(zone, d.year, d.month, d.day) for d in (first, after))
    return free_slots(kind, start, end, now=now)


# --- DST: 9:00 stays 9:00 -------------------------------------------------------------------
TRANSITIONS = [  # zone, day of the change, UTC offset before → after
    (NEW_YORK, date(2026, 3, 8), -5, -4),
    (NEW_YORK, date(2026, 11, 1), -4, -5),
    (LONDON, date(2026, 3, 29), 0, 1),
    (LONDON, date(2026, 10, 25), 1, 0),
    (SYDNEY, date(2026, 4, 5), 11, 10),
    (SYDNEY, date(2026, 10, 4), 10, 11),
]


@pytest.mark.parametrize(("zone", "change", "before", "after"), TRANSITIONS,
                         ids=[f"{z.split('/')[1]}-{d}" for z, d, *_ in TRANSITIONS])
def test_nine_oclock_stays_nine_oclock_across_the_dst_change(factories, zone, change, before, after):
    consultation = consultation_for(factories, zone)
    client_zone = zone  # a client in the therapist's zone sees the therapist's wall clock
    now = at(zone, change.year, change.month, change.day) - timedelta(days=7)
    days = by_local_day(slots_between(consultation, zone, change - timedelta(days=2),
                                      change + timedelta(days=2), now), client_zone)

    assert sorted(days) == [change + timedelta(days=n) for n in range(-2, 3)]
    for day, local in days.items():
        assert [t.strftime("%H:%M") for t in local] == CONSULTATION_STARTS, day
    first_before, first_after = days[change - timedelta(days=1)][0], days[change + timedelta(days=1)][0]
    assert first_before.utcoffset() == timedelta(hours=before)
    assert first_after.utcoffset() == timedelta(hours=after)
    # Two calendar days apart at 9:00 local is 48 hours minus the hour the clock moved.
    elapsed = first_after.astimezone(UTC) - first_before.astimezone(UTC)
    assert elapsed == timedelta(hours=48 - (after - before))


# --- the night of the change ----------------------------------------------------------------
def night_before(zone, day):
    return at(zone, day.year, day.month, day.day) - timedelta(days=2)


SPRING_FORWARD = [  # zone, day, extra hours spanning the gap, local starts offered
    (NEW_YORK, date(2026, 3, 8), time(1, 30), time(3, 30), ["01:30", "03:00"]),
    (LONDON, date(2026, 3, 29), time(0, 30), time(2, 30), ["00:30", "02:00"]),
    (SYDNEY, date(2026, 10, 4), time(1, 30), time(3, 30), ["01:30", "03:00"]),
]


@pytest.mark.parametrize(("zone", "day", "start", "end", "expected"), SPRING_FORWARD,
                         ids=[z.split("/")[1] for z, *_ in SPRING_FORWARD])
def test_spring_forward_never_offers_a_time_that_does_not_exist(factories, zone, day, start, end,
                                                                 expected):
    consultation = consultation_for(factories, zone, days=())
    extra_hours(consultation.therapist, day, start, end)
    found = slots_between(consultation, zone, day, day, now=night_before(zone, day))

    assert [hhmm(s, zone) for s in found] == expected
    # The clock jumped an hour between them: only 30 real minutes separate the two slots.
    assert found[1] - found[0] == timedelta(minutes=30)


FALL_BACK = [  # zone, day, hours spanning the repeated hour, local starts offered (each once)
    (NEW_YORK, date(2026, 11, 1), time(0, 30), time(3), ["00:30", "01:00", "01:30", "02:00", "02:30"]),
    (LONDON, date(2026, 10, 25), time(0, 30), time(3), ["00:30", "01:00", "01:30", "02:00", "02:30"]),
    (SYDNEY, date(2026, 4, 5), time(1, 30), time(4), ["01:30", "02:00", "02:30", "03:00", "03:30"]),
]


@pytest.mark.parametrize(("zone", "day", "start", "end", "expected"), FALL_BACK,
                         ids=[z.split("/")[1] for z, *_ in FALL_BACK])
def test_fall_back_offers_the_repeated_hour_once(factories, zone, day, start, end, expected):
    consultation = consultation_for(factories, zone, days=())
    extra_hours(consultation.therapist, day, start, end)
    found = slots_between(consultation, zone, day, day, now=night_before(zone, day))

    assert [hhmm(s, zone) for s in found] == expected  # no wall time twice
    # Two hours of wall clock, three real hours: the repeated hour is there, offered once.
    assert found[-1] - found[0] == timedelta(hours=3)


# --- a client and a therapist in different zones --------------------------------------------
CROSS_ZONE = [  # New York days around a change in either zone; what the Sydney client sees
    # Sydney falls back on 5 April: New York 9:00 EDT moves from 00:00 to 23:00 in Sydney.
    (date(2026, 4, 3), date(2026, 4, 6), "2026-04-04 00:00 +1100", "2026-04-06 23:00 +1000"),
    # Sydney springs forward on 4 October.
    (date(2026, 10, 2), date(2026, 10, 5), "2026-10-02 23:00 +1000", "2026-10-06 00:00 +1100"),
    # New York falls back on 1 November.
    (date(2026, 10, 30), date(2026, 11, 2), "2026-10-31 00:00 +1100", "2026-11-03 01:00 +1100"),
]


@pytest.mark.parametrize(("friday", "monday", "friday_seen", "monday_seen"), CROSS_ZONE,
                         ids=["sydney-falls-back", "sydney-springs-forward", "new-york-falls-back"])
def test_client_in_sydney_sees_new_york_hours_converted(factories, friday, monday, friday_seen,
                                                        monday_seen):
    consultation = consultation_for(factories, NEW_YORK, days=range(5))
    client = factories.make_client(therapist=consultation.therapist, timezone=SYDNEY)
    found = slots_between(consultation, NEW_YORK, friday, monday,
                          now=at(NEW_YORK, friday.year, friday.month, friday.day) - timedelta(days=3))
    shown = [wall(s, client.timezone) for s in found]

    expected = [at(NEW_YORK, d.year, d.month, d.day, int(t[:2]), int(t[3:])).astimezone(
        ZoneInfo(SYDNEY)) for d in (friday, monday) for t in CONSULTATION_STARTS]
    assert shown == expected  # the weekend has no hours; each day is 16 slots from 9:00
    assert shown[0].strftime("%Y-%m-%d %H:%M %z") == friday_seen
    assert shown[16].strftime("%Y-%m-%d %H:%M %z") == monday_seen


# --- overrides ------------------------------------------------------------------------------
NOW = at(NEW_YORK, 2026, 6, 1, 8)  # Monday 1 June 2026, 8:00 in New York (no DST change near)
TUESDAY, WEDNESDAY, THURSDAY, SATURDAY = (date(2026, 6, d) for d in (2, 3, 4, 6))


@pytest.fixture
def ny_consultation(factories):
    return consultation_for(factories, NEW_YORK, days=range(5))


def starts_on(slots, day):
    return [t.strftime("%H:%M") for t in by_local_day(slots, NEW_YORK).get(day, [])]


def test_a_day_off_removes_that_day_only(ny_consultation):
    day_off(ny_consultation.therapist, WEDNESDAY)
    found = slots_between(ny_consultation, NEW_YORK, TUESDAY, THURSDAY, NOW)
    assert starts_on(found, WEDNESDAY) == []
    assert starts_on(found, TUESDAY) == starts_on(found, THURSDAY) == CONSULTATION_STARTS


def test_extra_hours_add_slots_on_a_day_without_weekly_hours(ny_consultation):
    extra_hours(ny_consultation.therapist, SATURDAY, time(10), time(12))
    found = slots_between(ny_consultation, NEW_YORK, SATURDAY, SATURDAY, NOW)
    assert starts_on(found, SATURDAY) == ["10:00", "10:30", "11:00", "11:30"]


def test_partial_time_off_cuts_the_range(ny_consultation):
    day_off(ny_consultation.therapist, THURSDAY, time(12), time(14), note="Dentist")
    preparation = session_type(ny_consultation.therapist, SessionKind.PREPARATION)  # 50 min
    consultations = starts_on(slots_between(ny_consultation, NEW_YORK, THURSDAY, THURSDAY, NOW),
                              THURSDAY)
    preparations = starts_on(slots_between(preparation, NEW_YORK, THURSDAY, THURSDAY, NOW), THURSDAY)
    assert consultations == [t for t in CONSULTATION_STARTS if t < "12:00" or t >= "14:00"]
    assert "11:30" in consultations  # 11:30–11:50 ends before the time off
    assert preparations[:6] == ["09:00", "09:30", "10:00", "10:30", "11:00", "14:00"]
    assert "11:30" not in preparations  # 11:30–12:20 would run into it


def test_a_session_may_run_across_touching_ranges(ny_consultation):
    """Weekly 9–17 plus extra hours 17–19: a 50-minute session at 16:30 runs across the join."""
    extra_hours(ny_consultation.therapist, THURSDAY, time(17), time(19))
    preparation = session_type(ny_consultation.therapist, SessionKind.PREPARATION)
    starts = starts_on(slots_between(preparation, NEW_YORK, THURSDAY, THURSDAY, NOW), THURSDAY)
    assert "16:30" in starts and "18:00" in starts and "18:30" not in starts


def test_extra_hours_count_on_a_day_off(ny_consultation):
    """A day off removes the weekly hours; extra hours set for that date still open."""
    day_off(ny_consultation.therapist, WEDNESDAY)
    extra_hours(ny_consultation.therapist, WEDNESDAY, time(18), time(19))
    found = slots_between(ny_consultation, NEW_YORK, WEDNESDAY, WEDNESDAY, NOW)
    assert starts_on(found, WEDNESDAY) == ["18:00", "18:30"]


# --- buffers, notice and horizon ------------------------------------------------------------
def test_a_booked_appointment_blocks_its_buffers(factories, ny_consultation):
    therapist = ny_consultation.therapist
    client = factories.make_client(therapist=therapist)
    dosing = session_type(therapist, SessionKind.DOSING)  # 180 min, 30 min before and after
    assert (dosing.buffer_before_min, dosing.buffer_after_min) == (30, 30)
    assert (ny_consultation.buffer_before_min, ny_consultation.buffer_after_min) == (0, 10)
    make_appointment(client, dosing, at(NEW_YORK, 2026, 6, 2, 12))  # blocks 11:30–15:30
    make_appointment(client, ny_consultation, at(NEW_YORK, 2026, 6, 3, 10))  # blocks 10:00–10:30

    tuesday = starts_on(slots_between(ny_consultation, NEW_YORK, TUESDAY, TUESDAY, NOW), TUESDAY)
    # 11:00–11:20 plus 10 min after ends at 11:30 (free); 15:30 is the first time after.
    assert tuesday == [t for t in CONSULTATION_STARTS if t <= "11:00" or t >= "15:30"]

    wednesday = starts_on(slots_between(dosing, NEW_YORK, WEDNESDAY, WEDNESDAY, NOW), WEDNESDAY)
    # A dosing block starts 30 min early: 10:30 would need 10:00, still the consultation's.
    assert wednesday[0] == "11:00"
    assert wednesday[-1] == "14:00"  # 14:00–17:00 is the last one inside the hours


def test_minimum_notice_and_horizon_are_honoured(ny_consultation):
    now = at(NEW_YORK, 2026, 6, 1, 10, 15)
    found = free_slots(ny_consultation, now, now + timedelta(days=90), now=now)
    assert wall(found[0], NEW_YORK).strftime("%a %H:%M") == "Tue 10:30"  # 24 h notice
    assert found[-1] < now + timedelta(days=60) <= found[-1] + timedelta(days=3)

    ny_consultation.min_notice_min, ny_consultation.horizon_days = 120, 7
    db.session.commit()
    found = free_slots(ny_consultation, now, now + timedelta(days=90), now=now)
    assert hhmm(found[0], NEW_YORK) == "12:30"  # 2 h notice: same day
    assert found[-1] < now + timedelta(days=7)
    assert free_slots(ny_consultation, now + timedelta(days=8), now + timedelta(days=20),
                      now=now) == []
