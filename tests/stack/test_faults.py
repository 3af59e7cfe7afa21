"""Faults during a relayed call on the stack: each is followed by media flowing on both sides and
signaling working again, with no new admission; the time to recovery is printed."""
import asyncio
import contextlib
import signal
import time

import pytest
import requests
import socketio

from tests.rtc import data_app, make_video_pair, sign_in
from tests.stack.call import FrameWatch
from tests.stack.netns import run_in
from tests.stack.test_relayed_call import admitted_relayed_call, run

pytestmark = pytest.mark.stack
END_OF_CANDIDATES = {"type": "candidate", "candidate": None}


async def signaling_works(sender, receiver, appointment_id, timeout=30):
    """A signal from one side reaches the other (across processes, through Redis). The portal
    relays an end-of-candidates as {"type": "candidate"} (signaling.py's wire form); only a
    socket that is not back yet (timeouts, no namespace) is retried, never a wrong answer."""
    while not receiver.queues["signal"].empty():
        receiver.queues["signal"].get_nowait()
    deadline = time.perf_counter() + timeout
    while True:
        relayed = None
        with contextlib.suppress(TimeoutError, socketio.exceptions.SocketIOError):
            if await sender.call("signal", {"appointment_id": appointment_id,
                                            "data": END_OF_CANDIDATES}, timeout=2) == {"ok": True}:
                relayed = await receiver.next("signal", timeout=2)
        if relayed is not None:
            assert relayed["data"] == {"type": "candidate"}, relayed
            return
        assert time.perf_counter() < deadline, "signaling did not come back"
        await asyncio.sleep(0.1)


def during_call(stack, fault, name):
    """Run `fault(stack, therapist, client)` (it returns the moment the fault was healed)
    during an admitted relayed call; then measure media and signaling recovery."""
    with data_app(stack.database_url):
        pair = make_video_pair()

    async def scenario():
        async with contextlib.AsyncExitStack() as exits:
            therapist, client, t_peer, c_peer = await admitted_relayed_call(stack, exits, pair)
            watches = [FrameWatch(p).start() for p in (t_peer, c_peer)]
            exits.callback(lambda: [w.stop() for w in watches])
            healed = await fault(stack, therapist, client)
            media = [await w.flowing_after(healed) for w in watches]
            await signaling_works(therapist, client, pair.appointment_id)
            await signaling_works(client, therapist, pair.appointment_id)
            recovered = time.perf_counter() - healed
            for person in (therapist, client):
                assert not any(e.get("code") == "not_admitted" for e in person.errors
                               if isinstance(e, dict)), person.errors
            print(f"\n{name}: media back after {max(media):.2f} s (therapist receives "
                  f"{media[0]:.2f} s, client {media[1]:.2f} s), signaling after "
                  f"{recovered:.2f} s (from the moment the fault ended)")
            return recovered

    return run(scenario(), timeout=180)


async def _rejoined(person, timeout=30):
    """The participant's socket connected again and its join was answered: back in the call."""
    await asyncio.wait_for(person.connects.get(), timeout)
    joined = await person.next("joined", timeout)
    assert joined["state"] == "in_call", joined


def _drain(person):
    for queue in (person.connects, person.queues["joined"]):
        while not queue.empty():
            queue.get_nowait()


def test_kill_9_of_an_app_process_the_call_goes_on_and_signaling_moves_to_the_other(stack):
    async def killed(name, people):
        """kill -9 of app process `name`; the moment, and whose sockets dropped with it."""
        moment = time.perf_counter()
        stack.kill(name, signal.SIGKILL)
        await asyncio.sleep(1)  # nginx closes the proxied sockets at once; 1 s is plenty
        return moment, [p for p in people if not p.connects.empty() or not p.sio.connected]

    async def fault(stack, therapist, client):
        for person in (therapist, client):
            _drain(person)
        moment, dropped = await killed("app0", (therapist, client))
        if not dropped:  # both sockets were on the other process: kill that one instead
            await asyncio.to_thread(stack.start_app, 0)
            moment, dropped = await killed("app1", (therapist, client))
        assert dropped, "no socket was on the killed process"
        for person in dropped:
            await _rejoined(person)
        return moment

    try:
        during_call(stack, fault, "kill -9 of one app process")
    finally:
        for index in (0, 1):
            if stack.procs[f"app{index}"].poll() is not None:
                stack.start_app(index)


def test_restart_of_both_app_processes(stack):
    async def fault(stack, therapist, client):
        for person in (therapist, client):
            _drain(person)
        await asyncio.to_thread(lambda: [stack.kill(f"app{i}") for i in (0, 1)])
        await asyncio.to_thread(lambda: [stack.start_app(i) for i in (0, 1)])
        moment = time.perf_counter()
        for person in (therapist, client):
            await _rejoined(person)
        return moment

    during_call(stack, fault, "restart of both app processes")


def test_redis_restart(stack):
    async def fault(stack, therapist, client):
        await asyncio.to_thread(stack.kill, "redis")
        await asyncio.to_thread(stack.start_redis)
        return time.perf_counter()

    during_call(stack, fault, "Redis restart")


def test_a_client_link_down_for_5_seconds(stack):
    async def fault(stack, therapist, client):
        stack.net.link("c2", up=False)
        try:
            await asyncio.sleep(5)
        finally:
            stack.net.link("c2", up=True)
        return time.perf_counter()

    during_call(stack, fault, "client link down 5 s")


def _get(stack, path, http=requests):
    return run_in(stack.net.clients["c1"], http.get, stack.base_url + path, timeout=10)


def test_postgresql_restart_pages_answer_a_calm_503_and_the_app_recovers_without_restart(stack):
    with data_app(stack.database_url):
        pair = make_video_pair()
    http = run_in(stack.net.clients["c1"], sign_in, stack.base_url, pair.therapist_email,
                  pair.totp_secret)
    assert _get(stack, "/readyz").status_code == 200  # positive control
    assert _get(stack, "/", http).status_code == 200
    app_pids = [stack.procs[f"app{i}"].pid for i in (0, 1)]
    stack.kill("postgres", signal.SIGINT)  # fast shutdown
    try:
        ready = _get(stack, "/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "not ready"
        page = _get(stack, "/", http)  # a signed-in page: its session is in the database
        assert page.status_code == 503, page.status_code
        assert "Traceback" not in page.text and "sqlalchemy" not in page.text.lower()
    finally:
        stack.start_postgres()
    healed = time.perf_counter()
    deadline = healed + 30
    while _get(stack, "/readyz").status_code != 200:
        assert time.perf_counter() < deadline, "not ready 30 s after PostgreSQL came back"
        time.sleep(0.1)
    recovered = time.perf_counter() - healed
    assert _get(stack, "/", http).status_code == 200
    assert [stack.procs[f"app{i}"].pid for i in (0, 1)] == app_pids  # no restart
    print(f"\nPostgreSQL restart: ready again {recovered:.2f} s after it came back")
