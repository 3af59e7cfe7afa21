"""A browser call on the production stack (issue 12): two Chromiums open the room, the client
waits, the therapist admits, both see the other's video playing. Portal vs a bare relay page
doing the same steps. Goal: ratio (portal median ÷ bare median) ≤ 1.2.

Where things run (bench/stack.py): the stack suite's stack (nginx TLS → two gunicorn gevent
processes → PostgreSQL, Redis; coturn) in a server namespace. The therapist's Chromium runs in
client namespace c1, the client's in c2 (tests/stack/browser.py); the two cannot reach each
other, so media goes through coturn with TURN credentials, as across two home networks.
- portal: the room page /sessions/N through nginx; both people signed in beforehand (not timed;
  the therapist with TOTP), a fresh pair and appointment per call.
- bare: bench/bare_room/ (the portal's room markup and the portal's own room.js, unchanged)
  served by bench/bare_relay.py ×2 processes sharing the stack's Redis, behind a second nginx
  rendered from deploy/nginx-portal.conf (TLS, ip_hash). No sign-in, no database, no checks.
  Its people get their own TURN credentials for the same coturn in the page's query string
  (&ice=, see bare_room/boot.js), minted here as the portal mints them per person.

Per call, fresh browser contexts, then timed from the client's page load:
  1. the client opens the room and shows "You are in the waiting room" (page, camera, socket);
  2. the therapist opens the room; its Admit button shows and is clicked;
  3. both remote <video>s play (a picture, the clock moving).
The kinds alternate (bare, portal, bare, ...) after one warm-up call of each; medians are
reported. --profile prints the medians of the three steps (where the time goes).

    sudo .venv/bin/python bench/browser_call.py [--calls 10] [--profile]
"""
import argparse
import contextlib
import json
import logging
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from playwright.sync_api import sync_playwright

from bench.stack import load, running_stack, start_bare
from tests.factories import DEFAULT_PASSWORD
from tests.rtc import data_app, make_video_pair
from tests.stack.browser import PLAYING, browsers_in, person, sign_in

STEPS = ("client waiting", "admit clicked", "both playing")
GOAL = 1.2
# What a page shows and its connections' states, for a call that does not come up.
STATE = """() => { const v = document.getElementById('remote-video');
    return {status: document.getElementById('room-status').textContent,
            picture: v.videoWidth, time: v.currentTime, paused: v.paused, src: !!v.srcObject,
            pcs: (window.__pcs || []).map((p) => `${p.connectionState}/${p.iceConnectionState}/`
                                                + p.signalingState)}; }"""


def turn_servers(env, user_id):
    """The iceServers the portal hands a person (STUN_URLS; TURN_URLS with a credential of
    TURN_SECRET for `user_id`), for a bare page's &ice=."""
    from portal.core.time import utcnow
    from portal.video.turn import credentials
    username, password = credentials(env["TURN_SECRET"], user_id, utcnow() + timedelta(hours=2))
    split = lambda name: [u.strip() for u in env.get(name, "").split(",") if u.strip()]  # noqa: E731
    servers = [{"urls": split("STUN_URLS")}] if split("STUN_URLS") else []
    return servers + [{"urls": split("TURN_URLS"), "username": username, "credential": password}]


class Room:
    """Where the two pages of one call go, for either kind."""

    def __init__(self, kind, base_url, appointment_id, pair=None, env=None):
        self.kind, self.base_url, self.pair, self.env = kind, base_url, pair, env
        self.appointment_id = appointment_id

    def url(self, role):
        if self.kind == "portal":
            return f"/sessions/{self.appointment_id}"
        user_id = 2 * self.appointment_id + (role == "client")  # one TURN user per person
        ice = quote(json.dumps(turn_servers(self.env, user_id)))
        return f"/bare/?appointment={self.appointment_id}&role={role}&ice={ice}"

    def pages(self, browsers, scripts=()):
        """Fresh contexts for both people, not timed: the portal's sign in; for the bare kind
        a page on its origin, so both start with a warm connection and the site's stylesheet."""
        client = person(browsers["client"], self.base_url, scripts=scripts)
        therapist = person(browsers["therapist"], self.base_url, scripts=scripts)
        if self.pair is not None:
            sign_in(client, self.pair.client_email, DEFAULT_PASSWORD)
            sign_in(therapist, self.pair.therapist_email, DEFAULT_PASSWORD, self.pair.totp_secret)
        else:
            for page in (client, therapist):
                page.goto("/bare/warm.html")
        return client, therapist


