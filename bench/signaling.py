"""Signaling throughput across two app processes (issue 12): 200 Socket.IO clients in 100 rooms,
each sending 50 "signal" events (ICE-candidate or SDP sized) that are relayed to its peer on the
OTHER process through Redis and acknowledged. Goal: portal msgs/s ÷ bare msgs/s ≥ 0.8.

Both run on the production stack (bench/stack.py, tests/stack/services.Stack), in its server
namespace, with its Redis:
- portal: the stack's two gunicorn processes (GeventWebSocketWorker, PORTAL_ENV=production,
  PostgreSQL, REDIS_URL) on 8001 and 8002;
- bare: bench/bare_relay.py as two gevent processes on 8101 and 8102 with the same Redis
  (python-socketio's RedisManager, as the portal's): no sign-in, no database, no checks.
The clients (one gevent process in the server namespace) talk to the app ports directly, not
through nginx, so that every room has its therapist on the first process and its client on
the second (nginx's ip_hash would put all of one address on one process): every relayed
message crosses Redis.

Setup, not timed: every client connects and joins; each therapist admits its client (a signal
is relayed only in an admitted call). Then all clients start together; each sends its 50
signals one after the other, waiting for each acknowledgement; one in five carries an SDP
offer/answer (about 2 KB: audio and video), the others an ICE candidate (about 250 bytes).
messages/s = relayed messages ÷ time until the last one is both acknowledged to its sender and
received by its peer. Rounds alternate (bare, portal, bare, portal...); medians are reported.

In the portal a signal takes the relay fast path (portal/video/relay.py): it is checked
against the socket's grant (grants.py: taken from the database at most 5 s before), rate
limited per socket (40 at once, then 8 a second), validated (signaling.parse) and emitted to
the room; a socket whose grant is older takes the full path once (Flask request context,
database check). Heartbeats take the same cached-grant path. A signal refused by the rate
limit is counted and sent again after the retry_after the portal gives (a page would lose it).

Logged-in sessions are minted (UserSession rows plus the signed session cookie, what the login
form produces): signing 200 people in over HTTP would take 200 argon2 checks and trip the
login rate limit. The server processes' CPU time per message is printed too: on a shared
machine it moves less than throughput. --profile runs both servers under cProfile (CPU time)
and prints where it went (the throughput is then not the benchmark's).

    sudo .venv/bin/python bench/signaling.py [--clients 200] [--messages 50] [--rounds 2]
                                             [--profile]
"""
import argparse
import hashlib
import json
import logging
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NS = "/video"
MAX_SECONDS = 60  # per round: no signal is started later
SDP_EVERY = 5


def sdp_payload(kind, n):
    """An offer or answer the portal accepts, of a browser's size (audio + video, ~2 KB)."""
    fingerprint = ":".join(f"{(n * 7 + i) % 256:02X}" for i in range(32))
    lines = ["v=0", f"o=- {4611731400430051336 + n} 2 IN IP4 127.0.0.1", "s=-", "t=0 0",
             "a=group:BUNDLE 0 1", "a=extmap-allow-mixed", "a=msid-semantic: WMS stream"]
    for mid, media, codecs in (("0", "audio", (111, 63, 9, 0, 8, 13, 110, 126)),
                               ("1", "video", (96, 97, 102, 103, 104, 105, 106, 107, 108, 109,
                                               127, 125, 39, 40, 45, 46, 98, 99, 100, 101))):
        lines += [f"m={media} 9 UDP/TLS/RTP/SAVPF {' '.join(map(str, codecs))}",
                  "c=IN IP4 0.0.0.0", "a=rtcp:9 IN IP4 0.0.0.0", f"a=ice-ufrag:u{n % 9999:04d}",
                  "a=ice-pwd:" + "p" * 24, "a=ice-options:trickle",
                  f"a=fingerprint:sha-256 {fingerprint}", "a=setup:actpass", f"a=mid:{mid}",
                  "a=sendrecv", "a=rtcp-mux"]
        lines += [f"a=rtpmap:{c} codec{c}/90000" for c in codecs]
        lines += [f"a=rtcp-fb:{c} nack" for c in codecs if media == "video"]
    return {"type": kind, "sdp": "\r\n".join(lines) + "\r\n"}


def candidate_payload(n):
    return {"type": "candidate", "candidate": {
        "candidate": f"candidate:{842163049 + n} 1 udp 1677729535 203.0.113.{n % 250} "
                     f"{50000 + n % 10000} typ srflx raddr 192.168.1.{n % 250} rport "
                     f"{50000 + n % 10000} generation 0 ufrag u{n % 9999:04d} network-cost 999",
        "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": f"u{n % 9999:04d}"}}


