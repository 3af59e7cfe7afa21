"""clinical words at rest: opaque codes for closed vocabularies, encryption for free text

Revision ID: 0010_opaque_codes
Revises: 0016_measures
Create Date: 2026-12-02

Written by hand (issue 14, "Clinical facts at rest"); docs/security.md explains each column.
Existing rows are converted in place, on SQLite and PostgreSQL:
- Opaque columns keep their type and length: each word becomes "k" + the first 6 hex digits of
  SHA-256("table.column:word") (portal/models/types.py, OpaqueCode). A value that is neither a
  word of the column's vocabulary (frozen below, as of this revision) nor already its code stops
  the upgrade before anything changes, naming the column: add the word, never guess.
- Encrypted columns become TEXT and hold AES-256-GCM ciphertext in the portal's `v1:` format
  under the first PHI_KEYS key, with "table.column" as associated data (written here with the
  `cryptography` package, as portal/core/crypto.py does, so that later changes there cannot
  change what this revision wrote). A value that already decrypts is left as it is.
- users.care_status keeps its server default, now the code of "active".
On SQLite a type or default is changed without rebuilding a table that others reference (its
DROP TABLE would run ON DELETE actions, see 0008): `users` and `session_types` get a new column,
filled, then swapped in by DROP/RENAME COLUMN; `session_types.name` is left nullable for that
reason (every type is created with its name). Leaf tables (safety_flags, audit_events,
availability_overrides) are rebuilt by batch mode.
audit_events is append-only: its triggers are lifted for this batch only and restored as they
were. Its hashes are not touched: the chain hashes plaintext, which stays the same.
The downgrade turns codes back into words and ciphertext back into text.
"""
import base64
import binascii
import hashlib
import os

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

# revision identifiers, used by Alembic.
revision = '0010_opaque_codes'
down_revision = '0016_measures'
branch_labels = None
depends_on = None

SESSION_KINDS = ("consultation", "preparation", "dosing", "integration")
CARE_STATUSES = ("active", "paused", "discharged")
AUDIT_EVENTS = (
    "registration", "registration_existing_email", "email_verified", "email_change_requested",
    "email_changed", "login_success", "login_password_ok", "login_failure", "logout",
    "session_expired", "account_locked", "password_rehash", "password_reset_requested",
    "password_reset", "password_changed", "initial_password_changed", "mfa_enrolment_started",
    "mfa_enrolled", "mfa_success", "mfa_disabled", "mfa_reset", "mfa_recovery_codes_renewed",
    "timezone_changed", "calendar_feed_reset", "calendar_feed_revoked", "passkey_registered",
    "passkey_registration_failed", "passkey_removed", "passkey_clone_suspected",
    "user_created", "user_activated", "user_deactivated", "role_changed", "client_invited",
    "invite_existing_email", "break_glass_granted", "break_glass_revoked", "break_glass_read",
    "consent_published", "phi_keys_rotated", "demo_seeded", "demo_session_moved",
    "access_log_viewed",
    "record_exported",
    "intake_started", "intake_draft_saved", "intake_step_completed", "intake_submitted",
    "amendment_requested", "intake_viewed", "intake_printed", "intake_decision",
    "consent_signed", "measure_recorded", "measures_viewed", "safety_flag_raised",
    "safety_flag_acknowledged", "post_dosing_checkin_submitted", "dosing_readiness_submitted",
    "journal_entry_created", "journal_entry_shared", "journal_entry_unshared", "journal_viewed",
    "client_page_viewed", "client_care_status_changed", "dashboard_viewed",
    "note_viewed", "note_saved", "note_autosaved", "note_signed", "note_addendum_added",
    "decision_with_open_flags", "measure_schedule_saved", "measure_schedule_removed",
    "message_thread_started", "message_thread_viewed", "message_sent", "message_thread_closed",
    "response_hours_saved",
    "appointment_booked", "appointment_rescheduled", "appointment_cancelled",
    "appointment_completed", "appointment_no_show", "booking_refused", "availability_changed",
    "session_type_changed", "booking_gate_overridden",
    "dosing_record_viewed", "dosing_record_printed", "dosing_monitor_saved",
    "dosing_vitals_added", "dosing_gate_overridden", "dosing_dose_recorded",
    "dosing_dose_refused", "dosing_observations_saved", "dosing_discharge_saved",
    "dosing_record_signed", "dosing_addendum_added",
    "call_page_opened", "call_refused", "call_location_confirmed", "safety_panel_viewed",
    "safety_panel_sent", "call_join", "call_admit", "call_send_back", "call_connected",
    "call_leave", "call_end",
)
AUDIT_OBJECTS = (
    "user", "session", "invitation", "intake", "consent_document", "measure_result",
    "safety_flag", "post_dosing_checkin", "journal_entry", "appointment", "session_type",
    "session_note", "passkey", "dosing_record", "review_decision", "message_thread",
)
# (table, column, words, whether values may carry "#digits" after the word)
OPAQUE = [
    ("appointments", "kind", SESSION_KINDS, False),
    ("session_notes", "kind", SESSION_KINDS, False),
    ("session_types", "kind", SESSION_KINDS, False),
    ("reminder_log", "kind", ("reminder_24h", "reminder_1h", "readiness", "checkin_invite",
                              "post_dosing_invite"), True),
    ("safety_flags", "kind", ("item9", "contraindication", "post_dosing", "readiness", "cssrs"),
     False),
    ("safety_flags", "severity", ("urgent", "exclude", "needs_clearance", "caution", "concern"),
     False),
    ("safety_flags", "source", ("intake", "checkin", "post_dosing", "readiness"), False),
    ("measure_results", "instrument", ("phq9", "gad7", "pcl5", "cssrs"), False),
    ("review_decisions", "decision", ("eligible", "needs_clearance", "not_eligible"), False),
    ("care_status_changes", "status", CARE_STATUSES, False),
    ("users", "care_status", CARE_STATUSES, False),
    ("audit_events", "event", AUDIT_EVENTS, False),
    ("audit_events", "object_type", AUDIT_OBJECTS, False),
]
# (table, column, type before this revision, nullable before, nullable after)
ENCRYPTED = [
    ("availability_overrides", "note", sa.String(length=120), True, True),
    ("safety_flags", "code", sa.String(length=64), False, False),
    ("audit_events", "detail", sa.String(length=256), True, True),
    ("session_types", "name", sa.String(length=80), False, True),
]
REFERENCED = {"session_types"}  # parents of other tables: never rebuilt on SQLite
ACTIVE_DEFAULT = ("users", "care_status", sa.String(length=16), "active")


