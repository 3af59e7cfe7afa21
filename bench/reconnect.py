"""Reconnect after a page reload: two headless Chromiums in a call through the portal; the client
reloads its page N times, each time timed from reload to the therapist's video playing again.

The portal runs as `python -m portal` (Flask-SocketIO, threading) on a temporary migrated SQLite
database, like the tests; the client confirms its location, waits, the therapist (TOTP) admits,
then the reloads begin. "Playing again" is seen on the client's page: the remote <video> has a
picture (videoWidth > 0) and its currentTime advances. Goal: median ≤ 2 s → `ratio: N.NN`.
Also prints the JS + CSS bytes the room page ships (goal ≤ 150 KB).

    .venv/bin/python bench/reconnect.py [--reloads 5]
"""
import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.factories import DEFAULT_PASSWORD  # noqa: E402
from tests.rtc import PortalServer, data_app, make_video_pair, migrate  # noqa: E402

GOAL_S = 2.0
BYTES_GOAL = 150 * 1024
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox",
    "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--allow-loopback-in-peer-connection",
]
SHIPPED = ["static/js/video/room.js", "static/vendor/socket.io/socket.io.esm.min.js",
           "static/css/portal.css", "static/js/session.js"]
TIMEOUT_MS = 20_000

# True once the remote video has a picture and its clock has moved since first seen
# (state on window, so a reload starts afresh).
PLAYING_AGAIN = """() => {
    const v = document.getElementById('remote-video');
    if (!v || v.videoWidth === 0 || v.currentTime === 0) return false;
    if (window.__firstTime === undefined) { window.__firstTime = v.currentTime; return false; }
    return v.currentTime > window.__firstTime;
}"""

STATE = """() => { const v = document.getElementById('remote-video');
    return {picture: v.videoWidth, time: v.currentTime, paused: v.paused, src: !!v.srcObject,
            status: document.getElementById('room-status').textContent}; }"""


def sign_in(page, email, totp_secret=None):
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret:
        import pyotp
        page.wait_for_url(re.compile(r"/auth/mfa$"))
        page.get_by_label("Code").fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/auth/" not in url)


def set_up_call(browser, base_url, pair):
    """Client in the waiting room, therapist admits; returns both pages with video playing."""
    pages = []
    for _ in range(2):
        context = browser.new_context(base_url=base_url, permissions=["camera", "microphone"])
        context.set_default_timeout(TIMEOUT_MS)
        pages.append(context.new_page())
    client, therapist = pages
    room = f"/sessions/{pair.appointment_id}"
    sign_in(client, pair.client_email)
    client.goto(room)
    client.get_by_label("Where are you for this session?").fill("12 Elm Street, Springfield, IL")
    client.get_by_label("A phone number where we can reach you now").fill("+1 217 555 0142")
    client.get_by_role("button", name="Continue to the waiting room").click()
    client.wait_for_url(re.compile(rf"{room}$"))
    client.get_by_role("heading", name="You are in the waiting room").wait_for()
    sign_in(therapist, pair.therapist_email, pair.totp_secret)
    therapist.goto(room)
    therapist.locator("#admit").click()
    for page in pages:
        page.wait_for_function(PLAYING_AGAIN, timeout=TIMEOUT_MS)
    return client, therapist


def measure_reloads(client, therapist, reloads):
    times = []
    requested = set()
    client.on("request", lambda r: requested.add(r.url.split("?")[0])
              if r.resource_type in ("script", "stylesheet") else None)
    for _ in range(reloads):
        client.wait_for_timeout(1000)  # a steady call before each reload
        start = time.perf_counter()
        client.reload()
        try:
            client.wait_for_function(PLAYING_AGAIN, timeout=TIMEOUT_MS)
        except Exception as exc:
            raise RuntimeError(f"reload {len(times) + 1}: no video after {TIMEOUT_MS} ms; "
                               f"client {client.evaluate(STATE)}, "
                               f"therapist {therapist.evaluate(STATE)}") from exc
        times.append(time.perf_counter() - start)
        if client.locator("#waiting").is_visible():
            raise RuntimeError("the client was sent back to the waiting room by a reload")
        therapist.wait_for_function("""() => {
            const v = document.getElementById('remote-video');
            return v.videoWidth > 0 && v.currentTime > 0; }""", timeout=TIMEOUT_MS)
    return times, requested


def report_bytes(requested):
    print("room page JS + CSS (uncompressed files as served by the portal):")
    total = 0
    for rel in SHIPPED:
        size = (ROOT / rel).stat().st_size
        total += size
        print(f"  {rel:<48} {size:>8,} B")
    listed = {"/" + rel for rel in SHIPPED}
    extra = sorted({re.sub(r"^https?://[^/]+", "", u) for u in requested} - listed)
    for path in extra:  # anything the page loaded that the list above misses
        file = ROOT / path.lstrip("/")
        size = file.stat().st_size if file.exists() else 0
        total += size
        print(f"  {path.lstrip('/'):<48} {size:>8,} B  (also requested)")
    print(f"  total {total / 1024:.1f} KB vs goal {BYTES_GOAL / 1024:.0f} KB "
          f"({total / BYTES_GOAL:.2f} of the budget)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reloads", type=int, default=5)
    args = parser.parse_args()
    logging.disable(logging.WARNING)

    with tempfile.TemporaryDirectory(prefix="bench-reconnect-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'portal.sqlite3'}"
        migrate(url)
        server = PortalServer(url, Path(tmp) / "instance").start()
        try:
            with data_app(url):
                pair = make_video_pair(located=False)  # the client confirms in the page
            server.wait_ready()
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
                try:
                    client, therapist = set_up_call(browser, server.url, pair)
                    times, requested = measure_reloads(client, therapist, args.reloads)
                finally:
                    browser.close()
        except Exception:
            print(server.log_tail(), file=sys.stderr)
            raise
        finally:
            server.stop()

    print(f"reconnect after a page reload, two headless Chromiums (fake camera/mic) through "
          f"`python -m portal` (threading), SQLite; {len(times)} reloads of the client page")
    for i, seconds in enumerate(times, 1):
        print(f"  reload {i}: reload → remote video playing again {seconds * 1000:7.0f} ms")
    median = statistics.median(times)
    print(f"  median {median * 1000:.0f} ms (goal ≤ {GOAL_S * 1000:.0f} ms)")
    report_bytes(requested)
    print(f"ratio: {median / GOAL_S:.2f}")


if __name__ == "__main__":
    main()
