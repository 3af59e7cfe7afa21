"""Scheduling tells the other areas about a change by the signal `appointment_changed`, sent
once and only after the change is committed; it imports neither video nor the emails. The
notifications receiver emails both people about a booking, a new time or a cancellation.
"""
import ast
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.core.signals import appointment_changed
from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from portal.models.schedule import DosingReadiness, SessionType
from portal.notifications import appointments as emails
from portal.scheduling import services
from tests.conftest import csrf_from
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import (
    make_appointment,
    session_type,
)

SCHEDULING = Path(__file__).resolve().parent.parent / "portal" / "scheduling"


pytestmark = pytest.mark.usefixtures("works_every_day")  # 9 to 5 every day


@pytest.fixture
def mailed(monkeypatch):
    """The changes the notifications receiver emails about (recorded, not queued)."""
    changes = []
    monkeypatch.setattr(emails, "queue_appointment_emails",
                        lambda appointment, change, message=None: changes.append(change))
    return changes


@pytest.fixture
def events(app, mailed):
    """Flushes, commits and signals in the order they happen: "flush", "commit", or
    ("signal", sender, change, message, status, starts_at) with the row as the receiver sees it."""
    found = []

    def flushed(*_):
        found.append("flush")

    def committed(*_):
        found.append("commit")

    def receiver(sender, appointment, change, message=None, **_):
        found.append(("signal", sender, change, message, appointment.status,
                      appointment.starts_at))
    event.listen(Session, "after_flush", flushed)
    event.listen(Session, "after_commit", committed)
    appointment_changed.connect(receiver)
    yield found
    appointment_changed.disconnect(receiver)
    event.remove(Session, "after_commit", committed)
    event.remove(Session, "after_flush", flushed)


@pytest.fixture
def heard(events):
    """A function: the signals sent so far, (sender, change, message, status, starts_at) each,
    after checking that the last write before each was committed before it was sent."""
    def signals():
        for i, found in enumerate(events):
            if isinstance(found, tuple):
                last_write = max(j for j in range(i) if events[j] == "flush")
                assert "commit" in events[last_write:i], events
        return [found[1:] for found in events if isinstance(found, tuple)]
    return signals






def soon(hours):
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)


def utc(instant):
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def book_through_the_pages(client, type_id):
    slot_page = client.get(f"/book/{type_id}").get_data(as_text=True)
    link = re.search(r'href="([^"]*/confirm[^"]*)"', slot_page).group(1).replace("&amp;", "&")
    text = client.get(link).get_data(as_text=True)
    data = {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', text).group(1)
            for name in ("start", "idempotency_key")}
    data["csrf_token"] = csrf_from(text)
    return client.post(f"/book/{type_id}", data=data), data


def test_a_booking_is_announced_once_after_its_commit(app, client, auth, therapist, eligible_client,
                                                      heard, mailed):
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    response, form = book_through_the_pages(client, consultation.id)
    assert response.status_code == 302
    again = client.post(f"/book/{consultation.id}", data=form)  # a repeated submit
    assert again.status_code == 302
    [(sender, change, message, status, _)] = heard()
    assert sender is app and change == "booked" and message is None
    assert status == AppointmentStatus.BOOKED.value and mailed == ["booked"]


def test_a_move_and_a_cancellation_are_announced_with_the_committed_row(
        app, client, auth, therapist, eligible_client, heard):
    preparation = session_type(therapist, SessionKind.PREPARATION)
    appointment = make_appointment(eligible_client, preparation, soon(24 * 5))
    auth.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    picker = client.get(f"/appointments/{appointment.id}/reschedule").get_data(as_text=True)
    link = re.findall(r'href="([^"]*/reschedule\?start=[^"]*)"', picker)[1].replace("&amp;", "&")
    confirm = client.get(link).get_data(as_text=True)
    start = re.search(r'name="start"[^>]*value="([^"]*)"', confirm).group(1)
    moved = client.post(f"/appointments/{appointment.id}/reschedule",
                        data={"csrf_token": csrf_from(confirm), "start": start})
    assert moved.status_code == 302
    new_start = datetime.fromisoformat(start)
    assert [(h[1], utc(h[4])) for h in heard()] == [("rescheduled", new_start)]

    text = client.get(f"/appointments/{appointment.id}/cancel").get_data(as_text=True)
    note = "I am unwell; let us find a new time."
    cancelled = client.post(f"/appointments/{appointment.id}/cancel",
                            data={"csrf_token": csrf_from(text), "message": note})
    assert cancelled.status_code == 302
    assert heard()[1][:4] == (app, "cancelled", note, AppointmentStatus.CANCELLED.value)


def test_a_refused_change_is_not_announced(auth, therapist, eligible_client, heard):
    close = make_appointment(eligible_client, session_type(therapist, SessionKind.PREPARATION), soon(3))
    auth.login(eligible_client.email, DEFAULT_PASSWORD)
    response = auth.post(f"/appointments/{close.id}/cancel", {}, form_path="/appointments")
    assert response.status_code == 403  # inside the policy window: contact the therapist
    assert heard() == []


def test_commit_change_sends_the_outcomes_too_and_emails_follow_only_the_three_changes(
        app, therapist, eligible_client, heard, mailed):
    started = make_appointment(eligible_client, session_type(therapist, SessionKind.PREPARATION), soon(-2))
    services.set_outcome(started, AppointmentStatus.COMPLETED.value, by=therapist)
    services.commit_change(started, AppointmentStatus.COMPLETED.value)
    assert [h[1] for h in heard()] == ["completed"] and mailed == []
    services.commit_change(started, "cancelled")
    assert mailed == ["cancelled"]


def test_default_types_are_created_once_even_when_asked_twice(therapist):
    services.ensure_default_types(therapist)
    services.ensure_default_types(therapist)
    db.session.commit()
    kinds = db.session.scalars(select(SessionType.kind).where(
        SessionType.therapist_id == therapist.id)).all()
    assert sorted(kinds) == sorted(k.value for k in SessionKind)


def test_a_second_readiness_save_updates_the_first(therapist, eligible_client):
    dosing = make_appointment(eligible_client, session_type(therapist, SessionKind.DOSING), soon(20))
    services.save_readiness(dosing, {"fasting": "yes"}, by=eligible_client)
    db.session.commit()
    services.save_readiness(dosing, {"fasting": "no"}, by=eligible_client)
    db.session.commit()
    [row] = db.session.scalars(select(DosingReadiness)).all()
    assert row.answers == {"fasting": "no"}


def test_scheduling_imports_neither_video_nor_the_emails():
    """Reactions go through the signal; the feed alone uses notifications' iCalendar writer."""
    for path in SCHEDULING.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                assert not name.startswith("portal.video"), (path.name, name)
                assert not name.startswith("portal.notifications") \
                    or name == "portal.notifications.ics", (path.name, name)


def test_the_write_services_send_nothing_themselves(therapist, eligible_client, heard):
    """services.book itself sends nothing: the caller decides, after its commit."""
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    start = soon(24 * 3).replace(hour=15, minute=0)
    services.book(eligible_client, consultation, start, uuid.uuid4().hex)
    db.session.commit()
    assert heard() == []
