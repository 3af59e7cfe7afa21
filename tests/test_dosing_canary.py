"""PHI canary for the dosing-day record and its readiness concerns: canary values typed into
every free-text field of the record (monitor, override reason, prescriber, other side effect,
driver, addendum) and the client's readiness note, then the whole day through the real pages
(readiness "no" with its concern flag, gate refused, override, dose, checks, sign, addendum,
print). No canary may reach the logs (raw records and the portal's JSON or text lines), the
audit table or any email. The raw database and pg_dump are covered by tests/test_phi_at_rest.py
(the dosing columns are filled there)."""
from datetime import UTC, datetime, timedelta

from tests.conftest import Auth, signed_in
from tests.dosing_helpers import DISCHARGE, dose, dosing_session, post, reading, record_of, url
from tests.factories import DEFAULT_PASSWORD
from tests.test_log_canary import all_log_text, audit_text
from tests.test_log_canary import app_config as app_config  # parametrizes JSON/text logs
from tests.test_log_canary import logs as logs  # the log capture fixture

CANARY = {
    "monitor": "Cnry-Monitor-1d2e",
    "override": "Cnry-Override-2e3f rested, prescriber agrees",
    "prescriber": "Cnry-Prescriber-3f40",
    "side_effect": "Cnry-Effect-4051",
    "driver": "Cnry-Driver-5162",
    "addendum": "Cnry-Addendum-6273",
    "readiness": "Cnry-Ready-7384",
}


def test_no_dosing_canary_reaches_the_logs_the_audit_table_or_emails(app, therapist,
                                                                      eligible_client, mailbox,
                                                                      logs):
    soon = dosing_session(eligible_client, start=datetime.now(UTC).replace(
        second=0, microsecond=0) + timedelta(hours=20))
    patient = Auth(app.test_client())
    patient.login(eligible_client.email, DEFAULT_PASSWORD)
    assert patient.post(f"/appointments/{soon.id}/readiness", {
        "fasting": "yes", "ride_arranged": "no", "ride_who": "", "no_alcohol_benzos": "yes",
        "notes": CANARY["readiness"]}).status_code == 302

    today = dosing_session(eligible_client)
    browser = signed_in(app, therapist)
    steps = [("/vitals", reading(today, bp=(156, 98))),
             ("/dose", dose(today, prescriber=CANARY["prescriber"])),  # refused: above the gate
             ("/override", {"reason": CANARY["override"]}),
             ("/dose", dose(today, prescriber=CANARY["prescriber"])),
             ("/monitor", {"monitor_name": CANARY["monitor"]}),
             ("/vitals", reading(today, "plus_40", (150, 95), minutes=46)),
             ("/observations", {"side_effects": ["nausea", "other"],
                                "other": CANARY["side_effect"], "intensity": "7"}),
             ("/discharge", {**DISCHARGE, "driver_name": CANARY["driver"]}),
             ("/sign", {}), ("/addenda", {"text": CANARY["addendum"]})]
    codes = [post(browser, today, tail, fields).status_code for tail, fields in steps]
    assert codes == [302, 409, 302, 302, 302, 302, 302, 302, 302, 302]
    for page in (url(today), url(today, "/print"), url(soon), "/therapist/dashboard",
                 f"/therapist/clients/{eligible_client.id}"):
        assert browser.get(page).status_code == 200, page
    stored = record_of(today)
    assert stored.signed and stored.addenda[0].text == CANARY["addendum"]  # the flow was real

    logged, audited = all_log_text(*logs), audit_text()
    assert "dosing record signed" in logged and "readiness concern raised" in logged
    assert "dosing_record_signed" in audited
    emails = "\n".join(str(m) for m in mailbox.messages)
    for secret in CANARY.values():
        assert secret not in logged, f"leaked to the logs: {secret!r}"
        assert secret not in audited, f"leaked to the audit table: {secret!r}"
        assert secret not in emails, f"emailed: {secret!r}"
