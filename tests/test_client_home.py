"""The client's home page: one next step for each point of the arc of care, the next session
with its countdown and the 15-minute join rule, dosing-day details, pending check-ins, and a
paused client's page (contact and crisis help, no booking)."""
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.core.vocabulary import AppointmentStatus, CareStatus, Decision, SessionKind
from portal.extensions import db
from portal.models.intake import Intake
from portal.models.measure import MeasureResult
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import (
    complete_consultation,
    complete_preparation,
    decide,
    make_appointment,
    make_eligible,
    open_item9_flag,
    session_type,
    submit_intake,
)

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def therapist_details():
    """A paused client's page names their therapist."""
    return {"name": "Robin Reyes"}


@pytest.fixture(autouse=True)
def sessions_at_the_practice(frozen, therapist):
    """The therapist offers every kind of session, at 12 River Street (set up at NOW, like
    everything else in these tests)."""
    for kind in SessionKind:
        session_type(therapist, kind, location="12 River Street, Springfield")


def home(client, auth, client_user):
    auth.login(client_user.email, DEFAULT_PASSWORD)
    response = client.get("/home")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def step_of(page):
    found = re.search(r'data-step="([a-z_]+)"', page)
    return found.group(1) if found else None


def ended_dosing(client_user, therapist, hours_ago):
    dosing = session_type(therapist, SessionKind.DOSING)
    start = NOW - timedelta(hours=hours_ago) - timedelta(minutes=dosing.duration_min)
    return make_appointment(client_user, dosing, start, status=AppointmentStatus.COMPLETED)


def test_no_intake_asks_to_start_it(frozen, client, auth, client_user):
    page = home(client, auth, client_user)
    assert step_of(page) == "intake" and "Start my intake" in page


def test_a_draft_intake_asks_to_continue_it(frozen, client, auth, client_user):
    db.session.add(Intake(client_id=client_user.id))
    db.session.commit()
    page = home(client, auth, client_user)
    assert step_of(page) == "intake" and "Continue my intake" in page


def test_a_submitted_intake_waits_for_review(frozen, client, auth, client_user):
    submit_intake(client_user)
    page = home(client, auth, client_user)
    assert step_of(page) == "waiting_review"
    assert "Your therapist is still reviewing your intake." in page  # the gates' words


@pytest.mark.parametrize("decision", [Decision.NOT_ELIGIBLE, Decision.NEEDS_CLEARANCE])
def test_not_eligible_means_talk_with_the_therapist(frozen, client, auth, client_user, decision):
    decide(client_user, decision)
    page = home(client, auth, client_user)
    assert step_of(page) == "talk_with_therapist"
    assert "Your therapist needs to talk with you" in page


def test_eligible_client_books_the_first_preparation(frozen, client, auth, client_user, therapist):
    make_eligible(client_user)
    complete_consultation(client_user)  # preparation opens after it (tests/test_arc_gates.py)
    page = home(client, auth, client_user)
    assert step_of(page) == "book_preparation"
    prep = session_type(therapist, SessionKind.PREPARATION)
    assert f'href="/book/{prep.id}"' in page


def test_booked_preparation_is_acknowledged_without_a_booking_link(frozen, client, auth, client_user,
                                                                  therapist):
    make_eligible(client_user)
    make_appointment(client_user, session_type(therapist, SessionKind.PREPARATION), NOW + timedelta(days=2))
    page = home(client, auth, client_user)
    assert step_of(page) == "preparation_booked"


def test_completed_preparation_opens_dosing(frozen, client, auth, client_user, therapist):
    make_eligible(client_user)
    complete_preparation(client_user)
    page = home(client, auth, client_user)
    assert step_of(page) == "book_dosing"
    assert f'href="/book/{session_type(therapist, SessionKind.DOSING).id}"' in page


@pytest.mark.parametrize("blocker, reason", [
    ("item9", "Your therapist would like to talk with you before a dosing session."),
    ("consents", "Please sign the current consent documents"),
])
def test_blocked_dosing_shows_the_gate_reason(frozen, client, auth, client_user, blocker, reason):
    make_eligible(client_user, sign_consents=blocker != "consents")
    complete_preparation(client_user)
    if blocker == "item9":
        open_item9_flag(client_user)
    page = home(client, auth, client_user)
    assert step_of(page) == "dosing_blocked" and reason in page
    assert "Book a dosing session" not in page


def test_after_dosing_without_integration_suggests_one_within_72_hours(frozen, client, auth,
                                                                       client_user, therapist):
    make_eligible(client_user)
    complete_preparation(client_user)
    ended_dosing(client_user, therapist, hours_ago=5)
    page = home(client, auth, client_user)
    assert step_of(page) == "book_integration_after_dosing"
    assert "suggested within 72 hours" in page


