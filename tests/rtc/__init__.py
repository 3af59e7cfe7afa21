"""Real-server harness for the aiortc tests (tests/rtc) and the call benchmarks (bench/).

The portal runs as a real process on loopback (`python -m portal`, or gunicorn with the gevent
WebSocket worker); people and a video appointment are written straight into its database from
this process; participants sign in over HTTP like a browser, talk Socket.IO on /video with the
sync python-socketio client (its own threads), and run aiortc peers in this process's asyncio
loop. Media stays on loopback: `pin_loopback()` makes aioice offer only 127.0.0.1.
"""
import asyncio
import contextlib
import fractions
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aioice.ice
import av
import pyotp
import requests
import socketio
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription, VideoStreamTrack

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
NS = "/video"
EVENTS = ("joined", "peer_joined", "admitted", "sent_back", "signal", "peer_left", "ended",
          "error", "chat", "media_state", "call_connected", "safety")


def pin_loopback(monkeypatch=None):
    """aioice gathers host candidates on 127.0.0.1 only (it skips loopback by default)."""
    def loopback_only(use_ipv4=True, use_ipv6=True):
        return ["127.0.0.1"]
    if monkeypatch is not None:
        monkeypatch.setattr(aioice.ice, "get_host_addresses", loopback_only)
    else:
        aioice.ice.get_host_addresses = loopback_only


# --- database and people --------------------------------------------------------------------
def testing_config(database_url):
    from portal.config import TestingConfig
    return type("RtcConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": database_url})


def server_keys():
    """The secrets the server subprocess shares with this process's data app."""
    from portal.config import TestingConfig
    return {"SECRET_KEY": TestingConfig.SECRET_KEY, "PHI_KEYS": TestingConfig.PHI_KEYS,
            "AUDIT_KEYS": TestingConfig.AUDIT_KEYS}


def migrate(database_url):
    from flask_migrate import upgrade

    from portal import create_app
    from portal.extensions import db
    app = create_app(testing_config(database_url))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@contextlib.contextmanager
def data_app(database_url):
    """An app context on the server's database; the session ends (SQLite lock released) on exit."""
    from portal import create_app
    from portal.extensions import db
    app = create_app(testing_config(database_url))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


@dataclass
class Pair:
    appointment_id: int
    therapist_id: int
    client_id: int
    therapist_email: str
    client_email: str
    totp_secret: str | None


def make_video_pair(starts_in=timedelta(minutes=5), with_totp=True, located=True):
    """A therapist, their client and a video appointment starting soon, the client's location
    already confirmed (the step before joining) unless `located` is False (a browser that goes
    through the location page); call in an app context."""
    from sqlalchemy import select

    from portal.core.time import utcnow
    from portal.extensions import db
    from portal.models.schedule import Appointment, SessionKind, SessionType
    from portal.scheduling import services as booking
    from tests import factories

    therapist = factories.make_therapist(with_totp=with_totp)
    client = factories.make_client(therapist=therapist)
    booking.ensure_default_types(therapist)
    kind = db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == therapist.id,
        SessionType.kind == SessionKind.INTEGRATION.value))
    start = utcnow().replace(microsecond=0) + starts_in
    end = start + timedelta(minutes=kind.duration_min)
    appointment = Appointment(
        therapist_id=therapist.id, client_id=client.id, session_type_id=kind.id,
        kind=kind.kind, modality=kind.modality, starts_at=start, ends_at=end,
        block_start=start, block_end=end + timedelta(minutes=kind.buffer_after_min),
        idempotency_key=uuid.uuid4().hex)
    db.session.add(appointment)
    db.session.commit()
    if located:
        from tests.video_helpers import confirm_location
        confirm_location(appointment)
    return Pair(appointment.id, therapist.id, client.id, therapist.email, client.email,
                getattr(therapist, "totp_secret", None))


# --- the server -----------------------------------------------------------------------------
class PortalServer:
    """The portal in a subprocess on a free loopback port; `stop()` ends it (and its workers)."""

    def __init__(self, database_url, workdir, redis_url=None, gunicorn=False, **env):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.workdir / f"server-{self.port}.log"
        self.env = {k: v for k, v in os.environ.items() if k not in {
            "DATABASE_URL", "TEST_DATABASE_URL", "REDIS_URL", "SMTP_HOST", "PORTAL_ENV",
            "STUN_URLS", "TURN_URLS", "TURN_SECRET", "FLASK_DEBUG"}}
        self.env.update(server_keys(), DATABASE_URL=database_url, PORT=str(self.port),
                        BASE_URL=self.url, INSTANCE_PATH=str(self.workdir),
                        SOCKETIO_ASYNC_MODE="gevent" if gunicorn else "threading",
                        PYTHONUNBUFFERED="1", **env)
        if redis_url:
            self.env["REDIS_URL"] = redis_url
        bindir = Path(sys.executable).parent
        self.cmd = ([str(bindir / "gunicorn"), "-k",
                     "geventwebsocket.gunicorn.workers.GeventWebSocketWorker", "-w", "1",
                     "-b", f"127.0.0.1:{self.port}", "--no-control-socket", "wsgi:app"]
                    if gunicorn
                    else [sys.executable, "-m", "portal"])
        self.process = None

    def start(self):
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.cmd, cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        return self

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"portal server exited:\n{self.log_tail()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"portal server not ready after {timeout} s:\n{self.log_tail()}")

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)  # its own group: gunicorn's worker too
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


