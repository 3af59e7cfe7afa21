"""Check-in invitations, each sent once and without PHI: 24 h after completed integration
sessions, the morning after a dosing session, and every 14 days while in active care."""
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.care.invitations import send_checkin_invitations
from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, CareStatus, SessionKind
from portal.extensions import db
from portal.models.care import CheckinInvitation, PostDosingCheckin
from portal.models.measure import MeasureResult
from tests.scheduling_helpers import at, make_appointment, session_type, submit_intake


def _integration(factories, hours_ago, status=AppointmentStatus.COMPLETED):
    therapist = factories.make_therapist()
    client = factories.make_client(therapist=therapist, name="Jordan Privatename")
    kind = session_type(therapist, SessionKind.INTEGRATION)
    start = utcnow() - timedelta(hours=hours_ago)
    appointment = make_appointment(client, kind, start, status=status)
    db.session.commit()
    return client, appointment


def test_invitation_is_sent_once_a_day_after_a_completed_integration(app, factories, mailbox):
    client, _ = _integration(factories, hours_ago=26)
    assert send_checkin_invitations() == 1
    assert send_checkin_invitations() == 0  # never twice
    messages = mailbox.to(client.email)
    assert len(messages) == 1
    text = mailbox.text_of(messages[0]) + messages[0]["Subject"]
    for secret in ("Jordan", "Privatename", "PHQ", "integration", "ketamine", "depress"):
        assert secret.lower() not in text.lower()
    assert "/checkins/new" in text


def test_no_invitation_before_24_hours_or_for_sessions_not_completed(app, factories, mailbox):
    _integration(factories, hours_ago=10)
    _integration(factories, hours_ago=30, status=AppointmentStatus.NO_SHOW)
    _integration(factories, hours_ago=30, status=AppointmentStatus.CANCELLED)
    assert send_checkin_invitations() == 0
    assert mailbox.messages == []


# --- the morning after a dosing session -----------------------------------------------------
DOSING_START = at("America/New_York", 2026, 3, 3, 14)  # Tuesday 2 PM; ends 5 PM
MORNING_AFTER = at("America/New_York", 2026, 3, 4, 8)
PHI = ("Jordan", "Privatename", "PHQ", "GAD", "dosing", "ketamine", "integration",
       "preparation", "depress", "score", "mood")


def _dosing(factories, status=AppointmentStatus.COMPLETED):
    therapist = factories.make_therapist()
    client = factories.make_client(therapist=therapist, name="Jordan Privatename")
    appointment = make_appointment(client, session_type(therapist, SessionKind.DOSING),
                                   DOSING_START, status=status)
    return client, appointment


def _assert_no_phi(mailbox, message):
    text = mailbox.text_of(message) + message["Subject"]
    for secret in PHI:
        assert secret.lower() not in text.lower(), secret


def test_post_dosing_invitation_is_sent_once_the_morning_after(app, factories, mailbox):
    client, _ = _dosing(factories)
    assert send_checkin_invitations(MORNING_AFTER - timedelta(minutes=1)) == 0
    assert send_checkin_invitations(MORNING_AFTER) == 1
    assert send_checkin_invitations(MORNING_AFTER + timedelta(hours=1)) == 0  # never twice
    [message] = mailbox.to(client.email)
    _assert_no_phi(mailbox, message)
    assert "/home" in mailbox.text_of(message)  # the form's own URL would name the session kind


def test_an_ended_session_still_marked_booked_is_invited_too(app, factories, mailbox):
    client, _ = _dosing(factories, status=AppointmentStatus.BOOKED)
    assert send_checkin_invitations(MORNING_AFTER) == 1


@pytest.mark.parametrize("status", [AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW])
def test_no_post_dosing_invitation_for_sessions_that_did_not_happen(app, factories, mailbox,
                                                                    status):
    _dosing(factories, status=status)
    assert send_checkin_invitations(MORNING_AFTER) == 0


def test_no_post_dosing_invitation_once_answered_or_after_a_week(app, factories, mailbox):
    client, appointment = _dosing(factories)
    _, late = _dosing(factories)
    db.session.add(PostDosingCheckin(client_id=client.id, appointment_id=appointment.id,
                                     answers={"mood": 7}))
    db.session.commit()
    assert send_checkin_invitations(MORNING_AFTER) == 1  # only the unanswered one
    mailbox.clear()
    db.session.delete(db.session.get(type(late), late.id))
    db.session.commit()
    _dosing(factories)
    assert send_checkin_invitations(DOSING_START + timedelta(days=8)) == 0


# --- every 14 days while active -------------------------------------------------------------
NOW = datetime(2026, 5, 1, 15, tzinfo=UTC)


def _quiet_client(factories, days, **overrides):
    client = factories.make_client(name="Jordan Privatename", **overrides)
    intake = submit_intake(client)
    intake.submitted_at = NOW - timedelta(days=days)
    db.session.commit()
    return client


def test_periodic_invitation_once_per_14_days_of_silence(app, factories, mailbox):
    client = _quiet_client(factories, days=15)
    assert send_checkin_invitations(NOW) == 1
    assert send_checkin_invitations(NOW + timedelta(hours=2)) == 0  # never twice in a period
    assert send_checkin_invitations(NOW + timedelta(days=12)) == 0
    assert send_checkin_invitations(NOW + timedelta(days=13)) == 1  # 28 days: the next period
    messages = mailbox.to(client.email)
    assert len(messages) == 2
    for message in messages:
        _assert_no_phi(mailbox, message)
        assert "/checkins/new" in mailbox.text_of(message)
    periods = db.session.scalars(select(CheckinInvitation.period)).all()
    start = (NOW - timedelta(days=15)).date().isoformat()
    assert sorted(periods) == [f"{start}#1", f"{start}#2"]


def test_a_recent_checkin_means_no_invitation(app, factories, mailbox):
    client = _quiet_client(factories, days=40)
    db.session.add(MeasureResult(client_id=client.id, instrument="phq9", source="checkin",
                                 result={"total": 2}, taken_at=NOW - timedelta(days=13)))
    db.session.commit()
    assert send_checkin_invitations(NOW) == 0
    assert send_checkin_invitations(NOW + timedelta(days=1)) == 1  # 14 days after the check-in


@pytest.mark.parametrize("overrides", [
    {"care_status": CareStatus.PAUSED.value}, {"care_status": CareStatus.DISCHARGED.value},
    {"is_active_account": False}, {"email_verified_at": None}])
def test_no_periodic_invitation_for_clients_not_in_active_care(app, factories, mailbox, overrides):
    _quiet_client(factories, days=30, **overrides)
    assert send_checkin_invitations(NOW) == 0


def test_no_periodic_invitation_before_the_intake_is_submitted(app, factories, mailbox):
    factories.make_client(created_at=NOW - timedelta(days=60))
    assert send_checkin_invitations(NOW) == 0


def test_send_reminders_command_sends_the_invitations(app, factories, mailbox):
    _quiet_client(factories, days=15)
    result = app.test_cli_runner().invoke(args=["send-reminders", "--now", NOW.isoformat()])
    assert "check-in invitations sent: 1" in result.output
    result = app.test_cli_runner().invoke(args=["send-reminders", "--now", NOW.isoformat()])
    assert "check-in invitations sent: 0" in result.output
