"""Issue 11, part 1: the idle timer counts real activity, and saves before it signs out.

A person typing a long intake is active: typing every few minutes (the autosave and the page's
own keep-alive tell the server) is never signed out at 30. A page left alone for 31 minutes
signs out by itself, and only after the text typed just before was saved. (A connected call
holding the session open is in test_room_call_long.py.)

Both clocks move: Playwright's `page.clock` for the page's timers, time_machine for the server
(the live server is a thread of this process), as in test_intake_flow.py.
"""
import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from portal.core.time import utcnow
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_intake_flow import saved_answers
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def client_details():
    return {"name": "Avery Quinn"}


@pytest.fixture
def client_account(client_user):
    values = {"id": client_user.id, "email": client_user.email}
    settle()
    return values


def open_intake(page, email):
    page.clock.install()
    sign_in(page, email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto("/intake/about")
    expect(page.get_by_role("heading", level=1)).to_have_text("About you")
    expect(page.locator("html")).to_have_attribute("data-idle-timer", "ready")


def warning(page):
    return page.get_by_role("dialog", name="Are you still there?")


def test_intake_typing_every_few_minutes_is_not_signed_out_at_30(page, live_server,
                                                                  client_account):
    with time_machine.travel(utcnow(), tick=True) as server_clock:
        open_intake(page, client_account["email"])
        box = page.get_by_label("Pronouns")
        for minute in range(5, 40, 5):  # 35 minutes, a few words every 5
            page.clock.fast_forward("05:00")
            server_clock.shift(timedelta(minutes=5))
            with page.expect_response(re.compile(r"/intake/about/autosave$")) as saved:
                box.press_sequentially(f" {minute}")
                page.clock.run_for(3_100)  # the autosave's debounce
            assert saved.value.status == 200, f"autosave refused at minute {minute}"
            expect(warning(page)).to_be_hidden()
        expect(page).to_have_url(re.compile(r"/intake/about$"))
        page.reload()  # the server kept the session too
        expect(page.get_by_role("heading", level=1)).to_have_text("About you")
        expect(box).to_have_value(re.compile(r" 35$"))


def test_page_left_idle_31_minutes_saves_what_was_typed_then_signs_out(page, live_server,
                                                                        client_account):
    open_intake(page, client_account["email"])
    requests = []
    page.on("request", lambda r: requests.append(r.url.split("/", 3)[-1])
            if r.method == "POST" else None)
    page.get_by_label("Pronouns").press_sequentially("she/her")
    # One jump: the autosave's 3 s debounce and the idle sign-out fall due together.
    page.clock.fast_forward("31:00")
    expect(page).to_have_url(re.compile(r"/auth/login\?next=(%2F|/)intake(%2F|/)about$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    assert saved_answers(client_account["id"], "about").get("pronouns") == "she/her"
    assert requests.index("intake/about/autosave") < requests.index("auth/logout"), requests
    page.goto("/intake/about")  # signed out on the server as well
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_pointer_and_keys_reset_the_timer_and_reach_the_server(page, live_server,
                                                              client_account):
    """Positive control for the sign-out above: reading and clicking (no typing, no autosave)
    counts too, and the page tells the server with a keep-alive."""
    with time_machine.travel(utcnow(), tick=True) as server_clock:
        open_intake(page, client_account["email"])
        for _ in range(4):  # 4 x 9 = 36 minutes
            page.clock.fast_forward("09:00")
            server_clock.shift(timedelta(minutes=9))
            with page.expect_response(re.compile(r"/auth/keepalive$")) as kept:
                page.get_by_role("heading", level=1).click()
            assert kept.value.status == 200
        expect(warning(page)).to_be_hidden()
        page.reload()
        expect(page.get_by_role("heading", level=1)).to_have_text("About you")
