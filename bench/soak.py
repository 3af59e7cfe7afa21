"""Soak (issue 12): N two-party calls held at once for --minutes on the production stack; every
call must stay up (goal: 0 drops), the app processes' memory must stay put, and signaling must
stay responsive. The ratio is the 95th percentile of the signaling round trip under load ÷ the
same measured on the idle stack just before.

The stack is the stack suite's (bench/stack.py): nginx with TLS → two gunicorn gevent
processes of the portal → PostgreSQL and Redis. Each call: a therapist's socket from client
namespace c1 and a client's from c2, through nginx, join, admit, then two aiortc peers
(offer/answer through "signal") that send each other video for the whole soak; the peers run
in this process with host candidates on 127.0.0.1 (as in bench/call_setup.py: the app never
sees media; the namespaces cannot reach each other except through coturn). Every socket
sends the room page's heartbeat every 15 s ({connected: true}, as static/js/video/room.js),
so each app process also does the keep-alive write about once a minute per person.

The round trip is a probe: one more admitted pair, without media, whose therapist sends a
heartbeat every --probe-interval seconds and times the acknowledgement; first --idle-probes of
them on the idle stack (the baseline), then during the whole soak.
A drop is a call whose peer connection leaves "connected", whose socket disconnects, or whose
video stops arriving for more than 5 s. Memory: the resident size (VmRSS) of the two gunicorn
workers once all calls are up, and at the end.
Sessions are minted (UserSession rows plus the production session cookie), as in
bench/signaling.py: 2N sign-ins would hit the login rate limit.

    sudo .venv/bin/python bench/soak.py [--calls 4] [--minutes 10] [--profile]
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

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.call_setup import NsSocket
from bench.signaling import minted_cookie
from bench.stack import load, print_profile, profiled_apps, running_stack, stop_apps
from tests.rtc import Peer, data_app, make_video_pair, pin_loopback
from tests.stack.call import FrameWatch

HEARTBEAT_SECONDS = 15
FROZEN_AFTER = 5.0


def people(database_url, pairs):
    """`pairs` video pairs, each with minted production session cookies."""
    from portal.config import ProductionConfig
    from portal.extensions import db

    made = []
    name = ProductionConfig.SESSION_COOKIE_NAME
    with data_app(database_url) as app:
        for _ in range(pairs):
            pair = make_video_pair(with_totp=False)
            made.append({"appointment_id": pair.appointment_id,
                         "therapist": {name: minted_cookie(app, pair.therapist_id, name)
                                       .split("=", 1)[1]},
                         "client": {name: minted_cookie(app, pair.client_id, name)
                                    .split("=", 1)[1]}})
        db.session.commit()
    return made


async def admitted(stack, exits, pair):
    """Both sockets of a pair joined (client first), the client admitted."""
    room = {"appointment_id": pair["appointment_id"]}
    client = await exits.enter_async_context(NsSocket(
        stack.base_url, stack.net.clients["c2"], stack.ca, pair["client"]))
    assert await client.call("join", room) == {"ok": True, "state": "waiting"}
    therapist = await exits.enter_async_context(NsSocket(
        stack.base_url, stack.net.clients["c1"], stack.ca, pair["therapist"]))
    assert await therapist.call("join", room) == {"ok": True, "state": "in_call"}
    assert await therapist.call("admit", room) == {"ok": True}
    await client.next("admitted")
    return therapist, client, room


class Call:
    """One held call: its two sockets, two peers, and what watches them."""

    def __init__(self, therapist, client, room, peers, watches):
        self.therapist, self.client, self.room = therapist, client, room
        self.peers, self.watches = peers, watches
        self.dropped = None

    def check(self):
        """The reason this call counts as dropped, or None."""
        if self.dropped:
            return self.dropped
        now = time.perf_counter()
        for peer in self.peers:
            if peer.pc.connectionState != "connected":
                self.dropped = f"peer connection {peer.pc.connectionState}"
        for socket in (self.therapist, self.client):
            if not socket.sio.connected:
                self.dropped = "socket disconnected"
        for watch in self.watches:
            if not watch.times or now - watch.times[-1] > FROZEN_AFTER:
                self.dropped = "video stopped"
        return self.dropped


async def start_call(stack, exits, pair):
    therapist, client, room = await admitted(stack, exits, pair)
    t_peer, c_peer = Peer(), Peer()
    exits.push_async_callback(t_peer.close)
    exits.push_async_callback(c_peer.close)
    offer = await t_peer.offer()
    assert await therapist.call("signal", {**room, "data": offer}) == {"ok": True}
    answer = await c_peer.answer((await client.next("signal"))["data"])
    assert await client.call("signal", {**room, "data": answer}) == {"ok": True}
    await t_peer.accept((await therapist.next("signal"))["data"])
    await asyncio.gather(t_peer.wait_connected(20), c_peer.wait_connected(20))
    watches = [FrameWatch(t_peer).start(), FrameWatch(c_peer).start()]
    for watch in watches:
        exits.callback(watch.stop)
    await asyncio.gather(therapist.call("connected", room), client.call("connected", room))
    return Call(therapist, client, room, (t_peer, c_peer), watches)


async def heartbeats(call, stop):
    """The room page's heartbeat, every 15 s, from both sockets."""
    while not stop.is_set():
        with contextlib.suppress(Exception):  # a failed socket shows up as a drop
            await asyncio.gather(*(s.call("heartbeat", {**call.room, "connected": True})
                                   for s in (call.therapist, call.client)))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), HEARTBEAT_SECONDS)


