"""Issue 5, tests level 3: a real video call between two headless Chromiums (fake camera and mic).

The client confirms where they are, waits in the waiting room (calm screen, self-view), the
therapist is alerted and admits, and both see the other's video playing; mute and camera-off
reach the other side; a reload brings the video back without the waiting room; the pre-call
check gets its media back from the server's aiortc echo peer.

The live server (tests/e2e/conftest.py) is Werkzeug's threaded server around the app, whose
wsgi_app Flask-SocketIO wraps; Werkzeug puts `werkzeug.socket` in the environ, so
simple-websocket upgrades to WebSocket there exactly as under `socketio.run`. Media goes
browser to browser on this machine (Chromium runs with --allow-loopback-in-peer-connection).
"""
import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import settle, sign_in
from tests.factories import DEFAULT_PASSWORD
from tests.video_helpers import video_appointment

pytestmark = pytest.mark.e2e

CALL_TIMEOUT_MS = 20_000  # ICE + DTLS + first frame on a busy 2-core machine

# The remote <video> is playing: it has a picture, its clock advances and it presents new
# frames. (The page's RTCPeerConnection is private to room.js, so getStats() is out of reach;
# getVideoPlaybackQuality().totalVideoFrames counts decoded frames handed to the element.)
HAS_PICTURE = """id => { const v = document.getElementById(id);
    return !!v && v.videoWidth > 0 && v.currentTime > 0; }"""
SAMPLE = """id => { const v = document.getElementById(id);
    return {width: v.videoWidth, height: v.videoHeight, time: v.currentTime,
            frames: v.getVideoPlaybackQuality().totalVideoFrames, paused: v.paused}; }"""


STATE = """id => { const v = document.getElementById(id);
    return {src: !!v.srcObject, tracks: v.srcObject ? v.srcObject.getTracks().map(
                t => `${t.kind}:${t.readyState}:${t.enabled}`) : [],
            paused: v.paused, readyState: v.readyState, width: v.videoWidth,
            time: v.currentTime, status: document.getElementById('room-status')?.textContent}; }"""


def wait_for_picture(page, element_id="remote-video", timeout=CALL_TIMEOUT_MS):
    try:
        page.wait_for_function(HAS_PICTURE, arg=element_id, timeout=timeout)
    except Exception as exc:
        raise AssertionError(f"no picture in #{element_id} on {page.url}: "
                             f"{page.evaluate(STATE, element_id)}") from exc


def assert_playing(page, element_id="remote-video"):
    """A picture that moves: currentTime and the decoded frame count advance over a second."""
    wait_for_picture(page, element_id)
    before = page.evaluate(SAMPLE, element_id)
    page.wait_for_timeout(1000)
    after = page.evaluate(SAMPLE, element_id)
    assert after["width"] > 0 and after["height"] > 0, after
    assert not after["paused"], f"{element_id} is paused on {page.url}"
    assert after["time"] - before["time"] > 0.5, (before, after)
    assert after["frames"] > before["frames"] + 5, (before, after)


@dataclass
class Cast:
    appointment_id: int
    client_email: str
    client_name: str
    therapist_email: str
    therapist_name: str
    totp_secret: str


def make_cast(factories):
    """A therapist, their client and a video appointment starting in 5 minutes."""
    therapist = factories.make_therapist()
    client = factories.make_client(therapist=therapist)
    appointment = video_appointment(client)
    people = Cast(appointment.id, client.email, client.name, therapist.email, therapist.name,
                  therapist.totp_secret)
    settle()  # the attribute reads above opened a transaction: end it before the browsers come
    return people


@pytest.fixture
def cast(app, factories):
    return make_cast(factories)


