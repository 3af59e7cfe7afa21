"""Issue 11 in Chromium with fake media: a call that really ends, chat and timer that survive a
reload, screen share that gives the camera back, audio only that both sides see and can leave.

The helpers here are shared by the other test_room_* modules. Every page gets an init script
that records the tracks getUserMedia and getDisplayMedia hand out (`window.__tracks`), so a
test can check that leaving turns the camera and microphone off: every track `ended`.
"""
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.call import Call
from portal.models.schedule import Appointment
from tests.e2e.conftest import settle, sign_in
from tests.factories import DEFAULT_PASSWORD
from tests.video_helpers import video_appointment

pytestmark = pytest.mark.e2e

CALL_TIMEOUT_MS = 20_000  # ICE + DTLS + first frame on a busy 2-core machine
TRACKS_HOOK = """(() => {
  window.__tracks = [];
  const md = navigator.mediaDevices;
  if (!md) return;
  for (const name of ["getUserMedia", "getDisplayMedia"]) {
    const original = md[name] && md[name].bind(md);
    if (!original) continue;
    md[name] = async (...args) => {
      const stream = await original(...args);
      stream.getTracks().forEach((t) => window.__tracks.push(t));
      if (name === "getDisplayMedia") window.__screen = stream.getVideoTracks()[0];
      return stream;
    };
  }
})();"""
ALL_ENDED = "() => window.__tracks.length > 0 && window.__tracks.every(t => t.readyState === 'ended')"
SOME_LIVE = "() => window.__tracks.some(t => t.readyState === 'live')"
# The other side's picture: its shape tells the camera (4:3, 640x480) from a screen (16:9).
REMOTE_RATIO = """() => { const v = document.getElementById('remote-video');
    return v.videoWidth && v.videoHeight ? Math.round(100 * v.videoWidth / v.videoHeight) : 0; }"""
PLAYING = """() => { const v = document.getElementById('remote-video');
    return v.videoWidth > 0 && v.currentTime > 0 && !v.paused; }"""


@dataclass
class Cast:
    appointment_id: int
    call_id: int
    client_email: str
    client_name: str
    therapist_email: str
    therapist_name: str
    totp_secret: str


def make_room_cast(factories, located=True):
    """A therapist, their client and a video appointment starting in a minute; the client has
    confirmed where they are (Portland, US) unless `located` is False."""
    therapist = factories.make_therapist()
    client = factories.make_client(therapist=therapist)
    appointment = video_appointment(client, starts_in=timedelta(minutes=1), located=located)
    call = db.session.scalar(select(Call).where(Call.appointment_id == appointment.id))
    people = Cast(appointment.id, call.id if call else 0, client.email, client.name,
                  therapist.email, therapist.name, therapist.totp_secret)
    settle()
    return people


@pytest.fixture
def cast(app, factories):
    return make_room_cast(factories)


def person(new_context, **options):
    """A browser context for one participant, with the track recorder; returns its page."""
    context = new_context(**options)
    context.add_init_script(TRACKS_HOOK)
    return context.new_page()


def status(page):
    return page.locator("#room-status")


