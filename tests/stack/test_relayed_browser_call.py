"""Two Chromiums, each in its own client namespace, in a call through the production stack: sign-in
(the therapist with a TOTP code), the waiting room, admission, and video both ways. The two
namespaces cannot reach each other, so the media the browsers chose must go through coturn."""
import tempfile

import pytest
from playwright.sync_api import sync_playwright

from tests.factories import DEFAULT_PASSWORD
from tests.rtc import data_app, make_video_pair
from tests.stack.browser import PLAYING, SELECTED_PAIR, browsers_in, person, sign_in

pytestmark = pytest.mark.stack


def browser_call(browsers, stack, pair):
    """Client waits, therapist admits, both see the other's video; returns (client, therapist)."""
    client = person(browsers["client"], stack.base_url)
    therapist = person(browsers["therapist"], stack.base_url)
    room = f"/sessions/{pair.appointment_id}"
    sign_in(client, pair.client_email, DEFAULT_PASSWORD)
    client.goto(room)
    client.get_by_role("heading", name="You are in the waiting room").wait_for()
    sign_in(therapist, pair.therapist_email, DEFAULT_PASSWORD, pair.totp_secret)
    therapist.goto(room)
    therapist.locator("#admit").click()
    for page in (client, therapist):
        page.wait_for_function(PLAYING)
    return client, therapist


def test_two_browsers_that_cannot_reach_each_other_call_through_the_turn_relay(stack):
    with data_app(stack.database_url):
        pair = make_video_pair()
    namespaces = {"therapist": stack.net.clients["c1"], "client": stack.net.clients["c2"]}
    with tempfile.TemporaryDirectory(prefix="stack-chromium-") as tmp, sync_playwright() as pw, \
            browsers_in(pw, namespaces, tmp, trusted_cert=stack.cert) as browsers:
        client, therapist = browser_call(browsers, stack, pair)
        print()
        for name, page in (("therapist", therapist), ("client", client)):
            # The certificate is trusted, not waved through: the camera needs a secure context.
            assert page.evaluate("window.isSecureContext") is True
            selected = page.evaluate(SELECTED_PAIR)
            print(f"{name} selected candidate pair ({selected['from']}): local "
                  f"{selected['local']} {selected['localAddress']}, remote {selected['remote']} "
                  f"{selected['remoteAddress']}, relay protocol {selected['relayProtocol']}")
            assert "relay" in (selected["local"], selected["remote"]), selected
