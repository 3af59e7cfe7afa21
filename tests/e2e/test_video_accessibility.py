"""Issue 5 acceptance: no serious or critical axe-core violations on the video pages.

The location form, the waiting room, the therapist's room with the safety panel and the
waiting-client alert, a call in progress (both sides), the pre-call check with its result,
and the "not open to you" page. axe is injected with page.evaluate (the CSP blocks a <script>).
"""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.e2e.test_video_call import (
    assert_playing,
    client_enters_waiting_room,
    make_cast,
    therapist_opens_room,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def cast(app, factories):
    return make_cast(factories)


def settled(page):
    """Let transitions and the live status text come to rest before axe looks."""
    page.wait_for_function("() => document.getAnimations().every(a => a.playState !== 'running')")
    return page


def test_location_form_is_accessible(page, cast):
    sign_in(page, cast.client_email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto(f"/sessions/{cast.appointment_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Before your session")
    assert_accessible(page)
    # With the errors shown, too.
    page.get_by_role("button", name="Continue to the waiting room").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator("[aria-invalid=true]")).to_have_count(2)
    assert_accessible(page)


def test_waiting_room_and_therapist_room_and_call_are_accessible(new_context, cast):
    client_page = new_context().new_page()
    therapist_page = new_context().new_page()

    client_enters_waiting_room(client_page, cast)
    assert_accessible(settled(client_page))

    therapist_opens_room(therapist_page, cast)
    expect(therapist_page.get_by_role("heading", name=f"{cast.client_name} is waiting")) \
        .to_be_visible()
    expect(therapist_page.locator(".safety-panel")).to_contain_text("12 Elm Street")
    assert_accessible(settled(therapist_page))

    therapist_page.get_by_role("button", name=f"Admit {cast.client_name}").click()
    for page in (client_page, therapist_page):
        assert_playing(page)
        expect(page.locator("#room-status")).to_have_text("You are connected.")
    client_page.get_by_role("button", name="Mute microphone").click()
    expect(therapist_page.locator("#remote-caption")).to_contain_text("(microphone off")
    # The quality badge fills in within 2 s of connecting; check with it shown.
    for page in (client_page, therapist_page):
        expect(page.locator("#quality")).to_contain_text(re.compile(r"Connection: (good|poor)"))
        assert_accessible(settled(page))


def test_precheck_page_is_accessible(page, cast, monkeypatch):
    import aioice.ice  # the echo peer runs in this process: keep its candidates on loopback
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    sign_in(page, cast.client_email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto("/precheck")
    expect(page.locator("#device-status")).to_contain_text("Your camera and microphone work")
    assert_accessible(settled(page))
    # And with the result of the connection test shown.
    page.get_by_role("button", name="Test my connection").click()
    expect(page.locator("#test-result")).to_have_attribute("data-outcome", re.compile(r".+"),
                                                           timeout=30_000)
    expect(page.locator("#test-numbers")).to_be_visible()
    assert_accessible(settled(page))


def test_not_open_to_you_page_is_accessible(page, cast, factories):
    stranger = factories.make_client()
    email = stranger.email
    sign_in(page, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    response = page.goto(f"/sessions/{cast.appointment_id}")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "This video room is not open to you")
    expect(page.locator("#room")).to_have_count(0)
    assert_accessible(page)
