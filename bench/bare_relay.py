"""The benchmarks' baseline: a bare python-socketio server on gevent that speaks the portal's
/video protocol (static/js/video/signaling.js and room.js; portal/video/events*.py, relay.py)
with no sign-in, no database and no checks. What any Socket.IO relay on this stack costs, so a
benchmark can divide the portal's time by it.

Protocol (every message carries {"appointment_id": N}; the room is "appointment-N"):
- join → joins the room; emits "joined" {role, state, ice_servers, first_connected_at} to the
  sender and "peer_joined" {role, state, media} to the room; ack {"ok": true, "state"}. The therapist
  is always "in_call", a client "waiting" until an "admit" for the room was seen.
- announce → "peer_joined" {role, state, media} to the room (not the sender).
- admit / send_back / end → only forwarded: "admitted" / "sent_back" / "ended" to the room;
  ack {"ok": true}. The room's admission is remembered (in Redis with --redis, so another
  process answers a rejoin the same way), nothing is checked.
- signal → "signal" {from: role, data} to the other sockets of the room; ack {"ok": true}.
- chat (to everyone, with "at"), media_state (to the others) → relayed; ack {"ok": true}.
- heartbeat → ack {"ok": true}. connected → ack {"ok": true, first_connected_at}, and
  "call_connected" to the room the first time.
- leave → leaves the room, "peer_left" {role} to the room; ack {"ok": true}. A socket that
  disconnects inside a room sends "peer_left" too.
The sender's role: "role" in the message, else in the connect auth, the query string (?role=),
or the cookie bare_role; else "therapist" for the first socket of a room, "client" after.

HTTP, for the browser benchmarks: GET /static/<path> from the repo's static/ directory,
GET /bare/<path> from bench/bare_room/ (index.html at /bare/), GET /healthz → "ok".

    .venv/bin/python bench/bare_relay.py [--host 127.0.0.1] [--port 8100] [--redis URL]
                                         [--processes N] [--ice-servers JSON]

--processes N starts N server processes on ports PORT … PORT+N-1 (like the stack's two
gunicorn processes on 8001 and 8002, which nginx balances); they share rooms only through
--redis URL (python-socketio's RedisManager, as the portal's REDIS_URL). --ice-servers is the
JSON list sent in "joined" (default []); --channel names the Redis channel and the admission
key (default "bare-relay"; BareRelay picks one per run). The listener sets TCP_NODELAY as
gunicorn does. --profile DIR runs each process under cProfile, CPU time (bare-PID.prof, on SIGTERM).
Under gunicorn instead: BARE_REDIS_URL=... gunicorn -k
geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 -b 127.0.0.1:8100
'bench.bare_relay:create_app()' (from the repo root).

From Python: `BareRelay(port, redis_url=..., processes=2, prefix=["ip", "netns", "exec", ns])`
`.start().wait_ready()` … `.stop()`.
"""
import argparse
import contextlib
import json
import mimetypes
import os
import signal as signals
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import parse_qs

ROOT = Path(__file__).resolve().parent.parent
NS = "/video"
STATIC = {"/static/": ROOT / "static", "/bare/": ROOT / "bench" / "bare_room"}
ROLES = ("therapist", "client")


def _room(message):
    return f"appointment-{int(message['appointment_id'])}"


def _role_from_environ(environ, auth):
    if isinstance(auth, dict) and auth.get("role") in ROLES:
        return auth["role"]
    query = parse_qs(environ.get("QUERY_STRING", "")).get("role", [None])[0]
    if query in ROLES:
        return query
    cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
    if "bare_role" in cookie and cookie["bare_role"].value in ROLES:
        return cookie["bare_role"].value
    return None


class Admissions:
    """Which rooms were admitted: in this process, or in Redis when processes share rooms."""

    def __init__(self, redis_url=None, channel="bare-relay"):
        self.local = set()
        self.redis = None
        self.key = f"{channel}:admitted"
        if redis_url:
            import redis
            self.redis = redis.Redis.from_url(redis_url)

    def set(self, room, admitted):
        if self.redis is not None:
            (self.redis.sadd if admitted else self.redis.srem)(self.key, room)
        (self.local.add if admitted else self.local.discard)(room)

    def get(self, room):
        if self.redis is not None:
            return bool(self.redis.sismember(self.key, room))
        return room in self.local


