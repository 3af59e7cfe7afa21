"""Measure schedules set by the therapist, and their reminders through `flask send-reminders`:
a contentless email each day for up to 3 days, stopping once the measure is completed; every N
days, before preparation/integration sessions, and the morning after dosing."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text

from portal.care.measure_reminders import send_measure_reminders
from portal.care.postdosing import invite_opens
from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.measure import MeasureResult
from portal.models.measure_schedule import MeasureReminder, MeasureSchedule
from tests.conftest import csrf_from, signed_in
from tests.scheduling_helpers import make_appointment, session_type

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WORDS = ("phq", "gad", "pcl", "c-ssrs", "suicid", "ptsd", "depress", "anxi", "trauma")


def set_schedule(client, instruments=("phq9", "gad7"), every_days=None, before=False,
                 after=False, starts_at=T0):
    db.session.add(MeasureSchedule(client_id=client.id, instruments=list(instruments),
                                   every_days=every_days, before_sessions=before,
                                   after_dosing=after, starts_at=starts_at))
    db.session.commit()


def take(client, instrument, when):
    db.session.add(MeasureResult(client_id=client.id, instrument=instrument, source="checkin",
                                 taken_at=when, result={"items": [], "total": 3, "band": "x"}))
    db.session.commit()


def save(browser, client, data):
    path = f"/therapist/clients/{client.id}/measures"
    token = csrf_from(browser.get(path).get_data(as_text=True))
    return browser.post(f"{path}/schedule", data={"csrf_token": token, **data})


def test_the_therapist_sets_a_schedule_stored_encrypted_and_audited(app, therapist, client_user):
    browser = signed_in(app, therapist)
    response = save(browser, client_user, {"m_phq9": "y", "m_pcl5": "y", "every_days": "14",
                                           "after_dosing": "y"})
    assert response.status_code == 302
    schedule = db.session.scalar(select(MeasureSchedule))
    assert (schedule.instruments, schedule.every_days, schedule.before_sessions,
            schedule.after_dosing) == (["phq9", "pcl5"], 14, False, True)
    raw = db.session.execute(text("SELECT instruments FROM measure_schedules")).scalar()
    assert "pcl5" not in raw
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.event == "measure_schedule_saved", AuditEvent.actor_id == therapist.id))
    page = browser.get(f"/therapist/clients/{client_user.id}/measures").get_data(as_text=True)
    assert "PCL-5 (after a very stressful experience)" in page


@pytest.mark.parametrize("data, field, message", [
    ({"m_phq9": "y"}, "every_days", "Please choose when"),
    ({"every_days": "7"}, "m_phq9", "Please choose at least one questionnaire."),
    ({"m_phq9": "y", "every_days": "0"}, "every_days", "from 1 to 90"),
    # 309 digits gave OverflowError in WTForms' NumberRange (tests/test_property_requests.py)
    ({"m_phq9": "y", "every_days": "9" * 309}, "every_days", "from 1 to 90"),
    ({"m_phq9": "y", "every_days": "often"}, "every_days", ""),
])
def test_a_bad_schedule_is_refused_with_the_reason_next_to_the_field(app, therapist, client_user,
                                                                      data, field, message):
    response = save(signed_in(app, therapist), client_user, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and f'id="{field}-error"' in html and message in html
    assert db.session.scalar(select(MeasureSchedule.id)) is None


def test_choosing_nothing_turns_the_schedule_off(app, therapist, client_user):
    set_schedule(client_user, every_days=7)
    assert save(signed_in(app, therapist), client_user, {}).status_code == 302
    assert db.session.scalar(select(MeasureSchedule.id)) is None


def test_another_therapist_cannot_set_the_schedule(app, other_therapist, client_user):
    path = f"/therapist/clients/{client_user.id}/measures/schedule"
    browser = signed_in(app, other_therapist)
    token = csrf_from(browser.get("/therapist").get_data(as_text=True))
    assert browser.post(path, data={"csrf_token": token, "m_phq9": "y",
                                    "every_days": "7"}).status_code == 404
    assert db.session.scalar(select(MeasureSchedule.id)) is None


def test_every_n_days_reminds_daily_for_at_most_three_days_without_content(app, client_user,
                                                                          mailbox):
    set_schedule(client_user, every_days=7)
    assert send_measure_reminders(T0 + timedelta(days=6, hours=23)) == 0
    sent = []
    for hours in (0, 1, 24, 30, 48, 72, 96):
        sent.append(send_measure_reminders(T0 + timedelta(days=7, hours=hours)))
    assert sent == [1, 0, 1, 0, 1, 0, 0]
    emails = mailbox.to(client_user.email)
    assert len(emails) == 3
    for email in emails:
        body = mailbox.text_of(email)
        assert email["Subject"] == "A short check-in is ready for you"
        assert "A short check-in is ready for you. Please sign in to complete it." in body
        for word in WORDS:
            assert word not in body.lower() and word not in email["Subject"].lower()
    # the next period starts again
    assert send_measure_reminders(T0 + timedelta(days=14, hours=1)) == 1


def test_reminders_stop_once_the_measures_are_completed(app, client_user, mailbox):
    set_schedule(client_user, every_days=7)
    assert send_measure_reminders(T0 + timedelta(days=7)) == 1
    take(client_user, "phq9", T0 + timedelta(days=7, hours=2))
    assert send_measure_reminders(T0 + timedelta(days=8)) == 1  # GAD-7 still missing
    take(client_user, "gad7", T0 + timedelta(days=8, hours=2))
    assert send_measure_reminders(T0 + timedelta(days=9)) == 0
    assert len(mailbox.to(client_user.email)) == 2


def test_a_result_from_before_the_occasion_does_not_count(app, client_user):
    set_schedule(client_user, instruments=["pcl5"], every_days=7)
    take(client_user, "pcl5", T0 + timedelta(days=6))
    assert send_measure_reminders(T0 + timedelta(days=7)) == 1


def test_before_each_preparation_or_integration_session(app, therapist, client_user, mailbox):
    set_schedule(client_user, instruments=["phq9"], before=True, starts_at=T0 - timedelta(days=30))
    integration = session_type(therapist, SessionKind.INTEGRATION)
    start = T0 + timedelta(days=5)
    make_appointment(client_user, integration, start)
    assert send_measure_reminders(start - timedelta(days=3, minutes=1)) == 0
    assert send_measure_reminders(start - timedelta(days=3)) == 1
    assert send_measure_reminders(start - timedelta(hours=1)) == 1  # day 3
    assert send_measure_reminders(start + timedelta(minutes=1)) == 0  # the session started
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    make_appointment(client_user, consultation, T0 + timedelta(days=20))
    assert send_measure_reminders(T0 + timedelta(days=18)) == 0


def test_the_morning_after_dosing(app, therapist, client_user):
    set_schedule(client_user, instruments=["cssrs"], after=True, starts_at=T0 - timedelta(days=30))
    dosing = session_type(therapist, SessionKind.DOSING)
    appointment = make_appointment(client_user, dosing, T0, status=AppointmentStatus.COMPLETED)
    opens = invite_opens(appointment)  # 8:00 the next morning in the client's zone
    assert opens.date() == (T0 + timedelta(days=1)).date()
    assert send_measure_reminders(opens - timedelta(minutes=1)) == 0
    assert send_measure_reminders(opens) == 1


def test_paused_clients_get_no_reminders(app, client_user):
    set_schedule(client_user, every_days=7)
    client_user.care_status = "paused"
    db.session.commit()
    assert send_measure_reminders(T0 + timedelta(days=7)) == 0


def test_the_reminders_go_out_through_flask_send_reminders(app, client_user, mailbox):
    set_schedule(client_user, every_days=7)
    now = (T0 + timedelta(days=7, hours=1)).isoformat()
    result = app.test_cli_runner().invoke(args=["send-reminders", "--now", now])
    assert "measure reminders sent: 1" in result.output
    assert len(mailbox.to(client_user.email)) == 1
    assert db.session.scalar(select(MeasureReminder.sent_at)) is not None


def test_the_client_sees_what_is_waiting_on_my_scores(app, client_user):
    set_schedule(client_user, instruments=["phq9", "cssrs"], every_days=7,
                 starts_at=utcnow() - timedelta(days=7, hours=1))
    html = signed_in(app, client_user).get("/my-scores").get_data(as_text=True)
    assert "Check-ins waiting for you" in html
    assert 'href="/checkins/new"' in html and 'href="/checkins/cssrs"' in html
    assert 'href="/checkins/pcl5"' not in html
