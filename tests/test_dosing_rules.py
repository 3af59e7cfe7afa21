"""The dosing day's rules on their own (portal/dosing/rules.py, readiness.py): the
blood-pressure gate and its edges, the override, the timed checks at their edges (+40 minutes
due, overdue by 1 minute), what signing needs, clock times around midnight, and when
readiness answers raise a concern."""
from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from portal.config import bp_gate_problem
from portal.dosing import readiness, rules

GATE = rules.parse_gate("140/90")
DOSE_AT = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


def reading(check="pre_dose", bp=(128, 82), minutes=0):
    return {"check": check, "taken_at": (DOSE_AT + timedelta(minutes=minutes)).isoformat(),
            "systolic": bp[0], "diastolic": bp[1], "heart_rate": 70, "spo2": 98}


def record(vitals=(), dose=True, override=None, monitor="Kim", discharge=None):
    return SimpleNamespace(
        vitals=list(vitals), override=override, monitor_name=monitor, discharge=discharge,
        dose={"medication": "Ketamine", "amount": "56 mg", "route": "intranasal",
              "given_at": DOSE_AT.isoformat(), "prescriber": "Dr. Rivera"} if dose else None)


# --- the gate -------------------------------------------------------------------------------
@pytest.mark.parametrize("bp, above", [
    ((140, 90), False),  # exactly at the gate: allowed
    ((139, 89), False),
    ((141, 90), True),   # one over, systolic
    ((140, 91), True),   # one over, diastolic
    ((120, 95), True),
    ((165, 80), True),
])
def test_the_gate_refuses_only_readings_above_it(bp, above):
    assert GATE.exceeded_by(reading(bp=bp)) is above
    refusal = rules.dose_refusal(record([reading(bp=bp)], dose=False), GATE)
    if above:
        assert f"{bp[0]}/{bp[1]}" in refusal and "140/90" in refusal and "override" in refusal
    else:
        assert refusal is None


def test_a_dose_needs_a_pre_dose_reading_first():
    assert "before the dose first" in rules.dose_refusal(record(dose=False), GATE)
    plus40_only = record([reading("plus_40")], dose=False)
    assert "before the dose first" in rules.dose_refusal(plus40_only, GATE)


def test_an_override_covers_only_the_reading_it_was_given_for():
    high = record([reading(bp=(152, 96))], dose=False)
    assert rules.override_needed(high, GATE)["systolic"] == 152
    high.override = {"reason": "Repeat after rest; prescriber agrees.", "reading": 0, "bp": "152/96"}
    assert rules.dose_refusal(high, GATE) is None and rules.override_needed(high, GATE) is None
    high.vitals.append(reading(bp=(158, 99), minutes=5))  # a later, higher reading
    assert "158/99" in rules.dose_refusal(high, GATE)
    high.vitals.append(reading(bp=(138, 88), minutes=10))  # back under: no override needed
    assert rules.dose_refusal(high, GATE) is None


def test_the_gate_setting_is_checked_at_start_up():
    assert bp_gate_problem("140/90") == "" and rules.parse_gate("150/95") == (150, 95)
    for bad in ("140", "140/", "abc/90", "140/90/60", "400/90"):
        assert "DOSING_BP_GATE" in bp_gate_problem(bad)


# --- timed checks ---------------------------------------------------------------------------
def plus40(now_minutes, vitals=()):
    states = rules.check_states(record(vitals), GATE, DOSE_AT + timedelta(minutes=now_minutes))
    return next(s for s in states if s.check == "plus_40")


@pytest.mark.parametrize("minutes, state, words", [
    (30, "upcoming", "in 10 minutes"),
    (35, "due", "in 5 minutes"),    # shown as due 5 minutes before
    (40, "due", "now"),             # exactly at +40: due, not yet overdue
    (41, "overdue", "1 minute overdue"),  # overdue by 1 minute
    (55, "overdue", "15 minutes overdue"),
])
def test_the_40_minute_check_is_due_at_40_and_overdue_after(minutes, state, words):
    check = plus40(minutes)
    assert check.state == state and check.due_at == DOSE_AT + timedelta(minutes=40)
    assert rules.countdown(check.due_at, DOSE_AT + timedelta(minutes=minutes)) == words


def test_a_second_past_40_minutes_is_overdue():
    assert plus40(40 + 1 / 60).state == "overdue"


def test_the_40_minute_reading_above_the_gate_is_marked_high():
    done = plus40(60, [reading(), reading("plus_40", (150, 92), 41)])
    assert done.state == "done" and done.high
    fine = plus40(60, [reading(), reading("plus_40", (140, 90), 41)])
    assert fine.state == "done" and not fine.high


