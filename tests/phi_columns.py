"""Every text column of the models, sorted into encrypted, opaque, allowed plaintext and open
findings (none left).

Walked from `db.metadata` (the models), never from `ENCRYPTED_COLUMNS`, so a column nobody
registered still shows up. Used by tests/test_security_columns.py and tests/test_phi_at_rest.py.
"""
from sqlalchemy import JSON, String, TypeDecorator

import portal.models  # noqa: F401  (registers every table on db.metadata)
from portal.extensions import db
from portal.models.types import EncryptedText, OpaqueCode

# Plaintext columns that hold no clinical fact, each with the reason. Adding a row here is a
# security decision: say why the value tells nobody anything about a person's care.
ALLOW_LIST = {
    ("users", "email"): "sign-in identifier, looked up by value at login; not clinical",
    ("users", "name"): "display name for staff lists; an identifier, not a clinical fact",
    ("users", "timezone"): "IANA zone name for showing times",
    ("users", "role"): "client | therapist | admin: authorisation enum",
    ("users", "password_hash"): "one-way hash (scrypt/argon2)",
    ("users", "totp_secret_enc"): "already ciphertext: sealed by portal.security.mfa with "
                                  "portal.core.crypto under context users.totp_secret",
    ("users", "calendar_token_hash"): "SHA-256 of a bearer token",
    ("user_sessions", "token_hash"): "SHA-256 of the session token",
    ("user_sessions", "revoke_reason"): "short code why a sign-in session ended (logout, ...)",
    ("user_sessions", "ip"): "network address for the session list; security data",
    ("user_sessions", "user_agent"): "browser string for the session list; security data",
    ("invitations", "email"): "address an invitation goes to; needed to send and match it",
    ("invitations", "token_hash"): "SHA-256 of the invitation token",
    ("recovery_codes", "code_hash"): "one-way hash of a recovery code",
    ("passkeys", "credential_id"): "random id an authenticator chose for a key pair; looked up "
                                   "by value at passkey sign-in; not clinical",
    ("passkeys", "transports"): "how the browser reaches the authenticator (usb, internal, ...)",
    ("passkey_challenges", "challenge_hash"): "SHA-256 of a single-use sign-in challenge",
    ("passkey_challenges", "purpose"): "register | second_factor | sign_in: ceremony enum",
    ("audit_events", "object_id"): "row id of the audited object",
    ("audit_events", "outcome"): "success | failure | denied",
    ("audit_events", "ip"): "network address of the request; security data",
    ("audit_events", "user_agent"): "browser string of the request; security data",
    ("audit_events", "prev_hash"): "hash chain link",
    ("audit_events", "row_hash"): "hash chain link",
    ("consent_documents", "kind"): "practice-wide document kind; belongs to no person",
    ("consent_documents", "title"): "practice-wide document title; belongs to no person",
    ("consent_documents", "body"): "practice-wide document text; belongs to no person",
    ("consent_signatures", "ip"): "address the signature came from; evidence of signing",
    ("session_types", "modality"): "in_person | video in the therapist's catalogue",
    ("session_types", "location"): "the practice's address in the therapist's catalogue",
    ("appointments", "modality"): "in_person | video: how to join, not why",
    ("appointments", "location"): "the practice's address copied from the session type",
    ("appointments", "status"): "booked | cancelled | ...: scheduling workflow enum",
    ("appointments", "idempotency_key"): "random key against double booking",
    ("call_events", "kind"): "connect | disconnect | ...: call plumbing enum",
    ("checkin_invitations", "period"): "calendar period label (e.g. 2026-W14)",
    ("intakes", "status"): "draft | submitted | ...: form workflow enum",
    ("intakes", "current_step"): "name of a form page; the answers are encrypted",
    ("intake_steps", "step"): "name of a form page; the answers are encrypted",
    ("session_notes", "status"): "draft | signed: documentation workflow; content encrypted",
    ("measure_results", "source"): "checkin | intake: which form a score came from",
    ("dosing_records", "status"): "draft | signed: documentation workflow; content encrypted",
    ("response_hours", "weekdays"): "the days a therapist answers messages; about no client",
    ("measure_reminders", "occasion"): "a MeasureOccasion kind with an appointment id or a "
                                       "date (when a reminder is for); the appointment's kind "
                                       "is plaintext already; no instrument, no answer",
    ("outbox", "status"): "queued | sending | sent | failed: delivery workflow enum; the "
                          "address, subject and message are encrypted",
    ("outbox", "last_error"): "class name of the last delivery error (e.g. "
                              "ConnectionRefusedError), never its message",
}

# Plaintext columns that DO carry clinical meaning: the open findings of issue 14, part 2
# ("Clinical facts at rest"). None is left: each such column is now encrypted or an opaque code
# (portal/models/types.py; why, per column, next to it in the model and in docs/security.md).
# Keep it empty: a plaintext clinical column is encrypted or made opaque, never listed here.
KNOWN_CLINICAL_PLAINTEXT = {}


def _is_text(column_type):
    while isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return isinstance(column_type, (String, JSON))  # Text, Enum are Strings too


def text_columns():
    """(table, column, type) for every column of the models whose values are text or JSON."""
    return [(table.name, column.name, column.type)
            for table in db.metadata.sorted_tables for column in table.columns
            if isinstance(column.type, EncryptedText) or _is_text(column.type)]


def opaque_columns():
    """context -> (table, column): every OpaqueCode column of the models."""
    return {column_type.context: (table, column)
            for table, column, column_type in text_columns()
            if isinstance(column_type, OpaqueCode)}


# Columns sealed by hand with portal.core.crypto rather than by an Encrypted* type.
ENCRYPTED_BY_HAND = {"users.totp_secret": ("users", "totp_secret_enc")}


def encrypted_columns():
    """context -> (table, column): every EncryptedText/EncryptedJSON column of the models, and
    the columns sealed by hand."""
    found = {column_type.context: (table, column)
             for table, column, column_type in text_columns()
             if isinstance(column_type, EncryptedText)}
    return found | ENCRYPTED_BY_HAND
