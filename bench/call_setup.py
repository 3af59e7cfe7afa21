"""Call setup through the portal (issue 5): how much slower is a call to start when its signaling
goes through the portal than when the same two peers swap SDP directly? Goal: ratio ≤ 1.5.

The portal runs as a real server process (`python -m portal`, threading mode, or with --gunicorn
the production worker: gunicorn + gevent-websocket) on a temporary migrated SQLite database. A
therapist (with TOTP) and a client sign in over HTTP; the client is admitted once. Then, per call:

- portal: both sockets send "join" (the client goes straight into the call: admission is
  stored), the therapist's aiortc peer offers, the client's answers, both through "signal";
  timed from the joins until both peer connections are "connected"; then both "leave".
- baseline: two fresh aiortc peers in this process, offer → answer handed over directly, timed
  until both are "connected" (the ratio's denominator).
- bare relay, for reference: the same as "portal" through the bare python-socketio relay of
  bench/signaling.py (gevent, no checks), to show what any Socket.IO hop costs.

The kinds alternate (baseline, bare, portal, baseline, ...) after a warm-up, so load on the
machine hits all alike; medians are reported. ICE uses host candidates on 127.0.0.1 only.

With --postgres the portal uses a fresh PostgreSQL database (created on PG_URL, default
postgresql+psycopg://postgres@127.0.0.1:5432/test, and dropped afterwards), as in production,
where the two joins of a call do not queue for SQLite's single writer.

    .venv/bin/python bench/call_setup.py [--calls 15] [--gunicorn] [--postgres]
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

from bench.signaling import BareServer
from tests.rtc import (
    Participant,
    Peer,
    PortalServer,
    cookie_header,
    data_app,
    make_video_pair,
    migrate,
    negotiate,
    pin_loopback,
    sign_in,
)


async def both_connected(a, b):
    return max(await asyncio.gather(a.wait_connected(), b.wait_connected()))


async def baseline_call():
    """Two peers in this process swap SDP directly: offer → both connected (seconds)."""
    start = time.perf_counter()
    a, b = Peer(), Peer()
    try:
        answer = await b.answer(await a.offer())
        await a.accept(answer)
        return await both_connected(a, b) - start
    finally:
        await asyncio.gather(a.close(), b.close())


def drain(*participants):
    for participant in participants:
        for queue in participant.queues.values():
            while not queue.empty():
                queue.get_nowait()


async def relay_call(therapist, client, appointment_id, bare=False):
    """Both join → therapist offers → client answers → both connected (seconds); then leave."""
    room = {"appointment_id": appointment_id}
    joins = ({**room, "role": "therapist"}, {**room, "role": "client"}) if bare else (room, room)
    start = time.perf_counter()
    acks = await asyncio.gather(therapist.call("join", joins[0]), client.call("join", joins[1]))
    assert [a["state"] for a in acks] == ["in_call", "in_call"], acks
    joined = time.perf_counter()
    async with contextlib.AsyncExitStack() as stack:
        t_peer, c_peer = await negotiate(therapist, client, appointment_id, stack)
        connected = await both_connected(t_peer, c_peer)
    await asyncio.gather(therapist.call("leave", room), client.call("leave", room))
    drain(therapist, client)
    return connected - start, connected - joined


async def measure(url, bare_url, pair, cookies, calls):
    room = {"appointment_id": pair.appointment_id}
    async with contextlib.AsyncExitStack() as stack:
        therapist = await stack.enter_async_context(Participant(url, cookies[0]))
        client = await stack.enter_async_context(Participant(url, cookies[1]))
        bare_t = await stack.enter_async_context(Participant(bare_url, None))
        bare_c = await stack.enter_async_context(Participant(bare_url, None))
        assert (await therapist.call("join", room))["state"] == "in_call"
        assert (await client.call("join", room))["state"] == "waiting"
        assert await therapist.call("admit", room) == {"ok": True}
        await asyncio.gather(therapist.call("leave", room), client.call("leave", room))
        drain(therapist, client)

        await baseline_call(), await relay_call(bare_t, bare_c, 1, bare=True)
        await relay_call(therapist, client, pair.appointment_id)
        times = {"baseline": [], "bare": [], "bare_signals": [], "portal": [],
                 "portal_signals": []}
        for _ in range(calls):
            times["baseline"].append(await baseline_call())
            total, after_join = await relay_call(bare_t, bare_c, 1, bare=True)
            times["bare"].append(total)
            times["bare_signals"].append(after_join)
            total, after_join = await relay_call(therapist, client, pair.appointment_id)
            times["portal"].append(total)
            times["portal_signals"].append(after_join)
        errors = therapist.errors + client.errors
        assert not errors, errors
    return times


@contextlib.contextmanager
def postgres_database():
    """A new PostgreSQL database for this run, dropped at the end."""
    import os
    import uuid

    from sqlalchemy import create_engine, text
    base = os.environ.get("PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"bench_call_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def ms(values):
    return f"{statistics.median(values) * 1000:6.1f} ms  (min {min(values) * 1000:.1f}, " \
           f"max {max(values) * 1000:.1f})"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=15, help="calls of each kind (≥ 10)")
    parser.add_argument("--gunicorn", action="store_true",
                        help="serve with gunicorn + GeventWebSocketWorker instead of "
                             "`python -m portal` (threading)")
    parser.add_argument("--postgres", action="store_true",
                        help="a fresh PostgreSQL database instead of a SQLite file")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    pin_loopback()

    with tempfile.TemporaryDirectory(prefix="bench-call-") as tmp, contextlib.ExitStack() as dbs:
        url = dbs.enter_context(postgres_database()) if args.postgres else \
            f"sqlite:///{Path(tmp) / 'portal.sqlite3'}"
        migrate(url)
        server = PortalServer(url, Path(tmp) / "instance", gunicorn=args.gunicorn).start()
        bare = BareServer().start()
        try:
            with data_app(url):
                pair = make_video_pair()
            server.wait_ready(), bare.wait_ready()
            cookies = (cookie_header(sign_in(server.url, pair.therapist_email, pair.totp_secret)),
                       cookie_header(sign_in(server.url, pair.client_email)))
            times = asyncio.run(measure(server.url, bare.url, pair, cookies,
                                        max(args.calls, 10)))
        finally:
            server.stop()
            bare.stop()

    mode = "gunicorn + gevent-websocket" if args.gunicorn else "python -m portal (threading)"
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(f"call setup, two aiortc peers on loopback, {len(times['portal'])} calls of each kind, "
          f"medians; portal: {mode}, {database}; sessions signed in over HTTP (TOTP for the "
          f"therapist)")
    print(f"  baseline  in-process SDP swap, offer → connected : {ms(times['baseline'])}")
    print(f"  bare      Socket.IO relay, join → connected      : {ms(times['bare'])}")
    print(f"            of which offer → connected (2 signals) : {ms(times['bare_signals'])}")
    print(f"  portal    join → connected                       : {ms(times['portal'])}")
    print(f"            of which offer → connected (2 signals) : {ms(times['portal_signals'])}")
    print(f"  (bare relay / baseline: "
          f"{statistics.median(times['bare']) / statistics.median(times['baseline']):.2f})")
    print(f"ratio: {statistics.median(times['portal']) / statistics.median(times['baseline']):.2f}")


if __name__ == "__main__":
    main()
