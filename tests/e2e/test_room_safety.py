"""Issue 11, part 5: the therapist's safety panel is live, and a client cannot join before
saying where they are.

The therapist opens the room before the client confirms their location (the panel used to say
"Not given yet" for the whole call); the client confirms a place in the United Kingdom; the
therapist's panel shows it at once, with 999, not a hard-coded 911. The client's waiting room
shows the same country's numbers.
"""
import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models.call import Call
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_room_call import client_waits, make_room_cast, person, therapist_opens
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def cast(app, factories):
    return make_room_cast(factories, located=False)


def test_safety_panel_updates_live_when_the_client_confirms_where_they_are(new_context, cast):
    therapist_page, client_page = person(new_context), person(new_context)
    therapist_opens(therapist_page, cast)
    panel = therapist_page.get_by_role("region", name="Safety")
    expect(panel).to_be_visible()  # open at the side on a desktop
    expect(panel.locator("#safety-location")).to_have_text("Not given yet")
    expect(panel).to_contain_text("has not confirmed where they are yet")

    sign_in(client_page, cast.client_email, DEFAULT_PASSWORD)
    expect(client_page).to_have_url(re.compile(r"/home$"))
    client_page.goto(f"/sessions/{cast.appointment_id}")
    expect(client_page.get_by_role("heading", level=1)).to_have_text("Before your session")
    client_page.get_by_label("Where are you for this session?").fill("221B Baker Street, London")
    client_page.get_by_label("A phone number where we can reach you now").fill("+44 20 7946 0000")
    client_page.get_by_label("Country").select_option(label="United Kingdom")
    client_page.get_by_role("button", name="Continue to the waiting room").click()
    expect(client_page.get_by_role("heading", name="You are in the waiting room")).to_be_visible()
    expect(client_page.locator("#waiting [data-crisis-inline]")).to_have_text("call 999 or 111.")

    # No reload on the therapist's side: the panel follows the server's `safety` event.
    expect(panel.locator("#safety-location")).to_have_text("221B Baker Street, London")
    expect(panel.get_by_role("link", name="+44 20 7946 0000")).to_be_visible()
    numbers = panel.locator("#safety-numbers")
    expect(numbers).to_contain_text("United Kingdom")
    expect(numbers.get_by_role("link", name="999")).to_have_attribute("href", "tel:999")
    expect(numbers).not_to_contain_text("911")
    expect(panel).to_contain_text("Confirmed by")
    # The help panel (both roles) has the same numbers.
    therapist_page.get_by_role("button", name="Help now").click()
    expect(therapist_page.locator("#help-numbers")).to_contain_text("999")
    expect(therapist_page.locator("#help-numbers")).not_to_contain_text("911")


def test_join_before_confirming_the_location_sends_the_page_to_the_location_step(
        new_context, factories, app):
    """The page rule (a redirect) has a socket twin: a room page already open when the
    confirmation no longer holds is refused at its next `join` and goes to the location step."""
    cast = make_room_cast(factories, located=True)
    page = person(new_context)
    client_waits(page, cast)  # positive control: located, the join is accepted
    db.session.expire_all()
    db.session.get(Call, cast.call_id).location_confirmed_at = None
    settle()
    # The page stays; its connection drops and comes back (a network change), and joins again.
    page.context.set_offline(True)
    expect(page.locator("#room-status")).to_contain_text("Reconnecting")
    page.context.set_offline(False)
    expect(page).to_have_url(re.compile(rf"/sessions/{cast.appointment_id}/location$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Before your session")
