"""Issue 11, part 2: the call-first room on a 390×844 phone, and by keyboard.

In the first viewport, without scrolling: the other person's video, Mute and Leave. Share
screen is not offered where the browser cannot share (phones have no getDisplayMedia). The
self-view moves between corners from the keyboard; the shortcuts work when no box has focus.
"""
import pytest
from playwright.sync_api import expect

from tests.e2e.test_room_call import (
    TRACKS_HOOK,
    client_waits,
    connected,
    make_room_cast,
    person,
    therapist_opens,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def cast(app, factories):
    return make_room_cast(factories)

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
NO_SCREEN_SHARE = "delete MediaDevices.prototype.getDisplayMedia;"


def in_first_viewport(page, locator):
    box = locator.bounding_box()
    assert box, f"{locator} has no box"
    view = page.viewport_size
    assert box["x"] >= 0 and box["y"] >= 0, box
    assert box["x"] + box["width"] <= view["width"] + 0.5, (box, view)
    assert box["y"] + box["height"] <= view["height"] + 0.5, (box, view)
    assert page.evaluate("window.scrollY") == 0


def test_phone_shows_their_video_mute_and_leave_without_scrolling(new_context, cast):
    client_context = new_context(**PHONE)
    client_context.add_init_script(NO_SCREEN_SHARE)
    client_context.add_init_script(TRACKS_HOOK)
    client_page = client_context.new_page()
    therapist_page = person(new_context)
    client_waits(client_page, cast)
    therapist_opens(therapist_page, cast)
    therapist_page.get_by_role("button", name=f"Admit {cast.client_name}").click()
    connected(client_page, therapist_page)

    for target in (client_page.locator("#remote-video"),
                   client_page.get_by_role("button", name="Mute microphone"),
                   client_page.get_by_role("button", name="Leave call")):
        expect(target).to_be_visible()
        in_first_viewport(client_page, target)
    video = client_page.locator("#remote-video").bounding_box()
    assert video["height"] >= 300, video  # large, not a thumbnail
    expect(client_page.get_by_role("button", name="Share screen")).to_be_hidden()
    expect(therapist_page.get_by_role("button", name="Share screen")).to_be_visible()
    # The nav is folded away in the room.
    expect(client_page.get_by_role("navigation", name="Main")).to_be_hidden()
    client_page.get_by_text("Menu").click()
    expect(client_page.get_by_role("navigation", name="Main")).to_be_visible()
    client_page.get_by_text("Menu").click()

    # A sheet, not a new page: the chat opens over the stage and the controls stay in view.
    client_page.get_by_role("button", name="Chat").click()
    expect(client_page.get_by_label("Message")).to_be_focused()
    in_first_viewport(client_page, client_page.get_by_role("region", name="Chat"))
    in_first_viewport(client_page, client_page.get_by_role("button", name="Leave call"))
    client_page.keyboard.press("Escape")
    expect(client_page.get_by_role("region", name="Chat")).to_be_hidden()
    expect(client_page.get_by_role("button", name="Chat")).to_be_focused()


def test_keyboard_moves_the_self_view_and_the_shortcuts_work(new_context, cast):
    client_page, therapist_page = person(new_context), person(new_context)
    client_waits(client_page, cast)
    therapist_opens(therapist_page, cast)
    therapist_page.get_by_role("button", name=f"Admit {cast.client_name}").click()
    connected(client_page, therapist_page)
    tile = client_page.locator("#self-tile")
    expect(tile).to_have_attribute("data-corner", "br")
    client_page.get_by_role("button", name="Move your self-view").focus()
    client_page.keyboard.press("ArrowUp")
    expect(tile).to_have_attribute("data-corner", "tr")
    client_page.keyboard.press("ArrowLeft")
    expect(tile).to_have_attribute("data-corner", "tl")
    client_page.keyboard.press("Enter")  # the next corner, clockwise
    expect(tile).to_have_attribute("data-corner", "tr")

    client_page.locator("body").press("m")
    expect(client_page.get_by_role("button", name="Unmute microphone")).to_have_attribute(
        "aria-pressed", "true")
    expect(therapist_page.locator("#remote-caption")).to_have_text(f"{cast.client_name} (microphone off)")
    client_page.locator("body").press("v")
    expect(client_page.get_by_role("button", name="Turn camera on")).to_have_attribute(
        "aria-pressed", "true")
    expect(therapist_page.locator("#remote-note")).to_have_text(f"{cast.client_name} · camera off")
    # Typing in the chat box is not a shortcut.
    client_page.keyboard.press("c")
    client_page.get_by_label("Message").press("m")
    expect(client_page.get_by_label("Message")).to_have_value("m")
    expect(client_page.get_by_role("button", name="Unmute microphone")).to_be_visible()
