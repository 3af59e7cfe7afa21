"""Video state across the stack's two app processes (issue 12 §3): an admission, a send-back, a
cancellation and the therapist's waiting count hold whichever process a socket landed on.

nginx spreads clients by ip_hash, so which process a socket reaches through it is not ours to
choose. Here every socket picks its process: people sign in through nginx (TLS) as usual, then
their sockets connect from inside the server namespace straight to one gunicorn process
(127.0.0.1:8001 or :8002) with the same session cookie. The times printed run from the
change (its acknowledgement, or the cancelling request) to the refusal on the other process.
"""
import asyncio
import contextlib
import re
import time

import pytest
import requests
import socketio

from tests.rtc import Participant, cookie_header, data_app, make_video_pair, sign_in
from tests.stack.netns import run_in
from tests.stack.services import APP_PORTS
from tests.stack.test_relayed_call import run

pytestmark = pytest.mark.stack
ROOM_CLOSED = "This session is no longer open."  # portal/video/registry.py
END_OF_CANDIDATES = {"type": "candidate", "candidate": None}
A, B = APP_PORTS  # the two gunicorn processes


def process_url(port):
    return f"http://127.0.0.1:{port}"


class On(Participant):
    """A signed-in person's /video socket on one chosen app process."""

    def __init__(self, stack, cookie, port):
        super().__init__(process_url(port), cookie)
        self.stack = stack

    async def __aenter__(self):
        await asyncio.to_thread(run_in, self.stack.net.server, self.sio.connect, self.base_url,
                                namespaces=["/video"], headers={"Cookie": self.cookie},
                                transports=["websocket"], wait_timeout=10)
        return self


class Badge:
    """A therapist's page on /notify on one chosen process: the waiting_changed it hears."""

    def __init__(self, stack, cookie, port):
        self.stack, self.cookie, self.url = stack, cookie, process_url(port)
        self.loop = asyncio.get_running_loop()
        self.changes = asyncio.Queue()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("waiting_changed", lambda data: self.loop.call_soon_threadsafe(
            self.changes.put_nowait, data), namespace="/notify")

    async def __aenter__(self):
        await asyncio.to_thread(run_in, self.stack.net.server, self.sio.connect, self.url,
                                namespaces=["/notify"], headers={"Cookie": self.cookie},
                                transports=["websocket"], wait_timeout=10)
        return self

    async def __aexit__(self, *exc):
        await asyncio.to_thread(self.sio.disconnect)

    async def next_count(self, timeout=10):
        return (await asyncio.wait_for(self.changes.get(), timeout))["count"]


def waiting_count(stack, cookie, port):
    """GET /video/waiting on one process, as the therapist's page asks for its first count."""
    response = run_in(stack.net.server, requests.get, process_url(port) + "/video/waiting",
                      headers={"Cookie": cookie, "X-Forwarded-Proto": "https"}, timeout=10)
    assert response.status_code == 200, response.status_code
    return response.json()["count"]


def people(stack):
    with data_app(stack.database_url):
        pair = make_video_pair()
    therapist = run_in(stack.net.clients["c1"], sign_in, stack.base_url, pair.therapist_email,
                       pair.totp_secret)
    client = run_in(stack.net.clients["c2"], sign_in, stack.base_url, pair.client_email)
    return pair, therapist, client


def signal_of(pair):
    return {"appointment_id": pair.appointment_id, "data": END_OF_CANDIDATES}


async def refused_after(person, pair, acknowledged, timeout=30):
    """Signals from `person` until one is refused; the seconds from `acknowledged` and how many
    were still relayed. Only a hang is guarded here: the time is printed, not asserted. Paced
    under the relay's rate limit (40 per 5 s), so that a refusal is never a rate limit."""
    relayed = 0
    deadline = time.perf_counter() + timeout
    while True:
        answer = await person.call("signal", signal_of(pair), timeout=5)
        if answer != {"ok": True}:
            return time.perf_counter() - acknowledged, relayed
        relayed += 1
        assert time.perf_counter() < deadline, "signals were never refused"
        await asyncio.sleep(0.15)


async def admitted(exits, stack, pair, cookies, therapist_port, client_port):
    therapist = await exits.enter_async_context(On(stack, cookies[0], therapist_port))
    client = await exits.enter_async_context(On(stack, cookies[1], client_port))
    room = {"appointment_id": pair.appointment_id}
    assert await therapist.call("join", room) == {"ok": True, "state": "in_call"}
    assert await client.call("join", room) == {"ok": True, "state": "waiting"}
    assert await therapist.call("admit", room) == {"ok": True}
    return therapist, client


def test_an_admission_given_on_one_process_counts_at_once_on_the_other(stack):
    pair, therapist_http, client_http = people(stack)
    cookies = cookie_header(therapist_http), cookie_header(client_http)

    async def scenario():
        async with contextlib.AsyncExitStack() as exits:
            therapist, client = await admitted(exits, stack, pair, cookies, A, B)
            # the very first signal after the admission, from the other process: relayed
            assert await client.call("signal", signal_of(pair)) == {"ok": True}
            assert (await therapist.next("signal"))["data"] == {"type": "candidate"}
            assert client.errors == []

    run(scenario())


