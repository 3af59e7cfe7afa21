"""PHI canary for the new instruments (PCL-5, C-SSRS screener) and measure schedules: answers
through the real pages, a high C-SSRS risk with its flag and therapist email, a schedule and its
reminders; none of the answers, totals, risk words or scheduled instruments may reach the logs,
the audit table or any email. The raw database and pg_dump: tests/test_phi_at_rest.py (the
PCL-5/C-SSRS results and the schedule's instruments are filled there)."""
from datetime import timedelta

from portal.care.measure_reminders import send_measure_reminders
from portal.extensions import db
from portal.models.measure_schedule import MeasureSchedule
from tests.conftest import csrf_from, signed_in
from tests.test_log_canary import all_log_text, audit_text
from tests.test_log_canary import app_config as app_config  # parametrizes JSON/text logs
from tests.test_log_canary import logs as logs  # the log capture fixture

# What must stay inside the encrypted columns: the risk, the answers' words, the PCL-5 total
# (17 items at 3, 3 at 1: 54, a number no other part of the flow uses) and scheduled names.
SECRETS = ("high risk", "cssrs_high", "'risk'", "stressful experience", "total=54",
           "\"total\": 54", "PCL-5", "C-SSRS", "Columbia", "q6_recent", "kill")


def post(browser, path, data):
    token = csrf_from(browser.get(path).get_data(as_text=True))
    return browser.post(path, data={"csrf_token": token, **data})


def test_no_instrument_answer_reaches_the_logs_the_audit_table_or_emails(app, therapist,
                                                                         client_user, mailbox,
                                                                         logs):
    client = signed_in(app, client_user)
    pcl5 = {f"pcl5_{n}": "3" for n in range(1, 18)} | {f"pcl5_{n}": "1" for n in (18, 19, 20)}
    assert post(client, "/checkins/pcl5", pcl5).status_code == 302
    token = csrf_from(client.get("/checkins/cssrs").get_data(as_text=True))
    pages = ({"q1": "yes", "q2": "no", "shown": "q1,q2"},
             {"q1": "yes", "q2": "no", "q6": "yes", "shown": "q6"},
             {"q1": "yes", "q2": "no", "q6": "yes", "q6_recent": "yes", "shown": "q6_recent"})
    codes = [client.post("/checkins/cssrs", data={"csrf_token": token, **page}).status_code
             for page in pages]
    assert codes == [200, 200, 302]
    assert client.get("/my-scores").status_code == 200

    therapist_browser = signed_in(app, therapist)
    path = f"/therapist/clients/{client_user.id}/measures"
    token = csrf_from(therapist_browser.get(path).get_data(as_text=True))
    assert therapist_browser.post(f"{path}/schedule", data={
        "csrf_token": token, "m_pcl5": "y", "m_cssrs": "y", "every_days": "7"}).status_code == 302
    for page in (path, f"/therapist/clients/{client_user.id}", "/therapist/dashboard"):
        assert therapist_browser.get(page).status_code == 200, page
    schedule = db.session.query(MeasureSchedule).one()
    assert send_measure_reminders(schedule.starts_at + timedelta(days=7)) == 1

    logged, audited = all_log_text(*logs), audit_text()
    assert "measure reminder sent" in logged and "measure_schedule_saved" in audited
    emails = "\n".join(str(m) for m in mailbox.messages)
    assert len(mailbox.messages) == 2  # the therapist's urgent notice, the client's reminder
    for secret in SECRETS:
        assert secret not in logged, f"leaked to the logs: {secret!r}"
        assert secret not in audited, f"leaked to the audit table: {secret!r}"
        assert secret not in emails, f"emailed: {secret!r}"