# --- the load (a subprocess in the server namespace: `signaling.py --load SPEC.json`) -------
def run_load(spec_file):
    """Connect and join every client (therapists on urls[0], clients on urls[1]), admit; on
    "go" (stdin) all send their signals; print the result as JSON."""
    from gevent import monkey
    monkey.patch_all()
    import gevent
    import gevent.event
    import gevent.pool
    import socketio

    spec = json.loads(Path(spec_file).read_text())
    messages, urls, bare = spec["messages"], spec["urls"], spec["bare"]
    go = gevent.event.Event()
    errors, state = [], {"received": 0, "last": 0.0, "limited": 0}
    expected = len(spec["people"]) * messages
    all_received = gevent.event.Event()

    def on_signal(data=None):
        state["received"] += 1
        state["last"] = time.perf_counter()
        if state["received"] >= expected:
            all_received.set()

    def connect(person):
        sio = socketio.Client(reconnection=False)
        sio.on("signal", on_signal, namespace=NS)
        sio.on("error", lambda data=None: errors.append(data)
               if (data or {}).get("code") != "rate_limited" else None, namespace=NS)
        headers = {"Cookie": person["cookie"]} if person.get("cookie") else {}
        url = urls[0] if person["role"] == "therapist" else urls[1]
        sio.connect(url, namespaces=[NS], headers=headers, transports=["websocket"],
                    wait_timeout=30)
        room = {"appointment_id": person["appointment_id"]}
        if bare:
            room["role"] = person["role"]
        ack = sio.call("join", room, namespace=NS, timeout=60)
        if not (ack or {}).get("ok"):
            errors.append(f"join: {ack}")
        return sio, room, person["role"]

    def talk(sio, room, role, index):
        go.wait()
        deadline = time.perf_counter() + MAX_SECONDS
        sent = 0
        while sent < messages and time.perf_counter() < deadline:
            n = index * messages + sent
            if sent % SDP_EVERY == 0:
                data = sdp_payload("offer" if role == "therapist" else "answer", n)
            else:
                data = candidate_payload(n)
            ack = sio.call("signal", {**room, "data": data}, namespace=NS, timeout=60)
            if ack == {"ok": True}:
                sent += 1
            elif ack is None:  # refused by the portal's rate limit (an "error" event)
                state["limited"] += 1
                gevent.sleep(0.2)
            else:
                errors.append(f"signal: {ack}")
                return sent
        return sent

    clients = gevent.pool.Pool(25).map(connect, spec["people"])
    for sio, room, role in clients:  # the therapists admit (not timed)
        if role == "therapist":
            ack = sio.call("admit", room, namespace=NS, timeout=60)
            if ack != {"ok": True}:
                errors.append(f"admit: {ack}")
    gevent.sleep(0.5)  # the admissions' "admitted" events settle
    workers = [gevent.spawn(talk, sio, room, role, i)
               for i, (sio, room, role) in enumerate(clients)]
    print("connected", flush=True)
    gevent.get_hub().threadpool.apply(sys.stdin.readline)  # the parent reads the server's CPU
    start = time.perf_counter()
    go.set()
    gevent.joinall(workers, raise_error=True)
    acked = time.perf_counter()
    sent = sum(w.value for w in workers)
    all_received.wait(timeout=10)
    end = max(acked, state["last"])
    print(json.dumps({"messages": min(sent, state["received"]), "sent": sent,
                      "received": state["received"], "planned": expected,
                      "seconds": end - start, "limited": state["limited"],
                      "errors": [str(e) for e in errors[:5]], "error_count": len(errors)}),
          flush=True)
    gevent.get_hub().threadpool.apply(sys.stdin.readline)
    for sio, _, _ in clients:  # hang up at once (a polite close waits 3 s for the close frame)
        if sio.eio.ws is not None and sio.eio.ws.sock is not None:
            sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)