def test_checks_wait_for_the_dose_and_discharge_is_never_overdue():
    no_dose = rules.check_states(record(dose=False), GATE, DOSE_AT)
    assert [s.state for s in no_dose] == ["due", "waiting", "waiting"]
    late = rules.check_states(record([reading()]), GATE, DOSE_AT + timedelta(hours=5))
    assert [s.state for s in late] == ["done", "overdue", "due"]
    assert late[2].due_at == DOSE_AT + timedelta(hours=2) and not late[2].can_be_overdue


# --- signing --------------------------------------------------------------------------------
COMPLETE = {"alert_oriented": True, "vitals_in_range": True, "ride_confirmed": True,
            "driver_name": "Sam", "next_integration": "offered"}


def test_an_empty_record_lists_everything_signing_needs():
    missing = rules.missing_for_signing(record(dose=False, monitor=None))
    assert missing == [
        "Vital signs before the dose", "The dose (medication, amount, route, time and prescriber)",
        "The name of the monitor or chaperone", "Vital signs 40 minutes after the dose",
        "Discharge: alert and oriented", "Discharge: vital signs back within range",
        "Discharge: ride home confirmed", "Discharge: the driver's name",
        "Discharge: next integration session booked or offered"]


def test_a_complete_record_needs_nothing_more():
    full = record([reading(), reading("plus_40", minutes=40)], discharge=COMPLETE)
    assert rules.missing_for_signing(full) == []


@pytest.mark.parametrize("change, missing", [
    ({"driver_name": "  "}, "Discharge: the driver's name"),
    ({"next_integration": ""}, "Discharge: next integration session booked or offered"),
    ({"alert_oriented": False}, "Discharge: alert and oriented"),
])
def test_each_unticked_discharge_item_is_named(change, missing):
    full = record([reading(), reading("plus_40", minutes=40)], discharge={**COMPLETE, **change})
    assert rules.missing_for_signing(full) == [missing]


# --- clock times on the dosing day ----------------------------------------------------------
def test_a_clock_time_lands_on_the_date_nearest_the_session():
    zone = ZoneInfo("America/New_York")
    late_start = datetime(2026, 3, 3, 23, 30, tzinfo=zone).astimezone(UTC)
    after_midnight = rules.on_session_day(late_start, time(0, 10), zone)
    assert after_midnight == datetime(2026, 3, 4, 0, 10, tzinfo=zone)
    morning = datetime(2026, 3, 3, 9, 0, tzinfo=zone).astimezone(UTC)
    assert rules.on_session_day(morning, time(8, 55), zone) == datetime(2026, 3, 3, 8, 55,
                                                                         tzinfo=zone)


# --- readiness ------------------------------------------------------------------------------
ALL_YES = {"fasting": "yes", "ride_arranged": "yes", "ride_who": "Sam",
           "no_alcohol_benzos": "yes", "notes": ""}


def test_missing_answers_raise_a_concern_only_from_the_morning():
    deadline = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
    assert readiness.reasons_of(None, deadline - timedelta(seconds=1), deadline) == []
    assert readiness.reasons_of(None, deadline, deadline) == ["unanswered"]


@pytest.mark.parametrize("answers, reasons", [
    (ALL_YES, []),
    ({**ALL_YES, "ride_arranged": "no"}, ["ride"]),
    ({**ALL_YES, "fasting": "no", "no_alcohol_benzos": "no"}, ["fasting", "substances"]),
])
def test_every_no_is_a_concern_whatever_the_time(answers, reasons):
    early = datetime(2026, 3, 1, tzinfo=UTC)
    assert readiness.reasons_of(answers, early, early + timedelta(days=2)) == reasons


def test_the_morning_is_7_in_the_practice_zone_or_the_start_if_earlier():
    zone = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 3, 10, 0, tzinfo=zone).astimezone(UTC)
    assert readiness.deadline_of(start, zone) == datetime(2026, 3, 3, 7, 0, tzinfo=zone)
    dawn = datetime(2026, 3, 3, 6, 30, tzinfo=zone).astimezone(UTC)
    assert readiness.deadline_of(dawn, zone) == dawn


def test_a_reason_already_raised_is_not_raised_again():
    assert readiness.new_reasons(["ride", "fasting"], [["ride"]]) == ["fasting"]
    assert readiness.new_reasons(["ride"], [["ride"], ["unanswered"]]) == []
