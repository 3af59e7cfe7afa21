"""Check-in invitations 24 h after completed integration sessions: once each, no PHI."""
from datetime import timedelta

from portal.extensions import db
from portal.models.schedule import AppointmentStatus, SessionKind
from portal.models.types import utcnow
from portal.notifications.checkins import send_checkin_invitations
from tests.scheduling_helpers import make_appointment, session_type


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