def test_the_day_after_dosing_the_post_dosing_checkin_is_the_next_step(frozen, client, auth,
                                                                       client_user, therapist):
    make_eligible(client_user)
    dosing = ended_dosing(client_user, therapist, hours_ago=22)  # yesterday; now is 10:00 local
    make_appointment(client_user, session_type(therapist, SessionKind.INTEGRATION), NOW + timedelta(days=1))
    page = home(client, auth, client_user)
    assert step_of(page) == "post_dosing_checkin"
    assert f"/checkins/after-dosing/{dosing.id}" in page
    assert 'id="pending-checkins"' in page


def test_later_the_next_integration_session_is_suggested(frozen, client, auth, client_user, therapist):
    make_eligible(client_user)
    ended_dosing(client_user, therapist, hours_ago=24 * 20)
    make_appointment(client_user, session_type(therapist, SessionKind.INTEGRATION),
                     NOW - timedelta(days=18), status=AppointmentStatus.COMPLETED)
    db.session.add(MeasureResult(client_id=client_user.id, instrument="phq9", source="checkin",
                                 result={"total": 3}, taken_at=NOW - timedelta(days=2)))
    db.session.commit()
    page = home(client, auth, client_user)
    assert step_of(page) == "book_integration"
    assert 'id="pending-checkins"' not in page


def test_booked_dosing_shows_address_and_day_rules_but_no_join(frozen, client, auth, client_user,
                                                               therapist):
    make_eligible(client_user)
    complete_preparation(client_user)
    make_appointment(client_user, session_type(therapist, SessionKind.DOSING), NOW + timedelta(days=2))
    page = home(client, auth, client_user)
    assert step_of(page) == "dosing_booked"
    assert "12 River Street, Springfield" in page
    assert "Do not eat for 4 hours" in page and "Do not drive until the next day" in page
    assert "Join the video session" not in page


@pytest.mark.parametrize("minutes, can_join", [(16, False), (15, True), (5, True), (-20, True)])
def test_join_button_opens_15_minutes_before_the_start(frozen, client, auth, client_user, therapist,
                                                       minutes, can_join):
    make_eligible(client_user)
    prep = session_type(therapist, SessionKind.PREPARATION)
    appointment = make_appointment(client_user, prep, NOW + timedelta(minutes=minutes))
    page = home(client, auth, client_user)
    assert f'href="/sessions/{appointment.id}"' in page  # present for the script to reveal
    assert ('<p id="join-open" >' in page or '<p id="join-open">' in page) == can_join
    assert ('id="join-later"' in page) == (not can_join)
    if not can_join:
        assert "opens at 10:01 AM" in page  # 15 minutes before 10:16 AM New York time


def test_countdown_text_works_without_javascript(frozen, client, auth, client_user, therapist):
    make_eligible(client_user)
    start = datetime(2026, 3, 6, 19, 0, tzinfo=UTC)  # Friday 6 March, 2:00 PM in New York
    make_appointment(client_user, session_type(therapist, SessionKind.PREPARATION), start)
    page = home(client, auth, client_user)
    assert "Friday 6 March, 2:00 PM EST" in page
    assert re.search(r'<span class="countdown" data-starts-at="[^"]+" aria-live="off">in 2 days<',
                     page)
    assert "js/main/countdown.js" in page


def test_quiet_for_14_days_invites_a_checkin(frozen, client, auth, client_user):
    intake = submit_intake(client_user)
    intake.submitted_at = NOW - timedelta(days=15)
    db.session.commit()
    page = home(client, auth, client_user)
    assert 'id="pending-checkins"' in page and 'href="/checkins/new"' in page


@pytest.mark.parametrize("status", [CareStatus.PAUSED, CareStatus.DISCHARGED])
def test_paused_or_discharged_client_sees_contact_and_crisis_but_no_booking(
        frozen, client, auth, client_user, therapist, app, status):
    make_eligible(client_user)
    complete_preparation(client_user)
    client_user.care_status = status.value
    db.session.commit()
    page = home(client, auth, client_user)
    assert step_of(page) is None
    assert app.config["PRACTICE_PHONE"] in page and "Robin Reyes" in page
    assert app.config["PRACTICE_ADDRESS"] in page
    assert "sms:741741" in page and "tel:911" in page and 'href="/crisis"' in page
    assert 'href="/book' not in page and "Book a" not in page and "Book my" not in page


def test_crisis_link_is_on_every_home_page(frozen, client, auth, client_user):
    page = home(client, auth, client_user)
    assert 'href="/crisis"' in page and "tel:988" in page
