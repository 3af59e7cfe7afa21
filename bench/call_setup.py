"""Call setup on the production stack (issue 12): from opening the sockets to both peers
connected, through the portal and through a bare relay doing the same steps.
Goal: ratio (portal median ÷ bare median) ≤ 1.2.

The stack is the stack suite's (tests/stack/services.Stack, started by bench/stack.py): nginx
with TLS → two gunicorn gevent processes of the portal → PostgreSQL and Redis. The baseline is
bench/bare_relay.py as two gevent processes sharing the same Redis, behind a second nginx
rendered from the same deploy/nginx-portal.conf (TLS, ip_hash): the same network path with
nothing of the portal in it (no sign-in, no database, no checks; its "admit" only forwards).

Per call, timed from the first socket's connect to both peers "connected":
  1. the client's socket connects (namespace c1 → c2's veth → nginx) and joins: "waiting";
  2. the therapist's socket connects (from c1) and joins: "in_call"; the therapist admits;
  3. the client gets "admitted" and announces; the therapist gets "peer_joined" (in the call)
     and offers; the client answers, both through "signal"; both peers reach "connected".
Then (not timed) the therapist sends the client back, both leave and drop their sockets.
The portal's two people signed in once over HTTPS (the therapist with TOTP); each call opens
fresh sockets with those sessions. The kinds alternate (bare, portal, bare, ...) after one
warm-up call of each, so machine load hits both alike; medians are reported.

Where things run: the Socket.IO clients in the client namespaces (every signaling packet takes
the production path: veth, nginx TLS, gunicorn, Redis between the two processes when ip_hash
puts c1 and c2 on different ones); the aiortc peers in this process's own namespace with host
candidates on 127.0.0.1, media directly peer to peer. Why not in the client namespaces: they
cannot reach each other, so the peers would go through coturn, whose allocations add the same
constant to both kinds and hide what the signaling costs; the ratio is about signaling.
A reference row shows two peers swapping SDP in-process (no signaling at all).

--profile runs the portal's workers and the bare relay under cProfile and prints where their
time went (this slows both; the ratio printed is then not the benchmark's).

    sudo .venv/bin/python bench/call_setup.py [--calls 15] [--profile]
"""
import argparse
import asyncio
import contextlib
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import load, print_both_profiles, profiled_apps, running_stack, start_bare
from tests.rtc import NS, Participant, Peer, data_app, make_video_pair, pin_loopback, sign_in
from tests.stack.netns import run_in

STEPS = ("client joined", "admitted", "offer sent", "connected")


class NsSocket(Participant):
    """A /video socket opened from client namespace `ns` (its threads stay there), with a
    signed-in session's cookies or none (bare relay)."""

    def __init__(self, url, ns, ca, cookies=None):
        super().__init__(url, None)
        self.ns = ns
        http = requests.Session()
        http.verify = str(ca)
        if cookies is not None:
            http.cookies.update(cookies)
        self.sio = socketio.Client(reconnection=False, http_session=http,
                                   logger=logging.getLogger("socketio.client"),
                                   engineio_logger=logging.getLogger("engineio.client"))
        for name in self.queues:
            self.sio.on(name, self._handler(name), namespace=NS)

    async def __aenter__(self):
        await asyncio.to_thread(run_in, self.ns, self.sio.connect, self.base_url,
                                namespaces=[NS], transports=["websocket"], wait_timeout=10)
        return self

    async def next_where(self, event, test, timeout=10):
        while True:
            message = await self.next(event, timeout)
            if test(message):
                return message


async def both_connected(a, b):
    return max(await asyncio.gather(a.wait_connected(), b.wait_connected()))


async def direct_call():
    """Reference: two peers in this process swap SDP directly; offer → both connected."""
    start = time.perf_counter()
    a, b = Peer(), Peer()
    try:
        await a.accept(await b.answer(await a.offer()))
        return await both_connected(a, b) - start
    finally:
        await asyncio.gather(a.close(), b.close())


