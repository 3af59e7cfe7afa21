"""Signaling throughput (issue 5): 200 Socket.IO clients × 50 acknowledged messages through the
portal's /video namespace, against a bare python-socketio server on gevent doing no checks.
Goal: portal (production mode) / bare ≥ 0.8 in messages per second.

Each client has joined its appointment's room, then sends "heartbeat" 50 times, one after the
other, waiting for each acknowledgement (the RTT). In the portal a heartbeat re-checks the portal
session and that the sender is a participant of an open appointment (the same checks as every
other event, without the per-socket rate limit); the bare server only acknowledges. All clients
start together; messages/s = all acknowledged messages / time until the last one. No client
starts a message after 40 s (MAX_SECONDS): a slow server is measured on what it did by then
(marked * in the table) rather than overrunning the 3-minute budget.

Servers, each a fresh process on a loopback port:
- bare: socketio.Server(async_mode="gevent") in gevent's pywsgi with gevent-websocket, its
  listener with TCP_NODELAY as gunicorn's (bench/call_setup.py uses it as its bare relay too);
- portal, production mode: gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker
  -w 1 wsgi:app, SOCKETIO_ASYNC_MODE=gevent (the ratio is taken from this one);
- portal, development server: python -m portal (threading), for reference, with fewer
  messages per client by default (--dev-messages), and left out when the run is already long,
  to keep the whole run under 3 minutes.
Server CPU per message (user + system time of the server's processes while the messages flow)
is printed too: on a shared machine it moves less than throughput does.
The portal uses a temporary migrated SQLite database with 100 therapist/client pairs, each with
a video appointment starting in 5 minutes. The 200 sessions are minted: UserSession rows plus
the Flask session cookie signed with the server's key, exactly what the login form produces;
signing 200 people in over HTTP would take 200 argon2 checks and trip the login rate limit.
The clients (one gevent process) share the machine's cores with the server.

    .venv/bin/python bench/signaling.py [--clients 200] [--messages 50] [--dev-messages 10]
"""
import argparse
import hashlib
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NS = "/video"
DEV = "portal: python -m portal (threading)"
SKIP_REFERENCE_AFTER = 100  # seconds: the development-server row is dropped past this point
MAX_SECONDS = 40  # per server: no message is started later (keeps the run under 3 minutes)


# --- the bare server (a subprocess: `signaling.py --serve-bare PORT`) ------------------------
def serve_bare(port):
    """Socket.IO on gevent with nothing but rooms: join, heartbeat, signal relay, leave."""
    from gevent import monkey
    monkey.patch_all()
    import socketio
    from gevent import pywsgi
    from geventwebsocket.handler import WebSocketHandler

    sio = socketio.Server(async_mode="gevent", namespaces=[NS])
    roles = {}

    def room(message):
        return f"appointment-{int(message['appointment_id'])}"

    @sio.on("join", namespace=NS)
    def join(sid, message):
        sio.enter_room(sid, room(message), namespace=NS)
        roles[sid] = message.get("role", "peer")
        return {"ok": True, "state": "in_call"}

    @sio.on("heartbeat", namespace=NS)
    def heartbeat(sid, message):
        return {"ok": True}

    @sio.on("signal", namespace=NS)
    def signal(sid, message):
        sio.emit("signal", {"from": roles.get(sid), "data": message["data"]}, to=room(message),
                 skip_sid=sid, namespace=NS)
        return {"ok": True}

    @sio.on("leave", namespace=NS)
    def leave(sid, message):
        sio.leave_room(sid, room(message), namespace=NS)
        return {"ok": True}

    @sio.on("disconnect", namespace=NS)
    def disconnect(sid, reason=None):
        roles.pop(sid, None)

    # TCP_NODELAY as gunicorn sets it: without it a small reply sent right after another waits
    # for the peer's delayed ACK (Nagle), ~40 ms on Linux loopback.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1024)
    server = pywsgi.WSGIServer(listener, socketio.WSGIApp(sio), handler_class=WebSocketHandler,
                               log=None)
    server.serve_forever()