def _code(table, column, word):
    return "k" + hashlib.sha256(f"{table}.{column}:{word}".encode()).hexdigest()[:6]


def _split(value, suffix):
    base, sep, tail = value.partition("#") if suffix else (value, "", "")
    return base, sep + tail


# --- encryption, frozen in the v1 format of portal/core/crypto.py ------------------------------
def _keys():
    keys = {}
    for entry in current_app.config["PHI_KEYS"].split(","):
        key_id, _, b64 = entry.strip().partition(":")
        if key_id:
            keys[key_id] = AESGCM(base64.urlsafe_b64decode(b64.encode()))
    return keys


def _seal(keys, plaintext, context):
    key_id = next(iter(keys))
    nonce = os.urandom(12)
    sealed = keys[key_id].encrypt(nonce, plaintext.encode(), context.encode())
    return f"v1:{key_id}:" + base64.b64encode(nonce + sealed).decode()


def _open(keys, stored, context):
    """The plaintext of a `v1:` value, or None when `stored` is not one this key list opens."""
    prefix, key_id, b64 = (stored.split(":", 2) + ["", ""])[:3]
    if prefix != "v1" or key_id not in keys:
        return None
    try:
        blob = base64.b64decode(b64.encode(), validate=True)
        return keys[key_id].decrypt(blob[:12], blob[12:], context.encode()).decode()
    except (binascii.Error, ValueError, InvalidTag):
        return None


