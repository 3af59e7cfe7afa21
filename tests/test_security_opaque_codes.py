"""Issue 14, part 2: clinical words at rest are neutral codes or ciphertext, and queries still work.

Closed vocabularies (session kinds, flag kinds and severities, decisions, care statuses, audit
event names...) are stored as OpaqueCode: "k" + 6 hex digits, different per column; free text is
encrypted. Raw SQL sees neither word; the models read them back; filters keep working, and keep
their indexes (the query plans: tests/test_security_opaque_plans.py; the migration:
tests/test_security_opaque_migration.py).
"""
import ast
import re
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from portal.core.audit_words import AUDIT_EVENTS, AUDIT_OBJECTS
from portal.core.time import utcnow
from portal.core.vocabulary import CareStatus, Decision, SessionKind
from portal.extensions import db
from portal.models.care import CareStatusChange
from portal.models.intake import ReviewDecision
from portal.models.measure import SafetyFlag
from portal.models.schedule import Appointment, AvailabilityOverride, ReminderLog
from portal.models.types import CODE, OPAQUE_COLUMNS, opaque_code
from portal.models.user import User
from portal.scheduling.queries import suggested_after_dosing
from portal.security.audit import record, verify_chain
from portal.workspace.queries_dashboard import dosing_soon, urgent_flags
from tests import scheduling_helpers as helpers
from tests.test_ops_upgrades import seed_every_table

ROOT = Path(__file__).resolve().parent.parent



def raw(table, column):
    """The values as stored (the read ends its transaction: SQLite's lock is not held)."""
    found = db.session.execute(text(f"SELECT {column} FROM {table} "
                                    f"WHERE {column} IS NOT NULL")).scalars().all()
    db.session.commit()
    return found