class BareServer:
    """The bare relay in a subprocess of its own, on a free loopback port."""

    def __init__(self):
        from tests.ports import free_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def start(self):
        self.process = subprocess.Popen([sys.executable, __file__, "--serve-bare",
                                         str(self.port)], cwd=ROOT, start_new_session=True)
        return self

    def wait_ready(self, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        raise RuntimeError("bare server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# --- the load (a subprocess: `signaling.py --load URL PEOPLE.json MESSAGES`) ---------------
def run_load(url, people_file, messages):
    """Connect every client and join its room; on "go" (stdin) all send `messages` acked
    heartbeats (none is started after MAX_SECONDS); print the result as JSON."""
    from gevent import monkey
    monkey.patch_all()
    import gevent
    import gevent.event
    import gevent.pool
    import socketio

    people = json.loads(Path(people_file).read_text())
    go = gevent.event.Event()
    errors = []

    def connect(person):
        sio = socketio.Client(reconnection=False)
        headers = {"Cookie": person["cookie"]} if person.get("cookie") else {}
        sio.connect(url, namespaces=[NS], headers=headers, transports=["websocket"],
                    wait_timeout=30)
        room = {"appointment_id": person["appointment_id"]}
        ack = sio.call("join", room, namespace=NS, timeout=60)
        if not (ack or {}).get("ok"):
            errors.append(f"join: {ack}")
        return sio, room

    def talk(sio, room):
        go.wait()
        deadline = time.perf_counter() + MAX_SECONDS
        rtts = []
        for _ in range(messages):
            if time.perf_counter() > deadline:
                break
            start = time.perf_counter()
            ack = sio.call("heartbeat", room, namespace=NS, timeout=60)
            rtts.append(time.perf_counter() - start)
            if ack != {"ok": True}:
                errors.append(f"heartbeat: {ack}")
        return rtts

    clients = gevent.pool.Pool(25).map(connect, people)
    workers = [gevent.spawn(talk, sio, room) for sio, room in clients]
    print("connected", flush=True)
    gevent.get_hub().threadpool.apply(sys.stdin.readline)  # the parent reads the server's CPU
    start = time.perf_counter()
    go.set()
    gevent.joinall(workers, raise_error=True)
    elapsed = time.perf_counter() - start
    rtts = sorted(r for w in workers for r in w.value)
    print(json.dumps({"messages": len(rtts), "planned": len(people) * messages,
                      "seconds": elapsed, "errors": errors[:5],
                      "error_count": len(errors), "p50": rtts[len(rtts) // 2],
                      "p95": rtts[int(len(rtts) * 0.95)]}), flush=True)
    gevent.get_hub().threadpool.apply(sys.stdin.readline)
    for sio, _ in clients:  # hang up at once (a polite close waits 3 s for the close frame)
        if sio.eio.ws is not None and sio.eio.ws.sock is not None:
            sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)


def cpu_seconds(process_group):
    """User + system CPU of every process in a process group (the server and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == process_group:
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def measure(server, people_file, messages):
    """Run the load against a started server; msgs/s, RTT p50/p95 and server CPU per message."""
    load = subprocess.Popen([sys.executable, __file__, "--load", server.url, str(people_file),
                             str(messages)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert load.stdout.readline().strip() == "connected", "the clients did not connect"
        cpu_before = cpu_seconds(server.process.pid)
        load.stdin.write("go\n")
        load.stdin.flush()
        result = json.loads(load.stdout.readline())
        result["server_cpu"] = cpu_seconds(server.process.pid) - cpu_before
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
def minted_cookie(app, user_id):
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
    return f"{app.config['SESSION_COOKIE_NAME']}={value}"


def make_people(database_url, pairs):
    """`pairs` therapist/client pairs with a video appointment each; a session cookie for all."""
    from portal.extensions import db
    from tests.rtc import data_app, make_video_pair

    people = []
    with data_app(database_url) as app:
        for _ in range(pairs):
            pair = make_video_pair(with_totp=False)
            for user_id in (pair.therapist_id, pair.client_id):
                people.append({"cookie": minted_cookie(app, user_id),
                               "appointment_id": pair.appointment_id})
        db.session.commit()
    return people


def row(name, load, result, baseline=None):
    share = f"{result['rate'] / baseline['rate']:6.2f}" if baseline else "     -"
    if result["messages"] < result["planned"]:
        load += "*"
    cpu = result["server_cpu"] / result["messages"] * 1000
    return (f"| {name:<40} | {load:>7} | {result['rate']:6,.0f} | {result['p50'] * 1000:6.0f} | "
            f"{result['p95'] * 1000:6.0f} | {cpu:10.2f} | {share} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--dev-messages", type=int, default=10,
                        help="messages per client for the development server, a reference row "
                             "(0: skip it; it is slow enough that 50 would overrun 3 minutes)")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    from tests.rtc import PortalServer, migrate

    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-signaling-") as tmp:
        database_url = f"sqlite:///{Path(tmp) / 'portal.sqlite3'}"
        migrate(database_url)
        people_file = Path(tmp) / "people.json"
        people = make_people(database_url, (args.clients + 1) // 2)[:args.clients]
        people_file.write_text(json.dumps(people))
        bare_file = Path(tmp) / "bare.json"
        bare_file.write_text(json.dumps([{"appointment_id": p["appointment_id"]}
                                         for p in people]))

        runs = [("bare python-socketio, gevent pywsgi", BareServer, bare_file, args.messages),
                ("portal: gunicorn + GeventWebSocketWorker",
                 lambda: PortalServer(database_url, Path(tmp) / "gunicorn", gunicorn=True),
                 people_file, args.messages)]
        if args.dev_messages:
            runs.append((DEV,
                         lambda: PortalServer(database_url, Path(tmp) / "dev"), people_file,
                         args.dev_messages))
        for name, make, file, messages in runs:
            if name == DEV and time.perf_counter() - started > SKIP_REFERENCE_AFTER:
                print(f"skipped {name!r}: the run is already "
                      f"{time.perf_counter() - started:.0f} s long (3-minute budget)")
                continue
            server = make().start()
            try:
                server.wait_ready()
                results.append((name, f"{len(people)}×{messages}",
                                measure(server, file, messages)))
            finally:
                server.stop()

    bare = results[0][2]
    print(f"Socket.IO clients × acknowledged heartbeats on /video; clients in one gevent process "
          f"on the same {os.cpu_count()} cores as the server. Portal on SQLite; its "
          f"{len(people)} sessions were minted (UserSession rows + signed session cookie), "
          f"not signed in over HTTP.")
    print(f"| {'server':<40} | {'load':>7} | {'msgs/s':>6} | {'p50 ms':>6} | {'p95 ms':>6} | "
          f"server CPU | × bare |")
    print(f"| {'':<40} | {'':>7} | {'':>6} | {'':>6} | {'':>6} | {'ms / msg':>10} | "
          f"{'msgs/s':>6} |")
    print(f"|{'-' * 42}|{'-' * 9}|{'-' * 8}|{'-' * 8}|{'-' * 8}|{'-' * 12}|{'-' * 8}|")
    for name, load, result in results:
        print(row(name, load, result, None if result is bare else bare))
    for name, _, result in results:
        if result["messages"] < result["planned"]:
            print(f"* {name}: stopped after {MAX_SECONDS} s, {result['messages']:,} of "
                  f"{result['planned']:,} messages acknowledged")
    print(f"(whole run {time.perf_counter() - started:.0f} s; ratio = portal in production mode "
          f"(gunicorn + gevent) / bare, messages per second)")
    print(f"ratio: {results[1][2]['rate'] / bare['rate']:.2f}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-bare":
        serve_bare(int(sys.argv[2]))
    elif len(sys.argv) == 5 and sys.argv[1] == "--load":
        run_load(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
