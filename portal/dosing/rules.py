"""The dosing day's rules, without I/O: the blood-pressure gate, the timed checks and whether
they are due or overdue, and what a record needs before it can be signed.

A record here is anything with the DosingRecord fields (vitals, dose, monitor_name, override,
discharge); times are aware datetimes. A reading is a dict: check, taken_at (ISO UTC),
systolic, diastolic, heart_rate, spo2.
"""
import math
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from portal.core.vocabulary import (
    CHECK_DUE_SOON,
    CHECK_LABELS,
    MIN_MONITORING,
    PLUS_40_AFTER,
    DosingCheck,
)


class Gate(NamedTuple):
    """The practice's blood-pressure limit before dosing (DOSING_BP_GATE, "140/90")."""

    systolic: int
    diastolic: int

    def __str__(self):
        return f"{self.systolic}/{self.diastolic}"

    def exceeded_by(self, reading):
        """Above the gate: either number higher. Exactly at the gate (140/90) is allowed."""
        return reading["systolic"] > self.systolic or reading["diastolic"] > self.diastolic


def parse_gate(text):
    systolic, diastolic = (int(part) for part in str(text).split("/"))
    return Gate(systolic, diastolic)


def when(value):
    """A stored ISO time as an aware datetime (None stays None)."""
    return datetime.fromisoformat(value) if value else None


def bp(reading):
    return f"{reading['systolic']}/{reading['diastolic']}"


def latest(vitals, check):
    """(index, reading) of the last reading of a check, in entry order; (None, None) if none."""
    for index in range(len(vitals) - 1, -1, -1):
        if vitals[index]["check"] == check:
            return index, vitals[index]
    return None, None


def dose_refusal(record, gate):
    """Why a dose cannot be recorded now, or None: a pre-dose blood pressure is needed, and
    above the gate a clinical override of that very reading (a later reading needs its own)."""
    index, reading = latest(record.vitals or [], DosingCheck.PRE_DOSE)
    if reading is None:
        return "Record the blood pressure before the dose first."
    if gate.exceeded_by(reading) and not override_covers(record, index):
        return (f"The blood pressure before the dose, {bp(reading)}, is above the practice's "
                f"limit of {gate}. A dose can be recorded only after a clinical override with "
                "a reason.")
    return None


def override_needed(record, gate):
    """The pre-dose reading above the gate that has no override yet, or None."""
    index, reading = latest(record.vitals or [], DosingCheck.PRE_DOSE)
    if reading is not None and gate.exceeded_by(reading) and not override_covers(record, index):
        return reading
    return None


def override_covers(record, index):
    return bool(record.override) and record.override.get("reading") == index


# --- timed checks ---------------------------------------------------------------------------
class CheckState(NamedTuple):
    """One timed check as the page shows it."""

    check: DosingCheck
    label: str
    state: str  # done | waiting (no dose yet) | upcoming | due | overdue
    due_at: datetime | None
    reading: dict | None
    taken_at: datetime | None  # of the reading
    high: bool  # the reading is above the gate
    can_be_overdue: bool


def timing(due_at, now, can_be_overdue=True):
    """upcoming until CHECK_DUE_SOON before `due_at`, then due; overdue once now is past it
    (at exactly +40 minutes the check is due; at +40 minutes and a second, overdue)."""
    if now > due_at and can_be_overdue:
        return "overdue"
    if now >= due_at - CHECK_DUE_SOON:
        return "due"
    return "upcoming"


def countdown(due_at, now):
    """How far a due time is, in whole minutes rounded up: "in 12 minutes", "now",
    "1 minute overdue" (the page's timer, static/js/dosing/timer.js, says the same)."""
    seconds = (now - due_at).total_seconds()
    minutes = math.ceil(abs(seconds) / 60)
    plural = "" if minutes == 1 else "s"
    if seconds > 0:
        return f"{minutes} minute{plural} overdue"
    return f"in {minutes} minute{plural}" if minutes else "now"


def check_states(record, gate, now):
    """The three timed checks: before the dose, +40 minutes, before discharge."""
    vitals = record.vitals or []
    given = when((record.dose or {}).get("given_at"))
    rows = []
    for check, offset, can_be_overdue in ((DosingCheck.PRE_DOSE, None, False),
                                          (DosingCheck.PLUS_40, PLUS_40_AFTER, True),
                                          (DosingCheck.DISCHARGE, MIN_MONITORING, False)):
        _, reading = latest(vitals, check)
        due_at = given + offset if given and offset else None
        if reading is not None:
            state = "done"
        elif check == DosingCheck.PRE_DOSE:
            state = "due"
        elif due_at is None:
            state = "waiting"
        else:
            state = timing(due_at, now, can_be_overdue)
        rows.append(CheckState(check, CHECK_LABELS[check], state, due_at, reading,
                               when(reading["taken_at"]) if reading else None,
                               reading is not None and gate.exceeded_by(reading), can_be_overdue))
    return rows


# --- signing --------------------------------------------------------------------------------
DISCHARGE_ITEMS = {
    "alert_oriented": "Discharge: alert and oriented",
    "vitals_in_range": "Discharge: vital signs back within range",
    "ride_confirmed": "Discharge: ride home confirmed",
}


def missing_for_signing(record):
    """What the record still needs before it can be signed, in plain words (empty: complete)."""
    vitals = record.vitals or []
    missing = []
    if latest(vitals, DosingCheck.PRE_DOSE)[1] is None:
        missing.append("Vital signs before the dose")
    if not record.dose:
        missing.append("The dose (medication, amount, route, time and prescriber)")
    if not (record.monitor_name or "").strip():
        missing.append("The name of the monitor or chaperone")
    if latest(vitals, DosingCheck.PLUS_40)[1] is None:
        missing.append("Vital signs 40 minutes after the dose")
    discharge = record.discharge or {}
    missing += [words for key, words in DISCHARGE_ITEMS.items() if not discharge.get(key)]
    if not (discharge.get("driver_name") or "").strip():
        missing.append("Discharge: the driver's name")
    if not discharge.get("next_integration"):
        missing.append("Discharge: next integration session booked or offered")
    return missing


def on_session_day(start, clock_time, zone):
    """The instant of a wall-clock time (HH:MM in `zone`) on the dosing day: of the dates around
    the session, the one that puts it nearest the start (a reading at 00:10 after a session
    that began at 23:30 belongs to the next date)."""
    local_start = start.astimezone(zone)
    candidates = [datetime.combine(local_start.date() + timedelta(days=d), clock_time,
                                   tzinfo=zone) for d in (-1, 0, 1)]
    return min(candidates, key=lambda c: abs(c - start)).astimezone(UTC)