def a_dosing_session(client, therapist, hours=24):
    dosing = helpers.session_type(therapist, SessionKind.DOSING)
    start = (utcnow() + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    return helpers.make_appointment(client, dosing, start)


@pytest.fixture
def clinical_rows(therapist, eligible_client):
    """A row in every opaque column: a dosing session and its note and reminder, an urgent
    flag, a decision, a paused client, a measure, and audit events about them."""
    seed_every_table()
    appointment = a_dosing_session(eligible_client, therapist)
    db.session.add(ReminderLog(appointment_id=appointment.id, recipient_id=eligible_client.id,
                               kind="reminder_24h#3"))
    flag = helpers.open_item9_flag(eligible_client)
    record("safety_flag_raised", actor=eligible_client, obj=("safety_flag", flag.id),
           detail="item9")
    db.session.commit()
    return appointment


# --- stored form ----------------------------------------------------------------------------
def test_every_opaque_column_stores_only_codes(app, clinical_rows):
    for context, (table, column) in sorted(OPAQUE_COLUMNS.items()):
        stored = raw(table, column)
        assert stored, f"no row fills {context}"
        for value in stored:
            base, _, tail = value.partition("#")
            assert CODE.match(base), (context, value)
            assert tail == "" or tail.isdigit()
    assert "dosing" not in raw("appointments", "kind")
    assert raw("reminder_log", "kind").count(opaque_code("reminder_log.kind", "reminder_24h")
                                             + "#3") == 1


def test_free_text_and_open_codes_are_ciphertext(app, clinical_rows, therapist):
    helpers.day_off(therapist, utcnow().date() + timedelta(days=3), note="Kit's dosing day")
    for table, column in [("safety_flags", "code"), ("audit_events", "detail"),
                          ("availability_overrides", "note"), ("session_types", "name")]:
        stored = raw(table, column)
        assert stored and all(value.startswith("v1:") for value in stored), (table, column)
    assert db.session.scalar(select(AvailabilityOverride.note).where(
        AvailabilityOverride.note.is_not(None)).limit(1)) in ("Holiday", "Kit's dosing day")


def test_the_same_word_gets_another_code_in_another_column(app, clinical_rows):
    assert opaque_code("appointments.kind", "dosing") != opaque_code("session_notes.kind", "dosing")
    assert not set(raw("appointments", "kind")) & set(raw("session_types", "kind"))


def test_the_models_read_the_words_back(app, clinical_rows, eligible_client):
    db.session.expire_all()
    assert db.session.get(Appointment, clinical_rows.id).kind == "dosing"
    assert db.session.scalar(select(ReminderLog.kind).where(
        ReminderLog.appointment_id == clinical_rows.id)) == "reminder_24h#3"
    assert db.session.get(User, eligible_client.id).care_status == CareStatus.ACTIVE
    assert verify_chain()[1] is None  # the chain hashes the words, as before


def test_the_care_status_default_is_the_code(app, factories):
    db.session.execute(text(
        "INSERT INTO users (email, name, timezone, role, is_active_account, created_at, "
        "password_hash, password_changed_at, failed_login_count) VALUES ('raw@example.com', "
        "'Raw Row', 'UTC', 'client', :t, :now, 'x', :now, 0)"), {"t": True, "now": utcnow()})
    assert raw("users", "care_status") == [opaque_code("users.care_status", "active")]
    assert db.session.scalar(select(User.care_status)) == "active"


# --- refusals, each with its positive control -----------------------------------------------
@pytest.mark.parametrize("kind", ["surgery", "Dosing", "dosing "])
def test_a_word_outside_the_vocabulary_is_refused(app, clinical_rows, kind):
    appointment = db.session.get(Appointment, clinical_rows.id)
    appointment.kind = kind
    with pytest.raises(StatementError) as caught:
        db.session.flush()
    assert isinstance(caught.value.orig, ValueError) and kind not in str(caught.value.orig)
    db.session.rollback()
    appointment.kind = SessionKind.INTEGRATION  # positive control
    db.session.commit()
    assert db.session.execute(text("SELECT kind FROM appointments WHERE id = :id"),
                              {"id": appointment.id}).scalar() == \
        opaque_code("appointments.kind", "integration")


def test_a_filter_on_a_word_outside_the_vocabulary_is_refused(app, clinical_rows):
    with pytest.raises(StatementError):
        db.session.scalars(select(Appointment).where(Appointment.kind == "surgery")).all()
    db.session.rollback()
    assert db.session.scalars(select(Appointment).where(Appointment.kind == "dosing")).all()


@pytest.mark.parametrize("kind", ["reminder_24h#x", "reminder_24h#", "bogus#2"])
def test_a_suffix_must_be_digits_after_a_known_word(app, clinical_rows, eligible_client, kind):
    db.session.add(ReminderLog(appointment_id=clinical_rows.id, recipient_id=eligible_client.id,
                               kind=kind))
    with pytest.raises(StatementError):
        db.session.flush()
    db.session.rollback()
    db.session.add(ReminderLog(appointment_id=clinical_rows.id, recipient_id=eligible_client.id,
                               kind="reminder_1h#12"))
    db.session.commit()


def test_a_stored_code_outside_the_vocabulary_fails_loudly(app, clinical_rows):
    db.session.execute(text("UPDATE appointments SET kind = 'k000000' WHERE id = :id"),
                       {"id": clinical_rows.id})
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(LookupError):
        db.session.get(Appointment, clinical_rows.id)
    db.session.rollback()


def test_an_encrypted_column_cannot_be_compared_in_sql(app, clinical_rows):
    # ciphertext differs on every write: "=", IN or LIKE would silently match nothing
    for compare in (lambda c: c == "phq9_item9", lambda c: c.in_(["x"]),
                    lambda c: c.startswith("1:"), lambda c: c.desc()):
        with pytest.raises(TypeError, match="encrypted column"):
            compare(SafetyFlag.code)
    assert db.session.scalar(select(SafetyFlag.code).where(SafetyFlag.code.is_not(None))) \
        == "phq9_item9"  # positive control: IS NOT NULL still means something
    assert db.session.scalar(select(SafetyFlag.id).where(SafetyFlag.code == None)) is None  # noqa: E711


def test_audit_record_refuses_unknown_names_and_object_kinds(app):
    with pytest.raises(ValueError):
        record("something_new")
    with pytest.raises(ValueError):
        record("timezone_changed", obj=("diagnosis", 1))
    assert record("timezone_changed", obj=("user", 1)).event == "timezone_changed"


# --- filters still work ---------------------------------------------------------------------
def test_the_dashboard_and_booking_filters_still_find_their_rows(app, clinical_rows, therapist,
                                                                 eligible_client):
    assert [row.appointment.id for row in dosing_soon(therapist, utcnow())] == [clinical_rows.id]
    assert [u.flag.kind for u in urgent_flags(therapist)] == ["item9"]
    integration = helpers.session_type(therapist, SessionKind.INTEGRATION)
    found, _ = suggested_after_dosing(eligible_client, integration,
                                      clinical_rows.ends_at + timedelta(hours=1))
    assert found.id == clinical_rows.id
    kinds = [SessionKind.DOSING, SessionKind.PREPARATION]
    assert db.session.scalar(select(Appointment.id).where(Appointment.kind.in_(kinds),
                                                          Appointment.id == clinical_rows.id))
    assert db.session.scalar(select(Appointment.id).where(
        Appointment.kind.in_([SessionKind.CONSULTATION]), Appointment.id == clinical_rows.id)) \
        is None


def test_care_status_and_decision_filters_still_work(app, eligible_client, therapist):
    from portal.care.arc import stage_of
    from portal.core.vocabulary import Stage
    assert stage_of(eligible_client) == Stage.ELIGIBLE  # the latest decision compared in SQL
    eligible_client.care_status = CareStatus.PAUSED.value
    db.session.add(CareStatusChange(client_id=eligible_client.id, status="paused",
                                    changed_by_id=therapist.id))
    db.session.commit()
    assert stage_of(eligible_client) == Stage.PAUSED
    assert db.session.scalar(select(User.id).where(User.care_status == "paused")) == \
        eligible_client.id
    assert db.session.scalar(select(ReviewDecision.id).where(
        ReviewDecision.decision.in_([Decision.ELIGIBLE, Decision.NEEDS_CLEARANCE])))
    assert db.session.scalar(select(ReviewDecision.id).where(
        ReviewDecision.decision == Decision.NOT_ELIGIBLE)) is None


# --- the vocabulary of the audit trail ------------------------------------------------------
DYNAMIC = {  # call sites whose name is computed: the names they can take
    "portal/dosing/services.py": {"dosing_monitor_saved", "dosing_vitals_added",
                                  "dosing_gate_overridden", "dosing_dose_recorded",
                                  "dosing_observations_saved", "dosing_discharge_saved"},
    "portal/scheduling/services.py": {"appointment_completed", "appointment_no_show"},
    "portal/workspace/routes_review.py": {"intake_viewed", "intake_printed"},
    "portal/workspace/services_notes.py": {"note_saved", "note_autosaved"},
    "portal/video/events_call.py": {"call_join", "call_admit", "call_send_back",
                                    "call_connected", "call_leave", "call_end"},
    "portal/video/safety.py": {"safety_panel_viewed", "safety_panel_sent"},
    "portal/accounts/services.py": {"password_reset", "password_changed",
                                    "initial_password_changed"},
}


def _literals(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body), _literals(node.orelse)
        return None if body is None or orelse is None else body | orelse
    return None


def _names_of_record(tree):
    """The names `record` goes by in a module (`from portal.security.audit import record as
    audit` too)."""
    return {"record"} | {alias.asname for node in ast.walk(tree)
                         if isinstance(node, ast.ImportFrom)
                         and node.module == "portal.security.audit"
                         for alias in node.names if alias.name == "record" and alias.asname}


def test_every_name_the_portal_records_is_in_the_audit_vocabulary():
    names, objects, computed = set(), set(), set()
    for path in (ROOT / "portal").rglob("*.py"):
        tree = ast.parse(path.read_text())
        callers = _names_of_record(tree)
        for node in ast.walk(tree):
            called = getattr(node, "func", None)
            if not (isinstance(node, ast.Call) and node.args
                    and getattr(called, "id", getattr(called, "attr", None)) in callers):
                continue
            found = _literals(node.args[0])
            if found is None:
                computed.add(str(path.relative_to(ROOT)))
            else:
                names |= found
            objects |= {element.value for keyword in node.keywords if keyword.arg == "obj"
                        for tup in ast.walk(keyword.value) if isinstance(tup, ast.Tuple)
                        for element in tup.elts[:1] if isinstance(element, ast.Constant)}
    # a new computed name: list what it can take in DYNAMIC and in portal/core/audit_words.py
    assert computed == set(DYNAMIC)
    names |= set().union(*DYNAMIC.values())
    missing = (names - set(AUDIT_EVENTS)) | (objects - set(AUDIT_OBJECTS))
    assert not missing, f"add to portal/core/audit_words.py: {sorted(missing)}"
    assert len(set(AUDIT_EVENTS)) == len(AUDIT_EVENTS)
    for module in ("events.py", "events_call.py"):  # what the computed call sites are given
        for literal in re.findall(r'log\(call, "\w+"(?: if \w+ else "\w+")?, "(\w+)"\)',
                                  (ROOT / "portal/video" / module).read_text()):
            assert literal in DYNAMIC["portal/video/events_call.py"]
    for literal in re.findall(r'event="(\w+)"', (ROOT / "portal/video/routes.py").read_text()):
        assert literal in DYNAMIC["portal/video/safety.py"]
