"""The pre-call echo's rules (issue 11 §7): one slot per person (one client re-offering every
few seconds once held both), a rate limit, the 16 KB SDP cap of signaling, and a malformed
offer answered `bad_sdp` and logged without the client's text. The echo of real media is
tested against a real server in tests/rtc/test_aiortc_call.py."""
import logging

import pytest

from portal.video import limits, precheck
from tests.test_video_signaling import SDP
from tests.video_helpers import Participant, isolate_registry


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


class FakePeer:
    closed = False

    async def close(self):
        self.closed = True


@pytest.fixture
def echo(monkeypatch):
    """The echo service with the aiortc part replaced: each answer reserves a FakePeer."""
    service = precheck.EchoService()

    async def answer(owner, sdp, max_seconds, ice_servers):
        service._peers[owner] = FakePeer()
        return {"type": "answer", "sdp": "v=0 (fake)"}
    monkeypatch.setattr(service, "_answer", answer)
    monkeypatch.setattr(precheck, "service", service)
    yield service
    service.shutdown()


def offer(person, sdp=SDP):
    return person.emit("precheck_offer", sdp=sdp)


def test_one_person_takes_one_slot_whatever_the_tabs(app, echo, client_user, therapist,
                                                     other_client):
    tabs = [Participant(app, client_user) for _ in range(2)]
    for tab in tabs:
        assert tab.connect()
    for _ in range(3):  # re-offering from both tabs
        for tab in tabs:
            assert offer(tab)["type"] == "answer"
    assert echo.count() == 1

    clinician, third = Participant(app, therapist), Participant(app, other_client)
    assert clinician.connect() and third.connect()
    assert offer(clinician)["type"] == "answer"  # the second slot
    assert echo.count() == 2
    assert offer(third)["error"]["code"] == "busy"

    clinician.disconnect()  # closing the tab ends its echo
    assert echo.count() == 1
    assert offer(third)["type"] == "answer"


def test_a_closed_tab_does_not_end_the_same_persons_newer_echo(app, echo, client_user):
    old, new = Participant(app, client_user), Participant(app, client_user)
    assert old.connect() and new.connect()
    offer(old)
    offer(new)
    old.disconnect()
    assert echo.count() == 1  # the echo the new tab started goes on
    new.disconnect()
    assert echo.count() == 0


@pytest.mark.parametrize(("size", "accepted"), [(16 * 1024, True), (16 * 1024 + 1, False),
                                              (900 * 1024, False)])
def test_the_offer_is_capped_at_16_kb(app, echo, client_user, size, accepted):
    person = Participant(app, client_user)
    assert person.connect()
    sdp = SDP + "a=x-padding:" + "x" * (size - len(SDP) - 14) + "\r\n"
    assert len(sdp) == size
    ack = offer(person, sdp)
    if accepted:
        assert ack["type"] == "answer"
    else:
        assert ack["error"]["code"] == "too_large" and echo.count() == 0


def test_the_echo_is_rate_limited(app, echo, monkeypatch, client_user):
    monkeypatch.setattr(limits, "time", type("Still", (), {"monotonic": staticmethod(
        lambda: 100.0)})())
    person = Participant(app, client_user)
    assert person.connect()
    acks = [offer(person) for _ in range(5)]
    assert [a.get("type") for a in acks[:3]] == ["answer"] * 3
    assert [a["error"]["code"] for a in acks[3:]] == ["rate_limited"] * 2


def test_an_unparseable_offer_is_refused_and_logged_without_its_text(app, caplog, client_user):
    """Through the real aiortc echo: its parser's exception would quote the SDP."""
    person = Participant(app, client_user)
    assert person.connect()
    sdp = SDP.replace("m=video 9 UDP/TLS/RTP/SAVPF 96", "m=video nine SECRET-TEXT-12-ELM-ST")
    with caplog.at_level(logging.INFO):
        ack = offer(person, sdp)
    assert ack == {"error": {"code": "bad_sdp",
                             "message": "The session description could not be used."}}
    assert "type=" in caplog.text
    assert "SECRET-TEXT" not in caplog.text and "Traceback" not in caplog.text
    assert precheck.service.count() == 0