def client_enters_waiting_room(page, cast):
    """Sign in, open the room, confirm the location: the calm waiting room with a self-view."""
    sign_in(page, cast.client_email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto(f"/sessions/{cast.appointment_id}")
    expect(page).to_have_url(re.compile(rf"/sessions/{cast.appointment_id}/location$"))
    page.get_by_label("Where are you for this session?").fill("12 Elm Street, Springfield, IL")
    page.get_by_label("A phone number where we can reach you now").fill("+1 217 555 0142")
    page.get_by_role("button", name="Continue to the waiting room").click()
    expect(page).to_have_url(re.compile(rf"/sessions/{cast.appointment_id}$"))
    expect(page.get_by_role("heading", name="You are in the waiting room")).to_be_visible()
    expect(page.locator("#room-status")).to_contain_text("You are in the waiting room")
    expect(page.locator("#waiting").get_by_role("link", name="988")).to_be_visible()  # crisis line
    assert_playing(page, "local-video")  # self-view


def therapist_opens_room(page, cast):
    sign_in(page, cast.therapist_email, DEFAULT_PASSWORD, cast.totp_secret)
    expect(page).to_have_url(re.compile(r"/therapist|/home"))
    page.goto(f"/sessions/{cast.appointment_id}")
    expect(page.get_by_role("heading", name="Safety")).to_be_visible()


def start_call(new_context, cast):
    client_page = new_context().new_page()
    therapist_page = new_context().new_page()
    client_enters_waiting_room(client_page, cast)
    therapist_opens_room(therapist_page, cast)
    alert = therapist_page.get_by_role("heading", name=f"{cast.client_name} is waiting")
    expect(alert).to_be_visible()
    # Never admitted by itself: a moment later the client is still waiting.
    client_page.wait_for_timeout(500)
    expect(client_page.get_by_role("heading", name="You are in the waiting room")).to_be_visible()
    therapist_page.get_by_role("button", name=f"Admit {cast.client_name}").click()
    expect(client_page.locator("#waiting")).to_be_hidden()
    expect(alert).to_be_hidden()
    return client_page, therapist_page


def test_waiting_room_admit_and_both_see_each_other(new_context, cast):
    client_page, therapist_page = start_call(new_context, cast)
    assert_playing(client_page)
    assert_playing(therapist_page)
    for page in (client_page, therapist_page):
        expect(page.locator("#room-status")).to_have_text("You are connected.",
                                                          timeout=CALL_TIMEOUT_MS)
    # The safety panel shows what the client just confirmed.
    panel = therapist_page.locator(".safety-panel")
    expect(panel).to_contain_text("12 Elm Street, Springfield, IL")
    expect(panel).to_contain_text("+1 217 555 0142")


def test_mute_and_camera_off_are_seen_by_the_other_side(new_context, cast):
    client_page, therapist_page = start_call(new_context, cast)
    assert_playing(therapist_page)
    caption = therapist_page.locator("#remote-caption")
    expect(caption).to_have_text(cast.client_name)

    mute = client_page.get_by_role("button", name="Mute microphone")
    mute.click()
    expect(client_page.get_by_role("button", name="Unmute microphone")).to_have_attribute(
        "aria-pressed", "true")
    expect(caption).to_contain_text("(microphone off")

    client_page.get_by_role("button", name="Turn camera off").click()
    expect(caption).to_contain_text("camera off")
    expect(caption).to_have_text(f"{cast.client_name} (microphone off, camera off)")

    client_page.get_by_role("button", name="Unmute microphone").click()
    client_page.get_by_role("button", name="Turn camera on").click()
    expect(caption).to_have_text(cast.client_name)

    # And the other way round: the therapist mutes, the client sees it.
    therapist_page.get_by_role("button", name="Mute microphone").click()
    expect(client_page.locator("#remote-caption")).to_contain_text("(microphone off")


def test_client_reload_comes_back_without_the_waiting_room(new_context, cast):
    client_page, therapist_page = start_call(new_context, cast)
    assert_playing(client_page)
    client_page.reload()
    expect(client_page).to_have_url(re.compile(rf"/sessions/{cast.appointment_id}$"))
    assert_playing(client_page)  # no Admit needed
    assert_playing(therapist_page)
    expect(client_page.locator("#waiting")).to_be_hidden()
    expect(therapist_page.locator("#waiting-alert")).to_be_hidden()
    expect(client_page.locator("#room-status")).to_have_text("You are connected.")


@pytest.fixture
def loopback_only_echo(monkeypatch):
    """The live server runs in this process: keep the aiortc echo peer's ICE host candidates on
    127.0.0.1 (aioice skips loopback and uses the machine's interface addresses otherwise)."""
    import aioice.ice
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])


def test_precheck_gets_its_video_back_from_the_echo(loopback_only_echo, page, cast):
    sign_in(page, cast.client_email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto("/precheck")
    expect(page.locator("#device-status")).to_contain_text("Your camera and microphone work")
    assert_playing(page, "preview")
    page.get_by_role("button", name="Test my connection").click()
    result = page.locator("#test-result")
    expect(result).to_have_attribute("data-outcome", re.compile(r".+"), timeout=30_000)
    outcome = result.get_attribute("data-outcome")
    assert outcome in ("good", "audio"), f"{outcome}: {result.text_content()}"
    expect(page.locator("#r-flow")).to_have_text(re.compile(r"^yes \(\d+ frames\)$"))
    expect(result).to_have_text(re.compile(r"Your connection is (good for video|weak)"))
