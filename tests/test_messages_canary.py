"""PHI canary for secure messages: canary values typed as subjects and bodies by both sides,
through the real pages (start, read, reply, close, the list, the access log, the export). No
canary may reach the logs (raw records and the portal's JSON or text lines), the audit table or
any email. The raw database and pg_dump are covered by tests/test_phi_at_rest.py (the message
columns are filled there)."""
from tests.conftest import signed_in
from tests.message_helpers import close, reply, start_thread, thread_id_of
from tests.test_log_canary import all_log_text, audit_text
from tests.test_log_canary import app_config as app_config  # parametrizes JSON/text logs
from tests.test_log_canary import logs as logs  # the log capture fixture

CANARY = {"subject": "Cnry-Subject-8a9b", "client": "Cnry-Client-9bac",
          "therapist": "Cnry-Therapist-acbd"}


def test_no_message_canary_reaches_the_logs_the_audit_table_or_emails(app, therapist,
                                                                       client_user, mailbox,
                                                                       logs):
    patient, clinician = signed_in(app, client_user), signed_in(app, therapist)
    thread_id = thread_id_of(start_thread(patient, CANARY["subject"], CANARY["client"]))
    assert CANARY["client"] in clinician.get(f"/messages/{thread_id}").get_data(as_text=True)
    assert reply(clinician, thread_id, CANARY["therapist"]).status_code == 302
    assert close(clinician, thread_id).status_code == 302
    for page in ("/messages", f"/messages/{thread_id}", "/my-data", "/my-data/access",
                 "/my-data.json"):
        assert patient.get(page).status_code == 200, page
    assert len(mailbox.messages) == 2  # the flow was real: one notice each way

    logged, audited = all_log_text(*logs), audit_text()
    assert "message sent" in logged and "message_thread_viewed" in audited
    emails = "\n".join(str(m) for m in mailbox.messages)
    for secret in CANARY.values():
        assert secret not in logged, f"leaked to the logs: {secret!r}"
        assert secret not in audited, f"leaked to the audit table: {secret!r}"
        assert secret not in emails, f"emailed: {secret!r}"