# --- the append-only audit table ---------------------------------------------------------------
def _lift_audit_triggers():
    """Drop (SQLite) or disable (PostgreSQL) audit_events' triggers; returns how to restore."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER USER")
        return ["ALTER TABLE audit_events ENABLE TRIGGER USER"]
    saved = bind.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
                                 "AND tbl_name = 'audit_events'")).all()
    for name, _ in saved:
        op.execute(f'DROP TRIGGER "{name}"')
    return [sql for _, sql in saved]


def _restore(statements):
    for statement in statements:
        op.execute(statement)


# --- opaque columns ----------------------------------------------------------------------------
def _distinct(table, column):
    return op.get_bind().execute(sa.text(
        f"SELECT DISTINCT {column} FROM {table} WHERE {column} IS NOT NULL")).scalars().all()


def _mapping(table, column, words, suffix, to_codes):
    """{stored value: new value} for one column; raises on a value it cannot place."""
    codes = {_code(table, column, word): word for word in words}
    target = {word: code for code, word in codes.items()} if to_codes else codes
    done = set(codes) if to_codes else set(words)
    changes, unknown = {}, []
    for value in _distinct(table, column):
        base, tail = _split(value, suffix)
        if base in target:
            changes[value] = target[base] + tail
        elif base not in done:
            unknown.append(value)
    if unknown:
        raise RuntimeError(f"{table}.{column} holds {len(unknown)} value(s) outside its "
                           f"vocabulary, e.g. {unknown[0]!r}; nothing was changed")
    return changes


def _apply(table, column, changes):
    bind = op.get_bind()
    for old, new in changes.items():
        bind.execute(sa.text(f"UPDATE {table} SET {column} = :new WHERE {column} = :old"),
                     {"new": new, "old": old})


def _plans(to_codes):
    """Every opaque column's changes, all checked before anything is changed."""
    return [(table, column, _mapping(table, column, words, suffix, to_codes))
            for table, column, words, suffix in OPAQUE]


def _recode(plans):
    for table, column, changes in plans:
        _apply(table, column, changes)


def _care_status_default(to_code):
    """users.care_status's server default: the code of "active" (upgrade) or the word."""
    table, column, type_, active = ACTIVE_DEFAULT
    default = _code(table, column, active) if to_code else active
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(table, column, server_default=default, existing_type=type_,
                        existing_nullable=False)
        return
    # SQLite cannot change a default in place, and `users` must not be rebuilt.
    op.add_column(table, sa.Column(f"{column}_new", type_, nullable=False,
                                   server_default=default))
    op.execute(f"UPDATE {table} SET {column}_new = {column}")
    op.drop_column(table, column)
    op.alter_column(table, f"{column}_new", new_column_name=column)


# --- encrypted columns -------------------------------------------------------------------------
def _reseal(table, column, seal):
    """Rewrite each value of the column with `seal(keys, value, context)` (None: unchanged)."""
    bind, keys, context = op.get_bind(), _keys(), f"{table}.{column}"
    rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} "
                                f"WHERE {column} IS NOT NULL ORDER BY id")).all()
    for row_id, value in rows:
        new = seal(keys, value, context)
        if new is not None and new != value:
            bind.execute(sa.text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                         {"v": new, "id": row_id})


def _encrypt(keys, value, context):
    return None if _open(keys, value, context) is not None else _seal(keys, value, context)


def _decrypt(keys, value, context):
    return _open(keys, value, context)


def _retype(table, column, old_type, new_type, nullable):
    """Declare the column's new type (and nullability) without losing its rows. Postgres first
    with ALTER ... TYPE; on SQLite a referenced table gets a new nullable column instead."""
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column(table, column, type_=new_type, existing_type=old_type, nullable=nullable)
    elif table in REFERENCED:  # add, copy, swap: no DROP TABLE under a foreign key
        op.add_column(table, sa.Column(f"{column}_new", new_type, nullable=True))
        op.execute(f"UPDATE {table} SET {column}_new = {column}")
        op.drop_column(table, column)
        op.alter_column(table, f"{column}_new", new_column_name=column)
    else:
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.alter_column(column, type_=new_type, existing_type=old_type,
                                  nullable=nullable)


def upgrade():
    plans = _plans(to_codes=True)
    restore = _lift_audit_triggers()
    _recode(plans)
    _care_status_default(to_code=True)
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column, old_type, _, nullable in ENCRYPTED:
        if postgresql:  # room for the ciphertext first; SQLite does not check lengths
            _retype(table, column, old_type, sa.Text(), nullable)
        _reseal(table, column, _encrypt)
        if not postgresql:
            _retype(table, column, old_type, sa.Text(), nullable)
    _restore(restore)


def downgrade():
    plans = _plans(to_codes=False)
    restore = _lift_audit_triggers()
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column, old_type, nullable, _ in ENCRYPTED:
        _reseal(table, column, _decrypt)
        # (SQLite: a NOT NULL column cannot be added without a default; session_types.name
        # stays nullable there)
        _retype(table, column, sa.Text(), old_type, nullable)
    _care_status_default(to_code=False)
    _recode(plans)
    _restore(restore)
