"""Pre-call check: a server-side aiortc peer that echoes the browser's camera and microphone.

aiortc runs in ONE dedicated asyncio event loop on its own OS thread (never a loop per request,
aiortc issue 792); Flask code submits coroutines with run_coroutine_threadsafe. Every peer is
tracked and closed when it fails, when its socket disconnects, after MAX_SECONDS, and at
shutdown. At most PRECHECK_MAX_CONCURRENT echo peers run at once (each costs ~1/4 of a core),
and one per person: a new offer from any of their tabs replaces their running echo (one client
re-offering every few seconds once held every slot).
"""
import asyncio
import atexit
import logging
import sys
import threading

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay
from flask import current_app

log = logging.getLogger(__name__)


class Busy(Exception):
    """Too many echo tests running: try again in a minute."""


class EchoService:
    def __init__(self):
        self._loop = None
        self._thread = None
        self._peers = {}  # owner (a user id) -> RTCPeerConnection
        self._started_by = {}  # owner -> the socket id that started their current echo
        self._lock = threading.Lock()

    # --- the loop --------------------------------------------------------------------------
    def _ensure_loop(self):
        with self._lock:
            if self._loop is not None:
                return self._loop
            self._loop = asyncio.new_event_loop()
            thread_class = threading.Thread
            # Under gevent, aiortc needs a real OS thread. Patching imported gevent.monkey
            # first, so without it in sys.modules nothing is patched.
            monkey = sys.modules.get("gevent.monkey")
            if monkey is not None and monkey.is_module_patched("threading"):
                thread_class = monkey.get_original("threading", "Thread")
            self._thread = thread_class(target=self._loop.run_forever, name="aiortc-loop",
                                        daemon=True)
            self._thread.start()
            atexit.register(self.shutdown)
            return self._loop

    def _run(self, coro, timeout=15):
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_loop()).result(timeout)

    # --- peers ------------------------------------------------------------------------------
    def answer(self, owner, sid, sdp, max_concurrent, max_seconds, ice_servers=()):
        """The echo peer's answer to `owner`'s offer, replacing any echo `owner` holds."""
        self.close(owner)
        with self._lock:
            if len(self._peers) >= max_concurrent:
                raise Busy()
            self._peers[owner] = None  # reserve the place
            self._started_by[owner] = sid
        try:
            return self._run(self._answer(owner, sdp, max_seconds, list(ice_servers)))
        except Exception:
            self.close(owner)
            raise

    async def _answer(self, owner, sdp, max_seconds, ice_servers):
        config = RTCConfiguration(iceServers=[RTCIceServer(**s) for s in ice_servers])
        pc = RTCPeerConnection(configuration=config)
        with self._lock:
            self._peers[owner] = pc
        relay = MediaRelay()

        @pc.on("track")
        def on_track(track):
            pc.addTrack(relay.subscribe(track))  # echo the same media back

        @pc.on("connectionstatechange")
        async def on_state():
            if pc.connectionState in ("failed", "closed"):
                await self._close_async(owner, pc)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        asyncio.get_running_loop().call_later(
            max_seconds, lambda: asyncio.ensure_future(self._close_async(owner, pc)))
        return {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp}

    async def _close_async(self, owner, only=None):
        """Close the owner's echo peer; with `only`, just that peer (an old test's timer must
        not close a newer test of the same person)."""
        with self._lock:
            pc = self._peers.get(owner)
            if pc is None or (only is not None and pc is not only):
                return
            del self._peers[owner]
        await pc.close()

    def close(self, owner):
        with self._lock:
            known = owner in self._peers
        if known and self._loop is not None:
            try:
                self._run(self._close_async(owner), timeout=5)
            except Exception:  # closing must never raise into a request
                log.warning("echo peer close failed")
                with self._lock:
                    self._peers.pop(owner, None)
        with self._lock:
            self._peers.pop(owner, None)  # a reservation whose answer never came

    def close_socket(self, sid):
        """The socket that started an echo closed (or said it finished): close that echo."""
        with self._lock:
            owners = [o for o, started in self._started_by.items() if started == sid]
            for owner in owners:
                del self._started_by[owner]
        for owner in owners:
            self.close(owner)

    def count(self):
        with self._lock:
            return len(self._peers)

    def shutdown(self):
        if self._loop is None:
            return
        for owner in list(self._peers):
            self.close(owner)
        self._loop.call_soon_threadsafe(self._loop.stop)


service = EchoService()


def answer(user_id, sid, sdp):
    cfg = current_app.config
    servers = [{"urls": cfg["STUN_URLS"]}] if cfg.get("STUN_URLS") else []
    return service.answer(user_id, sid, sdp, cfg["PRECHECK_MAX_CONCURRENT"],
                          cfg["PRECHECK_MAX_SECONDS"], servers)


def close_for(sid):
    service.close_socket(sid)