def client_waits(page, cast):
    sign_in(page, cast.client_email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    page.goto(f"/sessions/{cast.appointment_id}")
    expect(page.get_by_role("heading", name="You are in the waiting room")).to_be_visible()


def therapist_opens(page, cast):
    sign_in(page, cast.therapist_email, DEFAULT_PASSWORD, cast.totp_secret)
    expect(page).to_have_url(re.compile(r"/therapist"))
    page.goto(f"/sessions/{cast.appointment_id}")
    expect(page.locator("#room")).to_have_attribute("data-state", "in_call")


def connected(*pages):
    for page in pages:
        expect(status(page)).to_have_text("You are connected.", timeout=CALL_TIMEOUT_MS)
        page.wait_for_function(PLAYING, timeout=CALL_TIMEOUT_MS)


def start_call(new_context, cast, **options):
    """Client waiting, therapist admits, both connected; returns (client page, therapist page)."""
    client_page, therapist_page = person(new_context, **options), person(new_context, **options)
    client_waits(client_page, cast)
    therapist_opens(therapist_page, cast)
    therapist_page.get_by_role("button", name=f"Admit {cast.client_name}").click()
    connected(client_page, therapist_page)
    return client_page, therapist_page


def tracks_all_end_within_2_s(page):
    page.wait_for_function(ALL_ENDED, timeout=2_000)


def appointment_status(appointment_id):
    db.session.expire_all()
    value = db.session.get(Appointment, appointment_id).status
    settle()
    return value


# --- the tests -------------------------------------------------------------------------------
def test_leave_and_end_stop_every_track_and_each_side_gets_one_next_step(new_context, cast):
    client_page, therapist_page = start_call(new_context, cast)
    for page in (client_page, therapist_page):
        assert page.evaluate(SOME_LIVE)  # positive control: the camera is on

    # The client leaves: confirmed in a dialog, then every track ends and one next step shows.
    client_page.get_by_role("button", name="Leave call").click()
    dialog = client_page.get_by_role("dialog", name="Leave the call?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Leave call").click()
    tracks_all_end_within_2_s(client_page)
    expect(client_page.get_by_role("heading", name="You left the call")).to_be_visible()
    expect(client_page.get_by_role("link", name="How are you feeling? Take the check-in")) \
        .to_have_attribute("href", "/checkins/new")
    expect(client_page.get_by_role("button", name="Mute microphone")).to_be_hidden()
    # The therapist sees their name and "left", not a frozen frame.
    expect(therapist_page.locator("#remote-note")).to_have_text(f"{cast.client_name} left the call")
    expect(therapist_page.locator("#remote-tile")).to_have_attribute("data-show", "placeholder")
    assert therapist_page.evaluate("document.getElementById('remote-video').srcObject") is None

    # Back in (admission is kept), then the therapist ends the call for both.
    client_page.get_by_role("link", name="Rejoin the call").click()
    connected(client_page, therapist_page)
    therapist_page.get_by_role("button", name="End call").click()
    dialog = therapist_page.get_by_role("dialog", name="End the call for both of you?")
    expect(dialog.get_by_label("Mark the session completed")).to_be_checked()
    dialog.get_by_role("button", name="End call").click()
    tracks_all_end_within_2_s(therapist_page)
    tracks_all_end_within_2_s(client_page)
    expect(therapist_page.get_by_role("heading", name="The call has ended")).to_be_visible()
    expect(therapist_page.get_by_role("link", name="Write the note for this session")) \
        .to_have_attribute("href", f"/therapist/appointments/{cast.appointment_id}/note")
    expect(therapist_page.get_by_text("The session is marked completed.")).to_be_visible()
    assert appointment_status(cast.appointment_id) == "completed"  # it started only a minute ago
    expect(client_page.get_by_role("heading", name="Your session has ended")).to_be_visible()
    expect(client_page.get_by_role("link", name="How are you feeling? Take the check-in")) \
        .to_be_visible()


def test_end_waits_for_confirmation_and_a_send_back_turns_the_cameras_off(new_context, cast):
    client_page, therapist_page = start_call(new_context, cast)
    # "Keep talking": the dialog's safe choice closes it and the call goes on.
    therapist_page.get_by_role("button", name="End call").click()
    dialog = therapist_page.get_by_role("dialog", name="End the call for both of you?")
    expect(dialog.get_by_role("button", name="Keep talking")).to_be_focused()
    therapist_page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(therapist_page.get_by_role("button", name="End call")).to_be_focused()
    assert therapist_page.evaluate(SOME_LIVE)

    # Back to the waiting room: both cameras go off until the therapist admits again.
    therapist_page.get_by_role("button", name="Send back to waiting room").click()
    tracks_all_end_within_2_s(client_page)
    tracks_all_end_within_2_s(therapist_page)
    expect(client_page.get_by_role("heading", name="You are in the waiting room")).to_be_visible()
    expect(client_page.get_by_text("Your camera and microphone are off while you wait.")) \
        .to_be_visible()
    therapist_page.get_by_role("button", name=f"Admit {cast.client_name}").click()
    connected(client_page, therapist_page)
    for page in (client_page, therapist_page):
        assert page.evaluate(SOME_LIVE)


def test_poor_quality_for_10_seconds_offers_audio_only(new_context, cast):
    """The detector alone, fed made-up statistics: 16.7 % of packets lost for 10 s."""
    page = person(new_context)
    page.clock.install()
    client_waits(page, cast)
    page.evaluate("""async () => {
        const { watchQuality } = await import("/static/js/video/quality.js");
        let t = 0, bytes = 0, got = 0, lost = 0;
        const peer = { stats: async () => {
            t += 2000; bytes += 25000; got += 100; lost += 20;
            return new Map([
              ["in", { type: "inbound-rtp", bytesReceived: bytes, packetsReceived: got,
                       packetsLost: lost, timestamp: t }],
              ["pair", { type: "candidate-pair", id: "pair", nominated: true,
                         state: "succeeded", currentRoundTripTime: 0.05 }]]);
        } };
        window.__offers = 0;
        watchQuality({ peer, audioOnly: () => false, offer: () => { window.__offers += 1; } });
    }""")
    page.clock.run_for(8_000)
    expect(page.locator("#quality")).to_have_text(
        "Connection: poor · 100 kbit/s · 50 ms · 16.7% lost")
    assert page.evaluate("window.__offers") == 0  # not for a moment's trouble
    page.clock.run_for(6_000)
    page.wait_for_function("() => window.__offers === 1")


def test_chat_survives_a_reload_and_is_gone_after_the_end(new_context, cast):
    client_page, therapist_page = start_call(new_context, cast)
    client_page.keyboard.press("c")  # the chat's shortcut
    client_page.get_by_label("Message").fill("Hello from the client")
    client_page.get_by_label("Message").press("Enter")
    chat_button = therapist_page.get_by_role("button", name="Chat")
    expect(chat_button).to_have_attribute("data-unread", "1")  # the panel is closed there
    chat_button.click()
    expect(therapist_page.locator("#chat-log")).to_contain_text("Hello from the client")
    therapist_page.get_by_label("Message").fill("Hello back")
    therapist_page.get_by_role("button", name="Send").click()
    expect(client_page.locator("#chat-log")).to_contain_text("Hello back")

    client_page.reload()
    connected(client_page)
    client_page.get_by_role("button", name="Chat").click()
    log = client_page.locator("#chat-log li")
    expect(log).to_have_text(["You: Hello from the client", f"{cast.therapist_name}: Hello back"])
    key = f"chat:{cast.call_id}"
    assert client_page.evaluate("k => sessionStorage.getItem(k)", key)

    therapist_page.get_by_role("button", name="End call").click()
    therapist_page.get_by_role("dialog").get_by_role("button", name="End call").click()
    expect(client_page.get_by_role("heading", name="Your session has ended")).to_be_visible()
    for page in (client_page, therapist_page):
        assert page.evaluate("k => sessionStorage.getItem(k)", key) is None
        expect(page.locator("#chat-log li")).to_have_count(0)


def test_timer_counts_from_the_servers_first_connection_through_a_reload(new_context, cast):
    client_page, therapist_page = start_call(new_context, cast)
    for page in (client_page, therapist_page):
        expect(page.locator("#call-timer")).to_have_text(re.compile(r"^0:\d\d$"))
    db.session.expire_all()
    call = db.session.get(Call, cast.call_id)
    assert call.first_connected_at is not None
    call.first_connected_at = utcnow() - timedelta(minutes=10)  # as if connected 10 minutes ago
    settle()
    client_page.reload()
    expect(client_page.locator("#call-timer")).to_have_text(re.compile(r"^10:\d\d$"))
    connected(client_page)
    expect(client_page.locator("#call-timer")).to_have_text(re.compile(r"^10:\d\d$"))

    # Audio only: the other side is told and follows; either side can leave it again.
    client_page.get_by_role("button", name="Audio only").click()
    expect(therapist_page.locator("#remote-note")).to_have_text(f"{cast.client_name} · audio only")
    expect(therapist_page.locator("#remote-caption")).to_have_text(f"{cast.client_name} (audio only)")
    back = therapist_page.get_by_role("button", name="Back to video")
    expect(back).to_have_attribute("aria-pressed", "true")
    back.click()
    expect(client_page.get_by_role("button", name="Audio only")).to_have_attribute(
        "aria-pressed", "false")
    expect(therapist_page.locator("#remote-tile")).to_have_attribute("data-show", "video")
    expect(client_page.locator("#remote-tile")).to_have_attribute("data-show", "video")


def test_screen_share_stop_from_our_button_or_the_browser_brings_the_camera_back(new_context, cast):
    client_page, therapist_page = start_call(new_context, cast)
    camera, screen = 133, 178  # 4:3 and 16:9, as the client receives them
    client_page.wait_for_function(f"() => ({REMOTE_RATIO})() === {camera}")
    share = therapist_page.get_by_role("button", name="Share screen")

    share.click()
    expect(therapist_page.get_by_role("button", name="Stop sharing")).to_have_attribute(
        "aria-pressed", "true")
    client_page.wait_for_function(f"() => ({REMOTE_RATIO})() === {screen}")
    therapist_page.get_by_role("button", name="Stop sharing").click()  # our button
    expect(share).to_have_attribute("aria-pressed", "false")
    client_page.wait_for_function(f"() => ({REMOTE_RATIO})() === {camera}")

    share.click()
    client_page.wait_for_function(f"() => ({REMOTE_RATIO})() === {screen}")
    # The browser's own "Stop sharing": the track ends by itself and says so.
    therapist_page.evaluate(
        "() => { window.__screen.stop(); window.__screen.dispatchEvent(new Event('ended')); }")
    expect(share).to_have_attribute("aria-pressed", "false")
    client_page.wait_for_function(f"() => ({REMOTE_RATIO})() === {camera}")
    live_video = "() => window.__tracks.filter(t => t.kind === 'video' && t.readyState === 'live')"
    assert therapist_page.evaluate(f"() => ({live_video})().length") == 1  # only the camera
