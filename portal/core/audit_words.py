"""The audit trail's words, defined once: every event name `record` may write and every kind of
object an event may be about.

They are a closed vocabulary because `audit_events.event` and `audit_events.object_type` are
stored as opaque codes (portal/models/types.py, OpaqueCode): names such as
`post_dosing_checkin_submitted` or an object `safety_flag` beside an actor id would tell a
database reader a clinical fact about that person. A name missing here is refused when the row
is written (ValueError, the transaction rolls back); tests/test_security_opaque_codes.py checks
that every name passed to `record` in the portal's source is listed. Names are never removed:
old rows keep them.
"""

ACCOUNT_EVENTS = (
    "registration", "registration_existing_email", "email_verified", "email_change_requested",
    "email_changed", "login_success", "login_password_ok", "login_failure", "logout",
    "session_expired", "account_locked", "password_rehash", "password_reset_requested",
    "password_reset", "password_changed", "initial_password_changed", "mfa_enrolment_started",
    "mfa_enrolled", "mfa_success", "mfa_disabled", "mfa_reset", "mfa_recovery_codes_renewed",
    "timezone_changed", "calendar_feed_reset", "calendar_feed_revoked", "passkey_registered",
    "passkey_registration_failed", "passkey_removed", "passkey_clone_suspected",
)
ADMIN_EVENTS = (
    "user_created", "user_activated", "user_deactivated", "role_changed", "client_invited",
    "invite_existing_email", "break_glass_granted", "break_glass_revoked", "break_glass_read",
    "consent_published", "phi_keys_rotated", "demo_seeded", "demo_session_moved",
    "access_log_viewed",
    "record_exported",
)
CARE_EVENTS = (
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
)
SCHEDULING_EVENTS = (
    "appointment_booked", "appointment_rescheduled", "appointment_cancelled",
    "appointment_completed", "appointment_no_show", "booking_refused", "availability_changed",
    "session_type_changed", "booking_gate_overridden",
)
DOSING_EVENTS = (
    "dosing_record_viewed", "dosing_record_printed", "dosing_monitor_saved",
    "dosing_vitals_added", "dosing_gate_overridden", "dosing_dose_recorded",
    "dosing_dose_refused", "dosing_observations_saved", "dosing_discharge_saved",
    "dosing_record_signed", "dosing_addendum_added",
)
CALL_EVENTS = (
    "call_page_opened", "call_refused", "call_location_confirmed", "safety_panel_viewed",
    "safety_panel_sent", "call_join", "call_admit", "call_send_back", "call_connected",
    "call_leave", "call_end",
)
AUDIT_EVENTS = (ACCOUNT_EVENTS + ADMIN_EVENTS + CARE_EVENTS + SCHEDULING_EVENTS
                + DOSING_EVENTS + CALL_EVENTS)

# What `record(..., obj=(object_type, id))` may name: the audited row's kind.
AUDIT_OBJECTS = (
    "user", "session", "invitation", "intake", "consent_document", "measure_result",
    "safety_flag", "post_dosing_checkin", "journal_entry", "appointment", "session_type",
    "session_note", "passkey", "dosing_record", "review_decision", "message_thread",
)
