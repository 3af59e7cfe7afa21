"""Idle sign-out in the page: a warning at 28 minutes, the sign-in screen at 30 (HIPAA logoff).

The browser's clock is driven by Playwright (`page.clock`); the server's clock is moved by
ageing the session rows, so both sides agree how long the person has been away. The server's
own enforcement of the timeout is tested without a browser elsewhere.
"""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import age_sessions, seconds_since_seen, sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def client_details():
    """The home page greets the client by name."""
    return {"name": "Idle Client"}


@pytest.fixture
def signed_in(page, live_server, client_user):
    """A client on their home page, with the page's clock under the test's control."""
    user_id, email = client_user.id, client_user.email
    page.clock.install()
    sign_in(page, email, DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Idle Client")
    # session.js is a module (deferred): under load it may start after the heading shows
    expect(page.locator("html")).to_have_attribute("data-idle-timer", "ready")
    return user_id


def warning(page):
    return page.get_by_role("dialog", name="Are you still there?")


def test_page_warns_after_28_idle_minutes(page, signed_in):
    page.clock.fast_forward("27:30")
    expect(warning(page)).to_be_hidden()

    page.clock.fast_forward("00:35")
    expect(warning(page)).to_be_visible()
    expect(warning(page)).to_contain_text("signed out in 2 minutes")
    expect(page.get_by_role("button", name="Stay signed in")).to_be_focused()


def test_stay_signed_in_keeps_the_session_alive(page, signed_in):
    page.clock.fast_forward("28:05")
    age_sessions(signed_in, 28)  # the server saw nothing for as long
    expect(warning(page)).to_be_visible()

    with page.expect_response(re.compile(r"/auth/keepalive$")) as keepalive:
        page.get_by_role("button", name="Stay signed in").click()
    assert (keepalive.value.request.method, keepalive.value.status) == ("POST", 200)
    expect(warning(page)).to_be_hidden()
    assert seconds_since_seen(signed_in) < 10

    page.clock.fast_forward("27:30")  # the page's idle timer restarted too
    expect(warning(page)).to_be_hidden()
    expect(page).to_have_url(re.compile(r"/home$"))

    age_sessions(signed_in, 29)  # 28 + 29 idle minutes without the keepalive
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Idle Client")


def test_page_goes_to_sign_in_by_itself_after_30_idle_minutes(page, signed_in):
    page.clock.fast_forward("28:05")
    expect(warning(page)).to_be_visible()

    age_sessions(signed_in, 30.5)
    page.clock.fast_forward("02:00")

    expect(page).to_have_url(re.compile(r"/auth/login\?next=(%2F|/)home$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    page.goto("/home")  # the session is over on the server as well
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
