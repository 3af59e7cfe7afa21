"""The dosing record's writes, each with its audit record (ids and event names only, never
the values); the caller commits.

A section save creates the record on first use (one per session: of two simultaneous first
saves the later one updates the winner's row). Every change of a signed record raises
RecordLocked; a dose above the blood-pressure gate without an override raises DoseRefused, and
signing an incomplete record raises Incomplete with the list of what is missing.
"""
import logging

from portal.core.db import race_safe_insert
from portal.core.time import utcnow
from portal.core.vocabulary import DosingCheck
from portal.dosing import rules
from portal.dosing.queries import gate, record_of
from portal.extensions import db
from portal.models.dosing import DosingAddendum, DosingRecord, RecordLocked
from portal.security.audit import record as audit

log = logging.getLogger(__name__)


class DoseRefused(Exception):
    """The dose cannot be recorded now; the message says why, for the therapist."""


class Incomplete(Exception):
    """The record lacks required fields; `missing` lists them in plain words."""

    def __init__(self, missing):
        super().__init__("incomplete")
        self.missing = missing


def ensure_record(appointment, by):
    """The session's record, created (empty) when nothing is recorded yet."""
    found = record_of(appointment)
    if found is None and race_safe_insert(lambda: db.session.add(DosingRecord(
            appointment_id=appointment.id, therapist_id=by.id, vitals=[]))):
        found = record_of(appointment)
    return found or record_of(appointment)


def _write(appointment, by, event, **fields):
    record = ensure_record(appointment, by)
    record.change(**fields)
    db.session.flush()
    audit(event, actor=by, obj=("dosing_record", record.id))
    return record


def save_monitor(appointment, name, by):
    return _write(appointment, by, "dosing_monitor_saved", monitor_name=name)


def add_vitals(appointment, reading, by):
    """Append a reading to the vitals timeline (readings are never edited: add another)."""
    record = ensure_record(appointment, by)
    return _write(appointment, by, "dosing_vitals_added", vitals=[*record.vitals, reading])


def record_override(appointment, reason, by):
    """A clinical override of the pre-dose reading above the gate, with its reason."""
    record = ensure_record(appointment, by)
    reading = rules.override_needed(record, gate())
    if reading is None:
        raise DoseRefused("No override is needed: the latest blood pressure before the dose is "
                          "within the practice's limit.")
    index = rules.latest(record.vitals, DosingCheck.PRE_DOSE)[0]
    return _write(appointment, by, "dosing_gate_overridden", override={
        "reason": reason, "reading": index, "bp": rules.bp(reading)},
        override_at=utcnow(), override_by_id=by.id)


def record_dose(appointment, dose, by):
    """The dose given (medication, amount, route, time, prescriber); refused before a pre-dose
    reading, and above the gate without an override (the refusal is audited too)."""
    record = ensure_record(appointment, by)
    if record.signed:
        raise RecordLocked(record.id)
    refusal = rules.dose_refusal(record, gate())
    if refusal:
        audit("dosing_dose_refused", actor=by, obj=("dosing_record", record.id),
              outcome="denied")
        log.info("dose refused record=%s", record.id)  # ids only, never the values
        raise DoseRefused(refusal)
    return _write(appointment, by, "dosing_dose_recorded", dose=dose)


def save_observations(appointment, observations, by):
    return _write(appointment, by, "dosing_observations_saved", observations=observations)


def save_discharge(appointment, discharge, by):
    return _write(appointment, by, "dosing_discharge_saved", discharge=discharge)


def sign(appointment, by):
    """Sign and lock a complete record; raises Incomplete (with the list) otherwise."""
    record = ensure_record(appointment, by)
    if record.signed:
        raise RecordLocked(record.id)
    missing = rules.missing_for_signing(record)
    if missing:
        raise Incomplete(missing)
    record.sign(by)
    audit("dosing_record_signed", actor=by, obj=("dosing_record", record.id))
    log.info("dosing record signed record=%s", record.id)
    return record


def add_addendum(record, text, by):
    """A dated addendum to a signed record (a draft is simply edited)."""
    addendum = DosingAddendum(record=record, text=text, author_id=by.id)
    db.session.add(addendum)
    db.session.flush()
    audit("dosing_addendum_added", actor=by, obj=("dosing_record", record.id))
    return addendum
