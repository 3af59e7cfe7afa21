"""Issue 11, part 6: the therapist never misses a waiting client, on any page (here: Clients).

The page's `Notification` and the oscillator behind the chime are hooked by an init script, so
the test sees what the browser was asked to show and play. Permission is asked only from the
"Turn on waiting-room alerts" button, never on page load.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_room_call import client_waits, make_room_cast, person
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

ALERT_HOOKS = """(() => {
  window.__notes = []; window.__asked = 0; window.__chimes = 0;
  class HookedNotification {
    constructor(title, options = {}) { window.__notes.push({ title, ...options }); }
    close() {}
    static async requestPermission() {
      window.__asked += 1; HookedNotification.permission = "granted"; return "granted";
    }
  }
  HookedNotification.permission = "default";
  window.Notification = HookedNotification;
  const start = OscillatorNode.prototype.start;
  OscillatorNode.prototype.start = function (...args) {
    window.__chimes += 1;
    return start.apply(this, args);
  };
})();"""


@pytest.fixture
def cast(app, factories):
    return make_room_cast(factories)


def test_waiting_client_alerts_the_therapist_on_the_clients_page(new_context, cast):
    context = new_context()
    context.add_init_script(ALERT_HOOKS)
    therapist_page = context.new_page()
    sign_in(therapist_page, cast.therapist_email, DEFAULT_PASSWORD, cast.totp_secret)
    expect(therapist_page).to_have_url(re.compile(r"/therapist"))
    therapist_page.goto("/therapist/clients")
    expect(therapist_page.locator("html")).to_have_attribute("data-alerts", "ready")
    title = therapist_page.title()
    badge = therapist_page.locator("#waiting-badge")
    expect(badge).to_be_hidden()
    assert therapist_page.evaluate("window.__asked") == 0  # never on page load

    # Sound and notifications: one click, which also plays a sample of the chime.
    therapist_page.get_by_role("button", name="Turn on waiting-room alerts").click()
    expect(therapist_page.get_by_role("button", name="Turn on waiting-room alerts")).to_be_hidden()
    assert therapist_page.evaluate("[window.__asked, window.__chimes]") == [1, 1]

    client_page = person(new_context)
    client_waits(client_page, cast)
    expect(therapist_page).to_have_title(f"(1) waiting · {title}")
    expect(badge).to_be_visible()
    expect(badge).to_have_text(re.compile(r"1\s+client waiting"))
    expect(badge).to_have_attribute("href", f"/sessions/{cast.appointment_id}")
    therapist_page.wait_for_function("() => window.__notes.length === 1")
    note = therapist_page.evaluate("window.__notes[0]")
    assert note["title"] == "A client is in the waiting room"
    assert cast.client_name not in str(note)  # lock screens show notifications: no name
    assert therapist_page.evaluate("window.__chimes") == 2

    # The client gives up waiting: the badge and the title follow.
    client_page.goto("/home")
    expect(therapist_page).to_have_title(title)
    expect(badge).to_be_hidden()


def test_a_page_opened_while_a_client_waits_shows_it_at_once(new_context, cast):
    """Positive control for the live event: the count is read at page load too."""
    client_page = person(new_context)
    client_waits(client_page, cast)
    therapist_page = new_context().new_page()
    sign_in(therapist_page, cast.therapist_email, DEFAULT_PASSWORD, cast.totp_secret)
    expect(therapist_page).to_have_url(re.compile(r"/therapist"))
    therapist_page.goto("/therapist/calendar")
    expect(therapist_page).to_have_title(re.compile(r"^\(1\) waiting · "))
    expect(therapist_page.locator("#waiting-badge")).to_be_visible()
