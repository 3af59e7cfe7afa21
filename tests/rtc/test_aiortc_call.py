"""Level 2: aiortc peers as real participants of the real portal server on loopback.

Therapist and client sign in over HTTP, talk Socket.IO on /video and run aiortc peer connections
(no STUN/TURN, host candidates on 127.0.0.1 only); media flows peer to peer between them and each
side decodes the other's video. The network is what is under test, not the database: these run
once, in the SQLite pass.
"""
import asyncio
import contextlib
import os

import pytest

from tests.rtc import (
    Participant,
    Peer,
    PortalServer,
    cookie_header,
    data_app,
    make_video_pair,
    negotiate,
    pin_loopback,
    sign_in,
)

pytestmark = pytest.mark.once
REDIS_URL = os.environ.get("RTC_REDIS_URL", "redis://127.0.0.1:6379/7")


def run(coro, timeout=30):
    """Drive one scenario in a fresh event loop, with an overall deadline."""
    return asyncio.run(asyncio.wait_for(coro, timeout))


@pytest.fixture
def loopback(monkeypatch):
    pin_loopback(monkeypatch)


def new_pair(database_url):
    """A therapist (with TOTP), their client and a video appointment in 5 minutes."""
    with data_app(database_url):
        return make_video_pair()


@pytest.fixture
def portal(database_url, tmp_path):
    """Start portal servers on this test's database (they boot while the test writes its
    people); all are stopped after the test."""
    started = []

    def start(**options):
        server = PortalServer(database_url, tmp_path / "instance", **options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
        print(f"--- {server.url} log (tail) ---\n{server.log_tail()}")  # shown on failure


@pytest.fixture
def redis_url():
    import redis
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError:
        if os.environ.get("CI", "").strip().lower() == "true":
            pytest.fail(f"CI=true but Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


def _sign_in_both(pair, therapist_url, client_url):
    return (cookie_header(sign_in(therapist_url, pair.therapist_email, pair.totp_secret)),
            cookie_header(sign_in(client_url, pair.client_email)))


async def _admitted_call(stack, pair, therapist_url, client_url, cookies):
    """Both join; the client waits until the therapist admits; a call is negotiated."""
    room = {"appointment_id": pair.appointment_id}
    therapist = await stack.enter_async_context(Participant(therapist_url, cookies[0]))
    assert await therapist.call("join", room) == {"ok": True, "state": "in_call"}
    client = await stack.enter_async_context(Participant(client_url, cookies[1]))
    assert await client.call("join", room) == {"ok": True, "state": "waiting"}
    assert await therapist.next("peer_joined") == {"role": "client", "state": "waiting",
                                                        "media": False}
    assert await therapist.call("admit", room) == {"ok": True}
    await client.next("admitted")
    t_peer, c_peer = await negotiate(therapist, client, pair.appointment_id, stack)
    await _both_see_video(t_peer, c_peer)
    return therapist, client, t_peer


async def _both_see_video(t_peer, c_peer):
    for frames in await asyncio.gather(t_peer.frames(), c_peer.frames()):
        assert [(f.width, f.height) for f in frames] == [(160, 120)] * 3


def test_therapist_and_client_see_each_other_and_a_dropped_client_rejoins_without_admission(
        loopback, database_url, portal):
    server = portal()
    pair = new_pair(database_url)
    server.wait_ready()
    cookies = _sign_in_both(pair, server.url, server.url)

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            therapist, client, t_peer = await _admitted_call(stack, pair, server.url,
                                                             server.url, cookies)
            await client.drop()  # the client's network goes away
            assert (await therapist.next("peer_left"))["role"] == "client"
            await t_peer.close()

            client = await stack.enter_async_context(Participant(server.url, cookies[1]))
            room = {"appointment_id": pair.appointment_id}
            assert await client.call("join", room) == {"ok": True, "state": "in_call"}
            assert (await client.next("joined"))["state"] == "in_call"
            assert await therapist.next("peer_joined") == {"role": "client", "state": "in_call",
                                                           "media": False}
            await _both_see_video(*await negotiate(therapist, client, pair.appointment_id,
                                                   stack))
            assert therapist.errors == [] and client.errors == []

    run(scenario())


def test_call_across_two_server_processes_joined_by_redis(loopback, database_url, portal,
                                                          redis_url):
    server_a = portal(redis_url=redis_url)
    server_b = portal(redis_url=redis_url)
    pair = new_pair(database_url)
    server_a.wait_ready(), server_b.wait_ready()
    cookies = _sign_in_both(pair, server_b.url, server_a.url)

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            therapist, client, _ = await _admitted_call(stack, pair, server_b.url,
                                                        server_a.url, cookies)
            assert therapist.errors == [] and client.errors == []

    run(scenario())


def test_precheck_echoes_video_one_slot_per_person_and_refuses_a_third_person(
        loopback, database_url, portal):
    server = portal()
    pair, other = new_pair(database_url), new_pair(database_url)
    server.wait_ready()
    client = cookie_header(sign_in(server.url, pair.client_email))
    therapist = cookie_header(sign_in(server.url, pair.therapist_email, pair.totp_secret))
    third_person = cookie_header(sign_in(server.url, other.client_email))

    async def offer_to_echo(participant, stack):
        peer = Peer()
        stack.push_async_callback(peer.close)
        offer = await peer.offer()
        return peer, await participant.call("precheck_offer", {"sdp": offer["sdp"]}, timeout=20)

    async def scenario():
        async with contextlib.AsyncExitStack() as stack:
            tab, other_tab, clinician, stranger = [await stack.enter_async_context(
                Participant(server.url, cookie))
                for cookie in (client, client, therapist, third_person)]
            peer, answer = await offer_to_echo(tab, stack)
            assert answer["type"] == "answer"
            await peer.accept(answer)
            frames = await peer.frames()  # our own picture, back from the server's echo peer
            assert [(f.width, f.height) for f in frames] == [(160, 120)] * 3

            # the same person again, from another tab: replaces their echo, takes no 2nd slot
            _, answer = await offer_to_echo(other_tab, stack)
            assert answer["type"] == "answer"
            _, answer = await offer_to_echo(clinician, stack)
            assert answer["type"] == "answer"  # the second slot
            _, refused = await offer_to_echo(stranger, stack)
            assert refused["error"]["code"] == "busy"

            assert await clinician.call("precheck_stop", {}) == {"ok": True}
            _, answer = await offer_to_echo(stranger, stack)
            assert answer["type"] == "answer"

    run(scenario())