def create_sio(redis_url=None, ice_servers=(), channel="bare-relay"):
    """The Socket.IO server with the /video handlers (see the module docstring); processes
    with the same Redis and `channel` share rooms."""
    import socketio

    manager = socketio.RedisManager(redis_url, channel=channel) if redis_url else None
    sio = socketio.Server(async_mode="gevent", namespaces=[NS], client_manager=manager,
                          cors_allowed_origins="*")
    admissions = Admissions(redis_url, channel)
    sockets = {}  # sid → {"role": ..., "room": ...}
    first_connected = {}

    def role_of(sid, message, room):
        if message.get("role") in ROLES:
            sockets[sid]["role"] = message["role"]
        if sockets[sid]["role"] is None:
            present = any(s["room"] == room for other, s in sockets.items() if other != sid)
            sockets[sid]["role"] = "client" if present else "therapist"
        return sockets[sid]["role"]

    def state(role, room):
        return "in_call" if role == "therapist" or admissions.get(room) else "waiting"

    def on(event):
        return sio.on(event, namespace=NS)

    @on("connect")
    def connect(sid, environ, auth=None):
        sockets[sid] = {"role": _role_from_environ(environ, auth), "room": None}

    @on("join")
    def join(sid, message):
        room = _room(message)
        role = role_of(sid, message, room)
        sio.enter_room(sid, room, namespace=NS)
        sockets[sid]["room"] = room
        now = state(role, room)
        sio.emit("joined", {"role": role, "state": now, "ice_servers": list(ice_servers),
                            "first_connected_at": first_connected.get(room)},
                 to=sid, namespace=NS)
        sio.emit("peer_joined", {"role": role, "state": now,
                                 "media": message.get("media") is True}, to=room, skip_sid=sid,
                 namespace=NS)
        return {"ok": True, "state": now}

    @on("announce")
    def announce(sid, message):
        room = _room(message)
        role = role_of(sid, message, room)
        sio.emit("peer_joined", {"role": role, "state": state(role, room),
                                 "media": message.get("media") is True}, to=room,
                 skip_sid=sid, namespace=NS)

    def forward(event, admitted):
        def handler(sid, message):
            room = _room(message)
            admissions.set(room, admitted)
            sio.emit(event, {}, to=room, namespace=NS)
            return {"ok": True}
        return handler

    on("admit")(forward("admitted", True))
    on("send_back")(forward("sent_back", False))
    on("end")(forward("ended", False))

    @on("signal")
    def signal(sid, message):
        room = _room(message)
        sio.emit("signal", {"from": role_of(sid, message, room), "data": message.get("data")},
                 to=room, skip_sid=sid, namespace=NS)
        return {"ok": True}

    @on("chat")
    def chat(sid, message):
        room = _room(message)
        sio.emit("chat", {"from": role_of(sid, message, room), "text": message.get("text"),
                          "at": datetime.now(UTC).isoformat()}, to=room, namespace=NS)
        return {"ok": True}

    @on("media_state")
    def media_state(sid, message):
        room = _room(message)
        state_ = {k: bool(message.get(k)) for k in ("audio", "video", "audio_only")}
        sio.emit("media_state", {"from": role_of(sid, message, room), **state_}, to=room,
                 skip_sid=sid, namespace=NS)
        return {"ok": True}

    @on("heartbeat")
    def heartbeat(sid, message=None):
        return {"ok": True}

    @on("connected")
    def connected(sid, message):
        room = _room(message)
        if room not in first_connected:
            first_connected[room] = datetime.now(UTC).isoformat()
            sio.emit("call_connected", {"first_connected_at": first_connected[room]}, to=room,
                     namespace=NS)
        return {"ok": True, "first_connected_at": first_connected[room]}

    @on("leave")
    def leave(sid, message):
        room = _room(message)
        sio.leave_room(sid, room, namespace=NS)
        sockets[sid]["room"] = None
        sio.emit("peer_left", {"role": role_of(sid, message, room)}, to=room, namespace=NS)
        return {"ok": True}

    @on("disconnect")
    def disconnect(sid, reason=None):
        entry = sockets.pop(sid, None)
        if entry and entry["room"]:
            sio.emit("peer_left", {"role": entry["role"]}, to=entry["room"], namespace=NS)

    return sio


def static_app(fallback):
    """/static/ and /bare/ from their directories and /healthz; everything else to `fallback`."""
    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        if path == "/bare":
            start_response("301 Moved Permanently", [("Location", "/bare/")])
            return [b""]
        for prefix, directory in STATIC.items():
            if path.startswith(prefix):
                return _file(directory, path[len(prefix):], start_response)
        return fallback(environ, start_response)
    return app


def _file(directory, relative, start_response):
    target = (directory / (relative or "index.html")).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(directory.resolve()) or not target.is_file():
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.suffix in (".js", ".mjs"):
        kind = "text/javascript"
    body = target.read_bytes()
    start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body))),
                              ("Cache-Control", "no-store")])
    return [body]


def create_app(redis_url=None, ice_servers=None, channel=None):
    """The WSGI app (Socket.IO + files); for gunicorn: 'bench.bare_relay:create_app()', which
    reads BARE_REDIS_URL, BARE_ICE_SERVERS and BARE_CHANNEL."""
    import socketio
    redis_url = redis_url or os.environ.get("BARE_REDIS_URL") or None
    channel = channel or os.environ.get("BARE_CHANNEL") or "bare-relay"
    if ice_servers is None:
        ice_servers = json.loads(os.environ.get("BARE_ICE_SERVERS") or "[]")
    return static_app(socketio.WSGIApp(create_sio(redis_url, ice_servers, channel)))