def cpu_seconds(groups):
    """User + system CPU of every process in these process groups (servers and workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) in groups:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure(stack, spec_file, groups):
    """One round against started servers: msgs/s and the servers' CPU per message."""
    load = subprocess.Popen(["ip", "netns", "exec", stack.net.server, sys.executable, __file__,
                             "--load", str(spec_file)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        line = load.stdout.readline().strip()
        assert line == "connected", f"the clients did not connect ({line!r})"
        cpu_before = cpu_seconds(groups)
        load.stdin.write("go\n")
        load.stdin.flush()
        result = json.loads(load.stdout.readline())
        result["server_cpu"] = cpu_seconds(groups) - cpu_before
        load.stdin.write("done\n")
        load.stdin.flush()
        load.wait(timeout=30)
    finally:
        if load.poll() is None:
            load.kill()
            load.wait()
    if result["error_count"]:
        raise RuntimeError(f"{result['error_count']} errors, e.g. {result['errors']}")
    result["rate"] = result["messages"] / result["seconds"]
    return result


# --- the portal's people --------------------------------------------------------------------
def minted_cookie(app, user_id, cookie_name):
    """A fully signed-in session, as the login form would leave it, without the HTTP round."""
    from portal.core.time import utcnow
    from portal.extensions import db
    from portal.models.user import UserSession

    token = secrets.token_urlsafe(32)
    now = utcnow()
    db.session.add(UserSession(token_hash=hashlib.sha256(token.encode()).hexdigest(),
                               user_id=user_id, created_at=now, last_seen_at=now,
                               mfa_passed_at=now, ip="127.0.0.1", user_agent="bench"))
    value = app.session_interface.get_signing_serializer(app).dumps({"sid": token})
    return f"{cookie_name}={value}"


def make_people(database_url, pairs):
    """`pairs` therapist/client pairs with a video appointment each; a session cookie each,
    named as production names it."""
    from portal.config import ProductionConfig
    from portal.extensions import db
    from tests.rtc import data_app, make_video_pair

    people = []
    with data_app(database_url) as app:
        for _ in range(pairs):
            pair = make_video_pair(with_totp=False)
            for role, user_id in (("therapist", pair.therapist_id), ("client", pair.client_id)):
                people.append({"role": role, "appointment_id": pair.appointment_id,
                               "cookie": minted_cookie(app, user_id,
                                                       ProductionConfig.SESSION_COOKIE_NAME)})
        db.session.commit()
    return people


def summary(name, results):
    rates = [r["rate"] for r in results]
    cpu = statistics.median(r["server_cpu"] / r["messages"] * 1000 for r in results)
    limited = sum(r["limited"] for r in results)
    short = [r for r in results if r["messages"] < r["planned"]]
    return (f"  {name:<38} {statistics.median(rates):8,.0f} msgs/s  (rounds: "
            f"{', '.join(f'{r:,.0f}' for r in rates)}; {results[0]['planned']:,} signals "
            f"each)  server CPU {cpu:.2f} ms/msg"
            + (f"; {limited} rate-limited sends retried" if limited else "")
            + (f"; {len(short)} round(s) cut at {MAX_SECONDS} s" if short else ""))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200, help="even: two per room")
    parser.add_argument("--messages", type=int, default=50, help="signals per client")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of each kind")
    parser.add_argument("--profile", action="store_true",
                        help="cProfile both servers (CPU time) and print the top entries")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from bench.stack import (
        BARE_PORTS,
        load,
        print_both_profiles,
        profiled_apps,
        running_stack,
        start_bare,
    )
    from tests.stack.services import APP_PORTS

    started = time.perf_counter()
    load_before = load()
    results = {"bare": [], "portal": []}
    with running_stack("sg") as stack, tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        profile_dir = tmp / "profiles" if args.profile else None
        if profile_dir:
            profiled_apps(stack, profile_dir)
        start_bare(stack, behind_nginx=False, profile_dir=profile_dir)
        people = make_people(stack.database_url, args.clients // 2)
        specs = {}
        for kind, ports in (("bare", BARE_PORTS), ("portal", APP_PORTS)):
            specs[kind] = tmp / f"{kind}.json"
            specs[kind].write_text(json.dumps({
                "messages": args.messages, "bare": kind == "bare",
                "urls": [f"http://127.0.0.1:{p}" for p in ports],
                "people": [p if kind == "portal" else {**p, "cookie": None} for p in people]}))
        groups = {"bare": {stack.procs["bare"].pid},
                  "portal": {stack.procs["app0"].pid, stack.procs["app1"].pid}}
        for _ in range(args.rounds):
            for kind in ("bare", "portal"):
                results[kind].append(measure(stack, specs[kind], groups[kind]))
        load_after = load()
        if profile_dir:
            print_both_profiles(stack, profile_dir)

    print(f"{args.clients} Socket.IO clients in {args.clients // 2} rooms × {args.messages} "
          f"acknowledged signals (1 in {SDP_EVERY} SDP-sized, else a candidate), relayed "
          f"across two gevent processes through Redis; clients in one gevent process on the "
          f"same machine; medians of {args.rounds} alternating rounds")
    print(f"machine: {load_before} before, {load_after} after; whole run "
          f"{time.perf_counter() - started:.0f} s")
    print(summary("bare: bare_relay.py ×2 + Redis", results["bare"]))
    print(summary("portal: gunicorn ×2, PostgreSQL, Redis", results["portal"]))
    if args.profile:
        print("(--profile: both servers ran under cProfile; this ratio is not the benchmark's)")
    bare = statistics.median(r["rate"] for r in results["bare"])
    portal = statistics.median(r["rate"] for r in results["portal"])
    print(f"ratio: {portal / bare:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--load":
        run_load(sys.argv[2])
    else:
        main()