def admitted_call(client, therapist, room):
    """The timed steps (module docstring) on two fresh pages: {step: seconds since start}."""
    marks = {}
    start = time.perf_counter()
    client.goto(room.url("client"))
    client.get_by_role("heading", name="You are in the waiting room").wait_for()
    marks["client waiting"] = time.perf_counter() - start
    therapist.goto(room.url("therapist"))
    therapist.locator("#admit").click()
    marks["admit clicked"] = time.perf_counter() - start
    for page in (client, therapist):
        try:
            page.wait_for_function(PLAYING)
        except Exception as exc:
            raise RuntimeError(f"{room.kind} call {room.appointment_id}: no video; client "
                               f"{client.evaluate(STATE)}, therapist {therapist.evaluate(STATE)}"
                               ) from exc
    marks["both playing"] = time.perf_counter() - start
    return marks


def one_call(browsers, room):
    """One call in fresh contexts, closed after: (total seconds, {step: seconds})."""
    client, therapist = room.pages(browsers)
    try:
        marks = admitted_call(client, therapist, room)
        return marks["both playing"], marks
    finally:
        for page in (client, therapist):
            page.context.close()


def rooms(stack, bare_url, count):
    """`count` rooms of each kind: a fresh portal pair and appointment, a fresh bare number."""
    with data_app(stack.database_url):
        pairs = [make_video_pair() for _ in range(count)]
    return ([Room("bare", bare_url, 1000 + i, env=stack.env) for i in range(count)],
            [Room("portal", stack.base_url, p.appointment_id, p) for p in pairs])


@contextlib.contextmanager
def stack_browsers(prefix):
    """The stack, the bare relay behind its nginx, and a Chromium in c1 and in c2."""
    with running_stack(prefix) as stack, tempfile.TemporaryDirectory() as tmp, \
            sync_playwright() as pw:
        bare_url = start_bare(stack)
        namespaces = {"therapist": stack.net.clients["c1"], "client": stack.net.clients["c2"]}
        with browsers_in(pw, namespaces, tmp, trusted_cert=stack.cert) as browsers:
            yield stack, bare_url, browsers


def ms(values):
    return (f"{statistics.median(values) * 1000:7.0f} ms  (min {min(values) * 1000:.0f}, "
            f"max {max(values) * 1000:.0f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=10, help="timed calls of each kind (≥ 10)")
    parser.add_argument("--profile", action="store_true", help="print the steps' medians")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    load_before = load()
    times = {"bare": [], "portal": []}
    steps = {kind: {step: [] for step in STEPS} for kind in times}
    with stack_browsers("bc") as (stack, bare_url, browsers):
        bare_rooms, portal_rooms = rooms(stack, bare_url, args.calls + 1)
        for room in (bare_rooms[0], portal_rooms[0]):  # warm-up
            one_call(browsers, room)
        for bare, portal in zip(bare_rooms[1:], portal_rooms[1:], strict=True):
            for kind, room in (("bare", bare), ("portal", portal)):
                total, marks = one_call(browsers, room)
                times[kind].append(total)
                for step, value in marks.items():
                    steps[kind][step].append(value)
    print(f"browser call on the stack: room opened → admitted → both remote videos playing; "
          f"Chromium in c1 (therapist) and c2 (client), media through coturn; "
          f"{args.calls} calls of each kind after a warm-up")
    print(f"  bare relay page (bare_relay.py ×2 + Redis behind nginx): {ms(times['bare'])}")
    print(f"  portal (nginx → gunicorn gevent ×2, PostgreSQL, Redis):  {ms(times['portal'])}")
    ratio = statistics.median(times["portal"]) / statistics.median(times["bare"])
    if args.profile or ratio > GOAL:
        print("  steps (median seconds since the client opened the room):")
        for step in STEPS:
            print(f"    {step:<15} bare {statistics.median(steps['bare'][step]) * 1000:6.0f} ms"
                  f"   portal {statistics.median(steps['portal'][step]) * 1000:6.0f} ms")
    print(f"  machine: {load_before} before, {load()} after; goal ratio ≤ {GOAL}")
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