async def probe(socket, room, count=None, until=None, interval=1.0):
    """Heartbeat round trips (seconds) of one socket, `count` of them or until `until` is set."""
    rtts = []
    while (count is None or len(rtts) < count) and not (until and until.is_set()):
        start = time.perf_counter()
        ack = await socket.call("heartbeat", room)
        rtts.append(time.perf_counter() - start)
        assert ack and ack.get("ok"), ack
        await asyncio.sleep(interval)
    return rtts


def rss_kb(stack):
    """VmRSS (kB) of each gunicorn worker of the stack (children of app0, app1)."""
    sizes = {}
    for name in ("app0", "app1"):
        group = stack.procs[name].pid
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == group and int(fields[1]) == group:  # parent: the master
                    status = (stat.parent / "status").read_text()
                    sizes[name] = int(status.split("VmRSS:")[1].split()[0])
            except (OSError, IndexError, ValueError):
                continue
    return sizes


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def soak(stack, pairs, args):
    async with contextlib.AsyncExitStack() as exits:
        probe_t, _, probe_room = await admitted(stack, exits, pairs[0])
        await probe(probe_t, probe_room, count=3, interval=0.2)  # warm-up
        idle = await probe(probe_t, probe_room, count=args.idle_probes,
                           interval=args.probe_interval)
        calls = []
        for pair in pairs[1:]:
            calls.append(await start_call(stack, exits, pair))
        rss_start = rss_kb(stack)
        stop = asyncio.Event()
        beats = [asyncio.ensure_future(heartbeats(call, stop)) for call in calls]
        prober = asyncio.ensure_future(probe(probe_t, probe_room, until=stop,
                                             interval=args.probe_interval))
        deadline = time.perf_counter() + args.minutes * 60
        while time.perf_counter() < deadline:
            await asyncio.sleep(1)
            for call in calls:
                call.check()
        stop.set()
        loaded = await prober
        await asyncio.gather(*beats)
        rss_end = rss_kb(stack)
        drops = [call.dropped for call in calls if call.check()]
        errors = [e for call in calls for s in (call.therapist, call.client) for e in s.errors]
    return {"idle": idle, "loaded": loaded, "calls": len(calls), "drops": drops,
            "rss": (rss_start, rss_end), "errors": errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=4, help="calls held at once")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--probe-interval", type=float, default=1.0)
    parser.add_argument("--idle-probes", type=int, default=30)
    parser.add_argument("--profile", action="store_true",
                        help="cProfile the portal's workers (CPU time); print the top entries")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    pin_loopback()
    load_before = load()
    with running_stack("sk") as stack, tempfile.TemporaryDirectory() as profiles:
        profile_dir = Path(profiles) if args.profile else None
        if profile_dir:
            profiled_apps(stack, profile_dir)
        pairs = people(stack.database_url, args.calls + 1)
        result = asyncio.run(soak(stack, pairs, args))
        load_after = load()
        if profile_dir:
            stop_apps(stack)
            print_profile(profile_dir.glob("app-*.prof"), title="portal workers (both)",
                          own_code="/portal/")

    idle, loaded = result["idle"], result["loaded"]
    print(f"soak: {result['calls']} two-party aiortc calls (video both ways) held "
          f"{args.minutes:g} min on the stack (nginx TLS, gunicorn ×2, PostgreSQL, Redis); "
          f"sockets from the client namespaces, heartbeats every {HEARTBEAT_SECONDS} s")
    print(f"machine: {load_before} before, {load_after} after")
    print(f"calls held: {result['calls'] - len(result['drops'])} of {result['calls']}; "
          f"drops: {len(result['drops'])}" + (f" ({'; '.join(result['drops'])})"
                                             if result["drops"] else ""))
    if result["errors"]:
        print(f"error events: {len(result['errors'])}, e.g. {result['errors'][:3]}")
    start, end = result["rss"]
    print("app workers' RSS: " + ", ".join(
        f"{name} {start.get(name, 0) / 1024:.1f} → {end.get(name, 0) / 1024:.1f} MB "
        f"({(end.get(name, 0) - start.get(name, 0)) / 1024:+.1f})" for name in sorted(start)))
    for label, values in (("idle (baseline)", idle), ("under load", loaded)):
        print(f"signaling RTT (heartbeat → ack), {label}: median "
              f"{statistics.median(values) * 1000:.1f} ms, p95 "
              f"{percentile(values, 0.95) * 1000:.1f} ms, n={len(values)}")
    if args.profile:
        print("(--profile: the app workers ran under cProfile)")
    print(f"ratio: {percentile(loaded, 0.95) / percentile(idle, 0.95):.2f}")


if __name__ == "__main__":
    main()