async def one_call(target, appointment_id):
    """The timed steps (module docstring); returns (total, {step: seconds since start})."""
    bare = target["cookies"] is None
    room = {"appointment_id": appointment_id}
    as_ = (lambda role: {**room, "role": role}) if bare else (lambda role: room)
    marks = {}
    async with contextlib.AsyncExitStack() as exits:
        start = time.perf_counter()
        client = await exits.enter_async_context(NsSocket(
            target["url"], target["ns"]["c2"], target["ca"],
            None if bare else target["cookies"]["client"]))
        ack = await client.call("join", as_("client"))
        assert ack == {"ok": True, "state": "waiting"}, ack
        marks["client joined"] = time.perf_counter() - start
        therapist = await exits.enter_async_context(NsSocket(
            target["url"], target["ns"]["c1"], target["ca"],
            None if bare else target["cookies"]["therapist"]))
        ack = await therapist.call("join", as_("therapist"))
        assert ack == {"ok": True, "state": "in_call"}, ack
        assert await therapist.call("admit", as_("therapist")) == {"ok": True}
        await client.next("admitted")
        marks["admitted"] = time.perf_counter() - start
        client.sio.emit("announce", as_("client"), namespace=NS)  # as room.js on "admitted"
        await therapist.next_where("peer_joined", lambda m: m.get("role") == "client"
                                   and m.get("state") == "in_call")
        t_peer, c_peer = Peer(), Peer()
        exits.push_async_callback(t_peer.close)
        exits.push_async_callback(c_peer.close)
        offer = await t_peer.offer()
        assert await therapist.call("signal", {**as_("therapist"), "data": offer}) == {"ok": True}
        marks["offer sent"] = time.perf_counter() - start
        relayed = await client.next("signal")
        answer = await c_peer.answer(relayed["data"])
        assert await client.call("signal", {**as_("client"), "data": answer}) == {"ok": True}
        await t_peer.accept((await therapist.next("signal"))["data"])
        total = await both_connected(t_peer, c_peer) - start
        marks["connected"] = total
        # Not timed: back to the waiting room (the next call starts from there), leave.
        assert await therapist.call("send_back", as_("therapist")) == {"ok": True}
        await asyncio.gather(client.call("leave", as_("client")),
                             therapist.call("leave", as_("therapist")))
        errors = client.errors + therapist.errors
        assert not errors, errors
    return total, marks


async def measure(targets, calls):
    times = {name: [] for name in targets} | {"direct": []}
    steps = {name: {step: [] for step in STEPS} for name in targets}
    for target in targets.values():  # warm-up
        await one_call(target, target["appointment_id"])
    await direct_call()
    for _ in range(calls):
        for name, target in targets.items():
            try:
                total, marks = await one_call(target, target["appointment_id"])
            except Exception:
                print(f"a {name} call failed", file=sys.stderr)
                raise
            times[name].append(total)
            for step, value in marks.items():
                steps[name][step].append(value)
        times["direct"].append(await direct_call())
    return times, steps


def ms(values):
    return f"{statistics.median(values) * 1000:7.1f} ms  (min {min(values) * 1000:.1f}, " \
           f"max {max(values) * 1000:.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=15, help="timed calls of each kind (≥ 15)")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the portal's workers and the bare relay; print the top")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    if __import__("os").environ.get("BENCH_DEBUG"):
        logging.disable(logging.NOTSET)
        logging.basicConfig(level=logging.WARNING)
        for name in ("engineio.client", "socketio.client"):
            logging.getLogger(name).setLevel(logging.INFO)
    pin_loopback()
    load_before = load()
    with running_stack("cs") as stack, tempfile.TemporaryDirectory() as profiles:
        profile_dir = Path(profiles) if args.profile else None
        bare_url = start_bare(stack, profile_dir=profile_dir)
        with data_app(stack.database_url):
            pair = make_video_pair()
        cookies = {
            "therapist": run_in(stack.net.clients["c1"], sign_in, stack.base_url,
                                pair.therapist_email, pair.totp_secret).cookies,
            "client": run_in(stack.net.clients["c2"], sign_in, stack.base_url,
                             pair.client_email).cookies}
        if profile_dir:  # after signing in (sessions live in the database): calls only
            profiled_apps(stack, profile_dir)
        common = {"ns": stack.net.clients, "ca": stack.ca}
        targets = {"bare": {**common, "url": bare_url, "cookies": None, "appointment_id": 1},
                   "portal": {**common, "url": stack.base_url, "cookies": cookies,
                              "appointment_id": pair.appointment_id}}
        times, steps = asyncio.run(measure(targets, max(args.calls, 15)))
        load_after = load()
        if profile_dir:
            print_both_profiles(stack, profile_dir)

    print(f"call setup on the stack, {len(times['portal'])} calls of each kind after a warm-up, "
          f"alternating; medians. Sockets from client namespaces through nginx TLS to two "
          f"gevent processes + Redis; aiortc peers on loopback (host candidates).")
    print(f"machine: {load_before} before, {load_after} after")
    print(f"  reference: in-process SDP swap, offer → connected : {ms(times['direct'])}")
    for name in ("bare", "portal"):
        label = "bare relay (bare_relay.py)" if name == "bare" else "portal (gunicorn ×2, PG)"
        print(f"  {label:<27} connect → connected   : {ms(times[name])}")
        print("      at: " + ", ".join(f"{step} {statistics.median(steps[name][step]) * 1000:.0f}"
                                      for step in STEPS) + " ms (medians since connect)")
    if args.profile:
        print("(--profile: both servers ran under cProfile; this ratio is not the benchmark's)")
    print(f"ratio: {statistics.median(times['portal']) / statistics.median(times['bare']):.2f}")


if __name__ == "__main__":
    main()
