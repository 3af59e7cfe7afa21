"""Reconnection on the production stack (issue 12), Chromium in c1 (therapist) and c2 (client):

1. Page reload (the ratio): mid-call the client reloads its page; timed from the reload to its
   remote video playing again (a picture, the clock moving past its first reading). Portal vs
   the bare room page (bench/bare_room: the portal's room markup and its own room.js, on
   bench/bare_relay.py ×2 behind a second nginx), reloads in blocks of --block per call, the
   kinds taking turns, so machine load hits both alike. Goal: ratio ≤ 1.2.
2. Client link down 5 s (printed, not in the ratio; goal ≤ 1 s): the client's own link goes down
   (stack.net.link("c2", up=False), as a laptop's Wi-Fi) and comes back; seconds from its return
   to remote video frames decoding again on both pages (getStats framesDecoded growing, polled
   every 50 ms in the page: ±50 ms). Both kinds run the same room.js; both are printed.
Also printed: the JS + CSS bytes the portal's room page ships (goal ≤ 150 KB).

Setup as bench/browser_call.py (the stack suite's stack, TURN through coturn, the portal's
people signed in before each call, not timed). --profile prints, for the outages, the pages'
connection and ICE states around the outage (where the seconds go).

    sudo .venv/bin/python bench/reconnect.py [--reloads 10] [--block 5] [--outages 2] [--profile]
"""
import argparse
import logging
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.browser_call import admitted_call, rooms, stack_browsers
from bench.stack import load
from tests.stack.browser import FRAME_WATCH

ROOT = Path(__file__).resolve().parents[1]

GOAL = 1.2
LINK_GOAL_S = 1.0
DOWN_S = 5.0
BYTES_GOAL = 150 * 1024
TIMEOUT_MS = 30_000

# True once the remote video has a picture and its clock has moved since first seen
# (state on window, so a reload starts afresh).
PLAYING_AGAIN = """() => {
    const v = document.getElementById('remote-video');
    if (!v || v.videoWidth === 0 || v.currentTime === 0) return false;
    if (window.__firstTime === undefined) { window.__firstTime = v.currentTime; return false; }
    return v.currentTime > window.__firstTime;
}"""
FIRST_FRAME_AFTER = "(t) => (window.__frames || []).find((f) => f > t) ?? null"
# Connection states of the page's peer connections, recorded on every change (for --profile).
STATE_LOG = """(() => {
  window.__states = [];
  const Original = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new Original(...args);
    const n = (window.__pcCount = (window.__pcCount || 0) + 1);
    const log = (what) => window.__states.push([Date.now(), `pc${n} ${what}`]);
    pc.addEventListener('connectionstatechange', () => log(`connection ${pc.connectionState}`));
    pc.addEventListener('iceconnectionstatechange', () => log(`ice ${pc.iceConnectionState}`));
    pc.addEventListener('signalingstatechange', () => log(`signaling ${pc.signalingState}`));
    log('created');
    return pc;
  };
  window.RTCPeerConnection.prototype = Original.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Original);
})();"""
# Where a reload's time went, in ms since the new page's navigation began: HTML received, DOM
# ready (modules run), the therapist's offer arrived (the client builds its connection then),
# ICE/DTLS connected, and now (the video just started playing).
RELOAD_STEPS = ("html", "dom ready", "offer in", "connected", "playing")
RELOAD_MARKS = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  const at = (what) => {
    const e = (window.__states || []).find(([, w]) => w.endsWith(what));
    return e ? e[0] - performance.timeOrigin : null;
  };
  return [nav.responseEnd, nav.domContentLoadedEventEnd, at('created'),
          at('connection connected'), performance.now()];
}"""
SHIPPED = re.compile(r"\.(js|css)$")


def call(browsers, room, requested=None):
    """An admitted call with both videos playing: (client page, therapist page)."""
    client, therapist = room.pages(browsers, scripts=(FRAME_WATCH, STATE_LOG))
    if requested is not None:
        client.on("request", lambda r: requested.setdefault(r.url.split("?")[0], r))
    admitted_call(client, therapist, room)
    return client, therapist


def close(*pages):
    for page in pages:
        page.context.close()


def reload_once(client, therapist, marks):
    """Reload the client's page; seconds until its remote video plays again (steps → marks)."""
    client.wait_for_timeout(1000)  # a steady call before each reload
    start = time.perf_counter()
    client.reload()
    client.wait_for_function(PLAYING_AGAIN, timeout=TIMEOUT_MS)
    seconds = time.perf_counter() - start
    for step, value in zip(RELOAD_STEPS, client.evaluate(RELOAD_MARKS), strict=True):
        marks[step].append(value)
    if client.locator("#waiting").is_visible():
        raise RuntimeError("a reload sent the client back to the waiting room")
    therapist.wait_for_function(PLAYING_AGAIN, timeout=TIMEOUT_MS)
    return seconds


