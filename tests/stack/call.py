"""Participants of the stack suite: each signs in, holds its /video socket and gathers its aiortc
candidates inside its own client namespace, so every packet of theirs crosses the veth links."""
import asyncio
import collections
import time

import requests
import socketio

from tests.rtc import NS, Participant, Peer, cookie_header, sign_in
from tests.stack.netns import entered, run_in


def selected_pair(peer):
    """(local type, remote type) of the ICE pair aiortc nominated for the media."""
    transport = peer.pc.getTransceivers()[0].sender.transport.transport
    pair = transport._connection._nominated[1]
    return pair.local_candidate.type, pair.remote_candidate.type


class StackParticipant(Participant):
    """A signed-in person's /video socket from client namespace `ns`, over TLS through nginx.
    Like room.js, it reconnects by itself and joins its room again when it does."""

    def __init__(self, stack, ns, email, totp_secret=None):
        self.ns, self.stack = ns, stack
        http = run_in(ns, sign_in, stack.base_url, email, totp_secret)
        super().__init__(stack.base_url, cookie_header(http))
        # The cookie rides in the http session's jar, not in a Cookie header: python-engineio
        # deletes a Cookie header from the caller's dict once it has merged it with the jar
        # (engineio/client.py, _connect_websocket), so every reconnection went out without it
        # and the portal refused the unauthenticated socket.
        session = requests.Session()
        session.verify = str(stack.ca)
        session.cookies.update(http.cookies)
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2,
                                   reconnection_delay_max=1, http_session=session)
        for name in self.queues:
            self.sio.on(name, self._handler(name), namespace=NS)
        self.room, self.connects = None, asyncio.Queue()
        self.sio.on("connect", self._on_connect, namespace=NS)

    def _on_connect(self):
        if self.room is not None:  # a reconnection: back into the room, as room.js does
            self.sio.emit("join", self.room, namespace=NS)
        self.loop.call_soon_threadsafe(self.connects.put_nowait, time.perf_counter())

    async def __aenter__(self):
        await asyncio.to_thread(run_in, self.ns, self.sio.connect, self.base_url,
                                namespaces=[NS],
                                transports=["websocket"], wait_timeout=10)
        await self.connects.get()
        return self

    async def __aexit__(self, *exc):
        self.sio.reconnection = False
        await asyncio.to_thread(self.sio.disconnect)

    async def join(self, appointment_id):
        self.room = {"appointment_id": appointment_id}
        answer = await self.call("join", self.room)
        joined = await self.next("joined")
        return answer, joined


class FrameWatch:
    """Reads the remote video continuously, so "media flows" means frames arriving now, not
    frames queued before a fault. Keeps the arrival times of the last minute or so of frames."""

    def __init__(self, peer):
        self.peer, self.times, self.task = peer, collections.deque(maxlen=4000), None

    def start(self):
        async def read():
            track = await asyncio.shield(self.peer.remote_track)
            while True:
                await track.recv()
                self.times.append(time.perf_counter())
        self.task = asyncio.ensure_future(read())
        return self

    async def flowing_after(self, moment, timeout=30):
        """Seconds from `moment` to the first frame that arrived after it."""
        deadline = time.perf_counter() + timeout
        while not self.times or self.times[-1] <= moment:
            assert time.perf_counter() < deadline, "no video frames after the fault"
            assert not self.task.done(), self.task
            await asyncio.sleep(0.02)
        return next(t for t in self.times if t > moment) - moment

    def stop(self):
        self.task.cancel()


class NsPeer(Peer):
    """An aiortc peer whose sockets (host candidates, TURN allocation) live in namespace `ns`."""

    def __init__(self, ns, ice_servers):
        super().__init__(ice_servers)
        self.ns = ns

    async def offer(self):
        with entered(self.ns):
            return await super().offer()

    async def answer(self, offer):
        with entered(self.ns):
            return await super().answer(offer)


async def negotiate(therapist, client, t_peer, c_peer, appointment_id):
    """The therapist offers, the client answers, both through the portal's "signal" event."""
    offer = await t_peer.offer()
    assert await therapist.call("signal", {"appointment_id": appointment_id,
                                           "data": offer}) == {"ok": True}
    relayed = await client.next("signal")
    answer = await c_peer.answer(relayed["data"])
    assert await client.call("signal", {"appointment_id": appointment_id,
                                        "data": answer}) == {"ok": True}
    relayed = await therapist.next("signal")
    await t_peer.accept(relayed["data"])
