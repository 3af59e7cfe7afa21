"""Issue 6, acceptance 7 for the client's pages: no serious or critical axe-core violations on
the home page (next session, next step, pending check-ins; and paused), the post-dosing
check-in (with errors shown) and "who accessed my record"; the countdown's join button appears
in the browser when the room opens, without a reload."""
import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from portal.core.vocabulary import AppointmentStatus, CareStatus, SessionKind
from portal.extensions import db
from portal.security.audit import record
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import make_appointment, make_eligible, session_type

pytestmark = pytest.mark.e2e


@pytest.fixture
def practice(factories):
    therapist = factories.make_therapist(name="Dr Morgan Lee")
    client = make_eligible(factories.make_client(therapist, name="Robin Ash"))
    dosing = session_type(therapist, SessionKind.DOSING)
    start = datetime.now(UTC) - timedelta(days=1, minutes=dosing.duration_min)
    done = make_appointment(client, dosing, start, status=AppointmentStatus.COMPLETED)
    record("intake_viewed", actor=therapist, obj=("user", client.id))
    db.session.commit()
    return therapist, client, done


def test_home_join_button_appears_when_the_room_opens(page, live_server, practice):
    therapist, client, _ = practice
    opens_in = timedelta(seconds=3)
    make_appointment(client, session_type(therapist, SessionKind.INTEGRATION),
                     datetime.now(UTC) + timedelta(minutes=15) + opens_in)
    settle()
    sign_in(page, client.email, DEFAULT_PASSWORD)
    page.goto("/home")
    expect(page.get_by_role("heading", name="Your next step")).to_be_visible()
    assert_accessible(page)
    expect(page.get_by_role("link", name="Join the video session")).to_be_visible(timeout=20_000)
    expect(page.locator(".countdown")).to_have_text(re.compile(r"in 1[45] minutes"))


def test_post_dosing_checkin_and_access_log_are_accessible(page, live_server, practice):
    _, client, done = practice
    url, email = f"/checkins/after-dosing/{done.id}", client.email  # read before settling
    settle()
    sign_in(page, email, DEFAULT_PASSWORD)
    page.goto(url)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#sleep-error")).to_be_visible()
    assert_accessible(page)
    page.goto("/my-data/access")
    expect(page.get_by_role("cell", name="viewed your intake")).to_be_visible()
    assert_accessible(page)


def test_paused_home_is_accessible(page, live_server, practice):
    _, client, _ = practice
    client.care_status = CareStatus.PAUSED.value
    settle()
    sign_in(page, client.email, DEFAULT_PASSWORD)
    page.goto("/home")
    expect(page.get_by_role("heading", name="Your care is paused")).to_be_visible()
    assert_accessible(page)