def serve(host, port, redis_url=None, ice_servers=(), channel="bare-relay", profile=None):
    """One server process (gevent pywsgi + gevent-websocket), until it is terminated; with
    `profile` (a directory) under cProfile, written to bare-PID.prof on SIGTERM."""
    from gevent import monkey
    monkey.patch_all()
    import gevent
    from gevent import pywsgi
    from geventwebsocket.handler import WebSocketHandler

    profiler = None
    if profile:
        import cProfile
        profiler = cProfile.Profile(time.process_time)  # CPU time, as bench/stack.py's

        def dump():
            profiler.disable()
            profiler.dump_stats(str(Path(profile) / f"bare-{os.getpid()}.prof"))
            os._exit(0)
        gevent.signal_handler(signals.SIGTERM, dump)

    # TCP_NODELAY as gunicorn sets it: without it a small reply sent right after another waits
    # for the peer's delayed ACK (Nagle), ~40 ms on Linux loopback.
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind((host, port))
    listener.listen(1024)
    server = pywsgi.WSGIServer(listener, create_app(redis_url, list(ice_servers), channel),
                               handler_class=WebSocketHandler, log=None)
    if profiler is not None:
        profiler.enable()
    server.serve_forever()


class BareRelay:
    """bare_relay.py in subprocesses: `processes` servers on ports port … port+processes-1,
    optionally inside a network namespace (`prefix`, e.g. ["ip", "netns", "exec", ns])."""

    def __init__(self, port=None, host="127.0.0.1", redis_url=None, processes=1, prefix=(),
                 ice_servers=(), log=None):
        if port is None:
            sys.path.insert(0, str(ROOT))
            from tests.ports import free_port
            port = free_port()
        self.host, self.port, self.processes = host, port, processes
        self.ports = [port + i for i in range(processes)]
        self.urls = [f"http://{host}:{p}" for p in self.ports]
        self.url = self.urls[0]
        self.argv = [*prefix, sys.executable, str(Path(__file__).resolve()), "--host", host,
                     "--port", str(port), "--processes", str(processes),
                     "--ice-servers", json.dumps(list(ice_servers)),
                     "--channel", f"bare-relay-{os.getpid()}-{port}"]  # this run's own
        if redis_url:
            self.argv += ["--redis", redis_url]
        self.log = log
        self.process = None

    def start(self):
        out = open(self.log, "ab") if self.log else None  # the child holds it
        self.process = subprocess.Popen(self.argv, cwd=ROOT, start_new_session=True,
                                        stdout=out, stderr=subprocess.STDOUT if out else None)
        return self

    def pids(self):
        """The server processes (the group of the started process), for CPU or RSS readings."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == self.process.pid:
                found.append(int(stat.parent.name))
        return found

    def wait_ready(self, timeout=20, probe=None):
        """Until every port answers /healthz; `probe(url)` replaces the check (e.g. to run it
        inside a namespace)."""
        import requests
        probe = probe or (lambda url: requests.get(url + "/healthz", timeout=1).ok)
        deadline = time.monotonic() + timeout
        pending = list(self.urls)
        while pending and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"bare relay exited with {self.process.returncode}")
            with contextlib.suppress(Exception):  # not up yet
                if probe(pending[0]):
                    pending.pop(0)
                    continue
            time.sleep(0.05)
        if pending:
            raise RuntimeError(f"bare relay not ready at {pending}")
        return self

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signals.SIGTERM)
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signals.SIGKILL)
            self.process.wait()
        except ProcessLookupError:
            pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8100)
    parser.add_argument("--redis", metavar="URL", help="share rooms through this Redis")
    parser.add_argument("--processes", type=int, default=1,
                        help="server processes, on ports PORT … PORT+N-1 (share rooms with --redis)")
    parser.add_argument("--ice-servers", default="[]", help='JSON list sent in "joined"')
    parser.add_argument("--channel", default="bare-relay",
                        help="Redis channel and key prefix (processes of one relay share it)")
    parser.add_argument("--profile", metavar="DIR",
                        help="run under cProfile; bare-PID.prof is written there on SIGTERM")
    args = parser.parse_args()
    ice_servers = json.loads(args.ice_servers)
    if args.processes == 1:
        serve(args.host, args.port, args.redis, ice_servers, args.channel, args.profile)
        return
    if not args.redis:
        print("warning: without --redis the processes do not share rooms", file=sys.stderr)
    children = [subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--host",
                                  args.host, "--port", str(args.port + i), "--ice-servers",
                                  args.ice_servers, "--channel", args.channel]
                                 + (["--redis", args.redis] if args.redis else [])
                                 + (["--profile", args.profile] if args.profile else []))
                for i in range(args.processes)]

    def stop(*_):
        for child in children:
            child.terminate()
        for child in children:
            child.wait()
        sys.exit(0)
    signals.signal(signals.SIGTERM, stop)
    signals.signal(signals.SIGINT, stop)
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    stop()


if __name__ == "__main__":
    main()