# --- signing in -----------------------------------------------------------------------------
def _csrf(html):
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def sign_in(base_url, email, totp_secret=None):
    """Sign in through the real forms like a browser; returns the signed-in requests.Session."""
    from tests.factories import DEFAULT_PASSWORD
    http = requests.Session()
    page = http.get(base_url + "/auth/login", timeout=10)
    page = http.post(base_url + "/auth/login", timeout=10, data={
        "csrf_token": _csrf(page.text), "email": email, "password": DEFAULT_PASSWORD})
    if totp_secret:
        assert page.url.endswith("/auth/mfa"), page.url
        page = http.post(base_url + "/auth/mfa", timeout=10, data={
            "csrf_token": _csrf(page.text), "code": pyotp.TOTP(totp_secret).now()})
    assert page.ok and "/auth/" not in page.url, f"sign-in failed at {page.url}"
    return http


def cookie_header(http):
    return "; ".join(f"{c.name}={c.value}" for c in http.cookies)


# --- Socket.IO participants -----------------------------------------------------------------
class Participant:
    """A signed-in browser's /video socket: events land in asyncio queues of the running loop."""

    def __init__(self, base_url, cookie):
        self.base_url, self.cookie = base_url, cookie
        self.loop = asyncio.get_running_loop()
        self.queues = {name: asyncio.Queue() for name in EVENTS}
        self.errors = []
        self.sio = socketio.Client(reconnection=False)
        for name in EVENTS:
            self.sio.on(name, self._handler(name), namespace=NS)

    def _handler(self, name):
        def handle(data=None):
            if name == "error":
                self.errors.append(data)
            with contextlib.suppress(RuntimeError):  # the loop may be gone at teardown
                self.loop.call_soon_threadsafe(self.queues[name].put_nowait, data)
        return handle

    async def __aenter__(self):
        await asyncio.to_thread(self.sio.connect, self.base_url, namespaces=[NS],
                                headers={"Cookie": self.cookie} if self.cookie else {},
                                transports=["websocket"],
                                wait_timeout=10)
        return self

    async def __aexit__(self, *exc):
        await self.drop()

    async def drop(self, timeout=5):
        """The network goes away: the TCP connection closes with no goodbye, as when a laptop
        changes network. (A polite disconnect also costs websocket-client a 3 s close wait.)"""
        ws = self.sio.eio.ws if self.sio.connected else None
        if ws is not None and ws.sock is not None:
            with contextlib.suppress(OSError):
                ws.sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        while self.sio.connected and time.monotonic() < deadline:
            await asyncio.sleep(0.02)

    async def call(self, event, data, timeout=10):
        """Emit with an acknowledgement and return it."""
        return await asyncio.to_thread(self.sio.call, event, data, namespace=NS,
                                       timeout=timeout)

    async def next(self, event, timeout=10):
        return await asyncio.wait_for(self.queues[event].get(), timeout)


# --- aiortc peers ---------------------------------------------------------------------------
class FrameTrack(VideoStreamTrack):
    """Synthetic video without numpy: a flat picture whose brightness steps every frame."""

    def __init__(self, width=160, height=120):
        super().__init__()
        self.width, self.height, self.count = width, height, 0

    async def recv(self):
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(self.width, self.height, "yuv420p")
        level = 16 + (self.count * 4) % 220
        for plane, value in zip(frame.planes, (level, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts, frame.time_base = pts, time_base or fractions.Fraction(1, 90000)
        self.count += 1
        return frame


def _description(pc):
    return {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp}


class Peer:
    """One side of a call: sends a FrameTrack, keeps the remote video track and its state."""

    def __init__(self):
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(FrameTrack())
        loop = asyncio.get_running_loop()
        self.remote_track, self.connected = loop.create_future(), loop.create_future()

        @self.pc.on("track")
        def on_track(track):
            if track.kind == "video" and not self.remote_track.done():
                self.remote_track.set_result(track)

        @self.pc.on("connectionstatechange")
        def on_state():
            if self.connected.done():
                return
            if self.pc.connectionState == "connected":
                self.connected.set_result(time.perf_counter())
            elif self.pc.connectionState == "failed":
                self.connected.set_exception(RuntimeError("ICE/DTLS failed"))

    async def offer(self):
        """The complete offer (aiortc gathers before returning: no trickle)."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        return _description(self.pc)

    async def answer(self, offer):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"],
                                                                 type=offer["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        return _description(self.pc)

    async def accept(self, answer):
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"],
                                                                 type=answer["type"]))

    async def wait_connected(self, timeout=10):
        return await asyncio.wait_for(asyncio.shield(self.connected), timeout)

    async def frames(self, count=3, timeout=10):
        """`count` decoded frames of the remote video."""
        track = await asyncio.wait_for(asyncio.shield(self.remote_track), timeout)
        return [await asyncio.wait_for(track.recv(), timeout) for _ in range(count)]

    async def close(self):
        await self.pc.close()


async def negotiate(therapist, client, appointment_id, stack=None):
    """The therapist offers, the client answers, both through the portal's "signal" event."""
    t_peer, c_peer = Peer(), Peer()
    if stack is not None:
        stack.push_async_callback(t_peer.close)
        stack.push_async_callback(c_peer.close)
    offer = await t_peer.offer()
    assert await therapist.call("signal", {"appointment_id": appointment_id,
                                           "data": offer}) == {"ok": True}
    relayed = await client.next("signal")
    assert relayed["from"] == "therapist" and relayed["data"]["type"] == "offer"
    answer = await c_peer.answer(relayed["data"])
    assert await client.call("signal", {"appointment_id": appointment_id,
                                        "data": answer}) == {"ok": True}
    relayed = await therapist.next("signal")
    assert relayed["from"] == "client" and relayed["data"]["type"] == "answer"
    await t_peer.accept(relayed["data"])
    return t_peer, c_peer