def outage(stack, client, therapist):
    """The client's link down DOWN_S seconds; seconds from its return to frames decoding again
    on (therapist, client); and the pages' state changes around it."""
    client.wait_for_timeout(2000)
    down_at = time.time() * 1000
    stack.net.link("c2", up=False)
    time.sleep(DOWN_S)
    stack.net.link("c2", up=True)
    up_at = time.time() * 1000
    back = []
    for page in (therapist, client):
        page.wait_for_function(f"() => ({FIRST_FRAME_AFTER})({up_at}) !== null",
                               timeout=TIMEOUT_MS * 2, polling=50)
        back.append((page.evaluate(FIRST_FRAME_AFTER, up_at) - up_at) / 1000)
    client.wait_for_timeout(500)
    states = {name: [(round((t - down_at) / 1000, 2), what) for t, what
                     in page.evaluate("window.__states") if t >= down_at - 100]
              for name, page in (("therapist", therapist), ("client", client))}
    return back, states


def report_bytes(requested):
    """The JS and CSS the portal's room page loaded (files as served), against the budget."""
    total = 0
    print("  portal room page JS + CSS (uncompressed files as served):")
    for url in sorted(requested):
        path = re.sub(r"^https?://[^/]+/", "", url)
        if not SHIPPED.search(path):
            continue
        size = (ROOT / path).stat().st_size if (ROOT / path).is_file() else 0
        total += size
        print(f"    {path:<52} {size:>8,} B")
    print(f"    total {total / 1024:.1f} KB vs goal {BYTES_GOAL / 1024:.0f} KB "
          f"({total / BYTES_GOAL:.2f} of the budget)")


def ms(values):
    return (f"{statistics.median(values) * 1000:6.0f} ms  (min {min(values) * 1000:.0f}, "
            f"max {max(values) * 1000:.0f}, n={len(values)})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reloads", type=int, default=10, help="timed reloads of each kind")
    parser.add_argument("--block", type=int, default=5, help="reloads per call")
    parser.add_argument("--outages", type=int, default=2, help="link outages of each kind")
    parser.add_argument("--profile", action="store_true",
                        help="print the pages' connection states around each outage")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    load_before = load()
    reloads = {"bare": [], "portal": []}
    links = {"bare": [], "portal": []}
    states = {"bare": [], "portal": []}
    marks = {kind: {step: [] for step in RELOAD_STEPS} for kind in reloads}
    requested = {}
    blocks = -(-args.reloads // args.block)
    with stack_browsers("rc") as (stack, bare_url, browsers):
        bare_rooms, portal_rooms = rooms(stack, bare_url, blocks)
        for index in range(blocks):
            for kind, room in (("bare", bare_rooms[index]), ("portal", portal_rooms[index])):
                client, therapist = call(browsers, room, requested if kind == "portal" else None)
                try:
                    for _ in range(min(args.block, args.reloads - len(reloads[kind]))):
                        reloads[kind].append(reload_once(client, therapist, marks[kind]))
                    if index < args.outages:
                        back, changes = outage(stack, client, therapist)
                        links[kind].append(back)
                        states[kind].append(changes)
                finally:
                    close(client, therapist)

    print(f"reconnection on the stack: Chromium in c1 (therapist) and c2 (client), media "
          f"through coturn; {args.reloads} client reloads of each kind, {blocks} calls each")
    print("  page reload → the client's remote video playing again:")
    print(f"    bare relay page: {ms(reloads['bare'])}")
    print(f"    portal:          {ms(reloads['portal'])}")
    ratio = statistics.median(reloads["portal"]) / statistics.median(reloads["bare"])
    if args.profile or ratio > GOAL:
        print("    steps (median ms since the reloaded page's navigation began):")
        for step in RELOAD_STEPS:
            values = {k: [v for v in marks[k][step] if v is not None] for k in marks}
            print(f"      {step:<10} " + "   ".join(
                f"{k} {statistics.median(v):6.0f}" if v else f"{k}      –"
                for k, v in values.items()))
    print(f"  client link down {DOWN_S:.0f} s → remote video frames decoding again "
          f"(seconds after the link returns; goal ≤ {LINK_GOAL_S:.0f} s, not in the ratio):")
    for kind in ("bare", "portal"):
        for i, (t_back, c_back) in enumerate(links[kind], 1):
            print(f"    {kind:<6} outage {i}: therapist receives after {t_back:5.2f} s, "
                  f"client after {c_back:5.2f} s")
            if args.profile or max(t_back, c_back) > LINK_GOAL_S:
                for name, changes in states[kind][i - 1].items():
                    print(f"      {name} (s since link down): "
                          + "; ".join(f"{t:.2f} {what}" for t, what in changes))
    report_bytes(requested)
    print(f"  machine: {load_before} before, {load()} after; goal ratio ≤ {GOAL}")
    print(f"ratio: {ratio:.2f}")


if __name__ == "__main__":
    main()
