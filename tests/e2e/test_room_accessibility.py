"""Issue 11 acceptance: axe finds no serious or critical violation in the room, on a desktop and
on a 390×844 phone: the waiting room, the therapist's room with the waiting alert, the call
with each panel open (chat, safety, devices, help), the end confirmation, and the end screens.

With ROOM_SCREENSHOTS=<folder> set, the same walk saves the README's screenshots there
(`make screenshots`-style: `ROOM_SCREENSHOTS=docs/screenshots pytest e2e/test_room_accessibility.py`).
"""
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_accessibility import assert_accessible
from tests.e2e.test_room_call import (
    client_waits,
    connected,
    make_room_cast,
    person,
    therapist_opens,
)
from tests.e2e.test_video_accessibility import settled

pytestmark = pytest.mark.e2e


@pytest.fixture
def cast(app, factories):
    return make_room_cast(factories)

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("ROOM_SCREENSHOTS")


def check(page, shot=None, sizes=(DESKTOP, PHONE)):
    """axe at each size (the layout differs: side panels or sheets); optionally a screenshot."""
    for size in sizes:
        page.set_viewport_size(size)
        assert_accessible(settled(page))
        if SHOTS and shot:
            kind = "phone" if size is PHONE else "desktop"
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{shot}-{kind}.png"))
    page.set_viewport_size(DESKTOP)


def panels(page, names):
    for name in names:
        button = page.get_by_role("button", name=name, exact=True)
        if button.get_attribute("aria-expanded") != "true":
            button.click()
        expect(page.get_by_role("region", name=name)).to_be_visible()
        yield name
        page.keyboard.press("Escape")
        expect(page.get_by_role("region", name=name)).to_be_hidden()


def test_room_is_accessible_from_waiting_to_the_end_on_desktop_and_phone(new_context, cast):
    client_page, therapist_page = (person(new_context, viewport=DESKTOP),
                                   person(new_context, viewport=DESKTOP))
    client_waits(client_page, cast)
    check(client_page, "room-waiting")
    therapist_opens(therapist_page, cast)
    expect(therapist_page.get_by_role("heading", name=f"{cast.client_name} is waiting")) \
        .to_be_visible()
    check(therapist_page, "room-therapist-admit")

    therapist_page.get_by_role("button", name=f"Admit {cast.client_name}").click()
    connected(client_page, therapist_page)
    for page in (client_page, therapist_page):
        expect(page.locator("#quality")).to_contain_text(re.compile(r"Connection: (good|poor) ·"))
    check(client_page, "room-call-client")
    therapist_page.get_by_role("button", name="Safety", exact=True).click()  # closed: none open
    check(therapist_page)
    for _ in panels(client_page, ["Chat", "Devices", "Help now"]):
        check(client_page)
    for name in panels(therapist_page, ["Safety", "Chat", "Devices", "Help now"]):
        check(therapist_page, "room-call-therapist" if name == "Safety" else None)

    therapist_page.get_by_role("button", name="End call").click()
    expect(therapist_page.get_by_role("dialog", name="End the call for both of you?")).to_be_visible()
    check(therapist_page, sizes=(DESKTOP,))
    therapist_page.get_by_role("dialog").get_by_role("button", name="End call").click()
    expect(therapist_page.get_by_role("heading", name="The call has ended")).to_be_visible()
    expect(client_page.get_by_role("heading", name="Your session has ended")).to_be_visible()
    check(therapist_page, "room-end-therapist")
    check(client_page, "room-end-client")
