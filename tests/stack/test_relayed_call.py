"""A call between two client namespaces that cannot reach each other: media can only go through
the stack's coturn, with the credentials the portal issued."""
import asyncio
import contextlib
from datetime import timedelta

import pytest

from portal.core.time import utcnow
from portal.video.turn import credentials
from tests.rtc import data_app, make_video_pair
from tests.stack.call import NsPeer, StackParticipant, negotiate, selected_pair
from tests.stack.services import TURN_SECRET

pytestmark = pytest.mark.stack


def run(coro, timeout=90):
    return asyncio.run(asyncio.wait_for(coro, timeout))


async def both_see_video(t_peer, c_peer, timeout=20):
    for frames in await asyncio.gather(t_peer.frames(timeout=timeout),
                                       c_peer.frames(timeout=timeout)):
        assert [(f.width, f.height) for f in frames] == [(160, 120)] * 3


async def admitted_relayed_call(stack, exits, pair):
    """Therapist in c1, client in c2: join, wait, admit, negotiate; both see video."""
    therapist = await exits.enter_async_context(StackParticipant(
        stack, stack.net.clients["c1"], pair.therapist_email, pair.totp_secret))
    client = await exits.enter_async_context(StackParticipant(
        stack, stack.net.clients["c2"], pair.client_email))
    answer, t_joined = await therapist.join(pair.appointment_id)
    assert answer == {"ok": True, "state": "in_call"}
    answer, c_joined = await client.join(pair.appointment_id)
    assert answer == {"ok": True, "state": "waiting"}
    assert await therapist.call("admit", therapist.room) == {"ok": True}
    await client.next("admitted")
    t_peer = NsPeer(therapist.ns, t_joined["ice_servers"])
    c_peer = NsPeer(client.ns, c_joined["ice_servers"])
    exits.push_async_callback(t_peer.close)
    exits.push_async_callback(c_peer.close)
    await negotiate(therapist, client, t_peer, c_peer, pair.appointment_id)
    await both_see_video(t_peer, c_peer)
    return therapist, client, t_peer, c_peer


def test_two_clients_that_cannot_reach_each_other_talk_through_the_turn_relay(stack):
    with data_app(stack.database_url):
        pair = make_video_pair()

    async def scenario():
        async with contextlib.AsyncExitStack() as exits:
            therapist, client, t_peer, c_peer = await admitted_relayed_call(stack, exits, pair)
            pairs = selected_pair(t_peer), selected_pair(c_peer)
            print(f"\nselected candidate pairs (local, remote): therapist {pairs[0]}, "
                  f"client {pairs[1]}")
            for local, remote in pairs:
                assert "relay" in (local, remote)
            assert therapist.errors == [] and client.errors == []

    run(scenario())


def _relay_candidates(stack, ns, username, password):
    """The relay candidates an aiortc peer in `ns` gathers with this TURN credential."""
    servers = [{"urls": ["turn:11.0.0.1:3478?transport=udp"], "username": username,
                "credential": password}]

    async def gather():
        peer = NsPeer(ns, servers)
        try:
            offer = await peer.offer()
        finally:
            await peer.close()
        return [line for line in offer["sdp"].splitlines() if "typ relay" in line]

    return run(gather(), timeout=30)


@pytest.mark.parametrize("secret, expires_in, relayed", [
    (TURN_SECRET, timedelta(hours=1), True),            # positive control
    (TURN_SECRET, timedelta(minutes=-1), False),        # expired by the clock
    ("not-the-turn-secret", timedelta(hours=1), False),  # signed with the wrong secret
])
def test_coturn_allocates_a_relay_only_for_a_fresh_credential_signed_with_its_secret(
        stack, secret, expires_in, relayed):
    username, password = credentials(secret, 7, utcnow() + expires_in)
    found = _relay_candidates(stack, stack.net.clients["c1"], username, password)
    assert bool(found) is relayed, found
