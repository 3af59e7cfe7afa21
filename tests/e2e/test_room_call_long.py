"""Issue 11, part 1: a therapy hour is not cut at minute 30.

Both pages and the server live through 55 minutes of a connected call: Playwright's clock moves
the pages (11 minutes at a time, like a laptop lid closed and opened: the Socket.IO connections
drop and come back, and the call repairs itself), time_machine moves the server (the live
server is a thread of this process). After each jump the call's heartbeat tells the server the
call is connected, and the server keeps the session alive (the page hears `kept_alive`). No
"Are you still there?" dialog, no sign-in page, and the session is still valid at the end.
"""
import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect

from portal.core.time import utcnow
from portal.video import keepalive
from tests.e2e.test_room_call import (
    client_waits,
    connected,
    make_room_cast,
    person,
    therapist_opens,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def cast(app, factories):
    return make_room_cast(factories)

COUNT_KEEPALIVES = """() => { window.__kept = 0;
    document.addEventListener('session:activity', () => { window.__kept += 1; }); }"""


@pytest.fixture
def keepalive_every_heartbeat(monkeypatch):
    """The server moves the idle clock at most once a minute per socket, a minute measured on
    the real (monotonic) clock, which time_machine leaves alone: here minutes pass in seconds."""
    monkeypatch.setattr(keepalive, "KEEP_ALIVE_SECONDS", 0.0)


def test_call_stays_connected_through_55_fast_forwarded_minutes(new_context, cast,
                                                                keepalive_every_heartbeat):
    with time_machine.travel(utcnow(), tick=True) as server_clock:
        client_page, therapist_page = person(new_context), person(new_context)
        pages = (client_page, therapist_page)
        for page in pages:
            page.clock.install()
        client_waits(client_page, cast)
        therapist_opens(therapist_page, cast)
        therapist_page.get_by_role("button", name=f"Admit {cast.client_name}").click()
        connected(*pages)
        for page in pages:
            page.evaluate(COUNT_KEEPALIVES)

        for _ in range(5):  # 5 x 11 minutes
            for page in pages:
                page.clock.fast_forward("11:00")
            server_clock.shift(timedelta(minutes=11))
            connected(*pages)
            for page in pages:  # one heartbeat each, answered with kept_alive
                kept = page.evaluate("window.__kept")
                page.clock.run_for(15_000)
                page.wait_for_function(f"() => window.__kept > {kept}")
                expect(page.get_by_role("dialog", name="Are you still there?")).to_be_hidden()
                expect(page).to_have_url(re.compile(rf"/sessions/{cast.appointment_id}$"))

        for page in pages:  # 55 minutes of jumps, 5 heartbeats of 15 s, and the real time
            expect(page.locator("#call-timer")).to_have_text(re.compile(r"^(5[5-9]|60):\d\d$"))
        therapist_page.reload()  # the server kept the session as well
        expect(therapist_page.locator("#room")).to_have_attribute("data-state", "in_call")
        connected(*pages)