def test_a_send_back_on_one_process_stops_the_other_processs_signaling(stack):
    pair, therapist_http, client_http = people(stack)
    cookies = cookie_header(therapist_http), cookie_header(client_http)

    async def scenario():
        async with contextlib.AsyncExitStack() as exits:
            therapist, client = await admitted(exits, stack, pair, cookies, A, B)
            for _ in range(3):  # positive control, and the process B caches the admitted grant
                assert await client.call("signal", signal_of(pair)) == {"ok": True}
                await therapist.next("signal")
            assert await therapist.call("send_back", {"appointment_id": pair.appointment_id}) \
                == {"ok": True}
            acknowledged = time.perf_counter()
            seconds, relayed = await refused_after(client, pair, acknowledged)
            assert [e["code"] for e in client.errors] == ["not_admitted"], client.errors
            print(f"\nsend-back on :{A}, client on :{B}: refused {seconds * 1000:.1f} ms after "
                  f"the acknowledgement, {relayed} signal(s) relayed in between "
                  f"(fallback bound without Redis: 5 s)")

    run(scenario())


def _cancel(stack, http, appointment_id):
    """The therapist cancels through nginx, like a browser (whichever process it lands on);
    the moment the cancelling request was sent."""
    def post():
        url = f"{stack.base_url}/appointments/{appointment_id}/cancel"
        page = http.get(url, timeout=10)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        sent = time.perf_counter()
        return sent, http.post(url, data={"csrf_token": token, "message": ""}, timeout=10)
    sent, response = run_in(stack.net.clients["c1"], post)
    assert response.ok, response.status_code
    return sent


def test_a_cancellation_on_one_process_closes_the_rooms_sockets_on_both(stack):
    pair, therapist_http, client_http = people(stack)
    cookies = cookie_header(therapist_http), cookie_header(client_http)

    async def scenario():
        async with contextlib.AsyncExitStack() as exits:
            therapist, client = await admitted(exits, stack, pair, cookies, A, B)
            # the client's second tab, on the other process: one of the two is not where the
            # cancellation lands
            tab = await exits.enter_async_context(On(stack, cookies[1], A))
            assert await tab.call("join", {"appointment_id": pair.appointment_id}) == {
                "ok": True, "state": "in_call"}
            for person in (client, tab):
                assert await person.call("signal", signal_of(pair)) == {"ok": True}
            cancelled = await asyncio.to_thread(_cancel, stack, therapist_http,
                                                pair.appointment_id)
            closed = {}
            deadline = time.perf_counter() + 30
            while len(closed) < 2:
                for name, person in (("A", tab), ("B", client)):
                    if name not in closed and not person.sio.connected:
                        closed[name] = time.perf_counter() - cancelled
                assert time.perf_counter() < deadline, "the room's sockets stayed open"
                await asyncio.sleep(0.005)
            for person in (client, tab):
                # closed by the receivers of the change (registry.ROOM_CLOSED's words), on both
                # processes; the sweeper, the fallback, says "This session has ended."
                assert {"code": "room_closed", "message": ROOM_CLOSED} in person.errors, \
                    person.errors
            print(f"\ncancellation: the client's socket on :{A} closed "
                  f"{closed['A'] * 1000:.1f} ms and on :{B} {closed['B'] * 1000:.1f} ms after "
                  f"the request was sent (fallback bound without Redis: 10 s)")

    run(scenario())


def test_the_waiting_count_is_right_whichever_process_the_client_landed_on(stack):
    pair, therapist_http, client_http = people(stack)
    therapist_cookie, client_cookie = cookie_header(therapist_http), cookie_header(client_http)
    room = {"appointment_id": pair.appointment_id}

    def counts():
        return [waiting_count(stack, therapist_cookie, port) for port in (A, B)]

    async def scenario():
        async with Badge(stack, therapist_cookie, A) as badge:
            assert await asyncio.to_thread(counts) == [0, 0]
            for port in (B, A):  # the client's socket on the badge's other process, then on its own
                async with On(stack, client_cookie, port) as client:
                    assert await client.call("join", room) == {"ok": True, "state": "waiting"}
                    assert await badge.next_count() == 1
                    assert await asyncio.to_thread(counts) == [1, 1]
                assert await badge.next_count() == 0
                assert await asyncio.to_thread(counts) == [0, 0]
        # another therapist's count stays 0 (the control)
        with data_app(stack.database_url):
            other = make_video_pair()
        other_cookie = cookie_header(run_in(stack.net.clients["c1"], sign_in, stack.base_url,
                                            other.therapist_email, other.totp_secret))
        async with On(stack, client_cookie, B) as client:
            assert await client.call("join", room) == {"ok": True, "state": "waiting"}
            assert await asyncio.to_thread(waiting_count, stack, other_cookie, A) == 0
            assert await asyncio.to_thread(waiting_count, stack, therapist_cookie, A) == 1

    run(scenario())
