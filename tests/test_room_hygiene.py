"""Socket hygiene (issue 11 §7): every event rate limited per socket, repeated joins folded into
one, a waiting client's media state kept in the waiting room, SDP checked whatever its case or
spacing, and handler errors logged as type and place only."""
import logging
import re

import pytest
from sqlalchemy import func, select

from portal.extensions import db, socketio
from portal.models.audit import AuditEvent
from portal.models.call import Call, CallEvent
from portal.video import events_call, limits, signaling
from tests.test_video_signaling import FINGERPRINT, SDES, SDP
from tests.video_helpers import (
    NOTIFY,
    Participant,
    in_call,
    isolate_registry,
    video_appointment,
)


class StillClock:
    """The buckets' clock, moved only by the test (a loaded machine would refill tokens)."""

    def __init__(self):
        self.now = 5000.0

    def monotonic(self):
        return self.now


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


@pytest.fixture
def clock(monkeypatch):
    still = StillClock()
    monkeypatch.setattr(limits, "time", still)
    return still


@pytest.fixture
def appointment(client_user):
    return video_appointment(client_user, located=True)


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- joins: folded and limited ----------------------------------------------------------------
def test_a_join_flood_folds_into_one_join_and_is_rate_limited(app, clock, therapist, client_user,
                                                              appointment):
    appointment_id = appointment.id
    clinician, client = Participant(app, therapist), Participant(app, client_user)
    assert clinician.connect(NOTIFY) and clinician.connect() and client.connect()
    assert clinician.join(appointment_id)["ok"]
    clinician.received()

    acks = [client.join(appointment_id) for _ in range(300)]
    assert acks[0] == {"ok": True, "state": "waiting"}
    assert acks.count({"ok": True, "state": "waiting"}) == 20  # the burst; the rest refused
    errors = client.received("error")
    assert len(errors) == 280 and {e["code"] for e in errors} == {"rate_limited"}
    assert all(e["retry_after"] > 0 for e in errors)
    assert client.connected  # limited, not thrown out

    assert count(AuditEvent, AuditEvent.event == "call_join",
                 AuditEvent.object_id == str(appointment_id)) == 2  # therapist + client, once
    call = db.session.scalar(select(Call).where(Call.appointment_id == appointment_id))
    assert call.reconnections == 0
    assert count(CallEvent, CallEvent.call_id == call.id, CallEvent.user_id == client.id) == 1
    alerts = [name for name, _ in clinician.received(namespace=NOTIFY)]
    assert sorted(alerts) == ["client_waiting", "waiting_changed"]  # one chime, one badge
    assert len(clinician.received("peer_joined")) == 1

    clock.now += 2  # the bucket refills: a repeated join is answered again, still folded
    assert client.join(appointment_id) == {"ok": True, "state": "waiting"}
    assert client.received("joined")[-1]["state"] == "waiting"
    assert count(AuditEvent, AuditEvent.event == "call_join",
                 AuditEvent.object_id == str(appointment_id)) == 2


@pytest.mark.parametrize(("event", "burst"), [
    ("announce", 20), ("media_state", 20), ("heartbeat", 50), ("chat", 40), ("admit", 20),
])
def test_every_event_has_a_per_socket_limit(app, clock, fresh_registry, therapist, client_user,
                                            appointment, event, burst):
    client, clinician = in_call(app, appointment, client_user, therapist)
    for entry in fresh_registry.snapshot().values():
        entry.buckets.clear()  # the joins and the admission spent some
    sender = clinician if event == "admit" else client
    message = {"appointment_id": appointment.id, "text": "hi"}
    for _ in range(burst + 3):
        sender.emit(event, message)
    assert [e["code"] for e in sender.received("error")] == ["rate_limited"] * 3
    other = client if sender is clinician else clinician  # the other socket is not limited
    other.emit("announce", appointment_id=appointment.id)
    assert other.errors() == [] and other.connected


def test_the_bucket_refills_with_time():
    entry = type("Entry", (), {"buckets": {}})()
    assert [limits.take(entry, "room", 2, 10.0, now=0.0) for _ in range(3)] == [0.0, 0.0, 5.0]
    assert limits.take(entry, "room", 2, 10.0, now=5.0) == 0.0
    assert limits.take(entry, "room", 2, 10.0, now=5.0) == 5.0
    assert limits.take(None, "room", 2, 10.0) == 0.0


# --- media state stays in the waiting room ------------------------------------------------------
def test_a_waiting_clients_media_state_is_not_relayed(app, therapist, client_user, appointment):
    appointment_id = appointment.id
    clinician, client = Participant(app, therapist), Participant(app, client_user)
    assert clinician.connect() and client.connect()
    clinician.join(appointment_id)
    assert client.join(appointment_id)["state"] == "waiting"
    clinician.received(), client.received()

    state = {"appointment_id": appointment_id, "audio": False, "video": True}
    assert client.emit("media_state", state) == {"ok": False, "code": "not_admitted"}
    assert clinician.emit("media_state", state) == {"ok": False, "code": "not_admitted"}
    assert clinician.received("media_state") == [] and client.received("media_state") == []
    assert client.errors() == [] and clinician.errors() == []

    # positive control: admitted, the same message goes across
    clinician.emit("admit", appointment_id=appointment_id)
    assert client.emit("media_state", state) == {"ok": True}
    assert clinician.received("media_state") == [
        {"from": "client", "audio": False, "video": True, "audio_only": False}]


# --- SDP after normalising case and whitespace ---------------------------------------------------
CRYPTO = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"
VARIANTS = [" " + CRYPTO, CRYPTO.upper(), "A=Crypto:1 x", "a = crypto:1 x", "\ta=crypto:1 x",
            "a=crypto :1 x"]


@pytest.mark.parametrize("line", VARIANTS)
def test_sdes_keys_are_refused_whatever_their_case_or_spacing(line):
    sdp = SDP.replace("a=setup:actpass", line)
    with pytest.raises(signaling.SignalError) as refused:
        signaling.parse({"type": "offer", "sdp": sdp})
    assert refused.value.code == "sdes_refused"


def test_every_kind_of_space_is_dropped_as_the_pattern_would_drop_it():
    """_normalised_lines drops whitespace with str.split() (fast); it must drop exactly what
    re's \\s drops, for every code point (NBSP, ideographic space, U+001C ...)."""
    spaces = [chr(c) for c in range(0x110000) if re.fullmatch(r"\s", chr(c))]
    assert spaces == [chr(c) for c in range(0x110000) if chr(c).isspace()]
    text = "A" + "".join(spaces) + "=CRYPTO:1"  # some of them end a line too
    assert signaling._normalised_lines(text) == [re.sub(r"\s+", "", line).lower()
                                                 for line in text.splitlines()]
    assert signaling._normalised_lines("A\u00a0=\u3000CRYPTO\t:1") == ["a=crypto:1"]


@pytest.mark.parametrize("sdp", [SDP, SDP.replace("a=fingerprint", "A=FINGERPRINT"),
                                 SDP.replace("\r\n", "\n"), " v=0\r\n" + SDP[5:]])
def test_well_formed_sdp_still_passes(sdp):
    signaling.check_sdp(sdp)  # the positive control of the refusals above


def test_a_hidden_crypto_line_is_not_relayed(app, therapist, client_user, appointment):
    client, clinician = in_call(app, appointment, client_user, therapist)
    sdp = SDP.replace("a=setup:actpass", "A=CRYPTO:1 AES_CM_128_HMAC_SHA1_80 inline:x")
    client.emit("signal", appointment_id=appointment.id, data={"type": "offer", "sdp": sdp})
    assert client.errors() == ["sdes_refused"] and clinician.received() == []
    assert SDES != sdp and FINGERPRINT in sdp


# --- errors: type and place only -------------------------------------------------------------
def test_a_handler_error_is_logged_as_type_and_place_and_answered(app, monkeypatch, caplog,
                                                                  therapist, client_user,
                                                                  appointment):
    client, _ = in_call(app, appointment, client_user, therapist)

    def broken(message, **_options):
        raise ValueError("the client's words: I feel unsafe at 12 Elm St")
    monkeypatch.setattr(events_call, "participant_room", broken)
    with caplog.at_level(logging.INFO):
        ack = client.emit("connected", appointment_id=appointment.id)
    assert ack == {"ok": False, "code": "server_error"}
    assert client.errors() == ["server_error"] and client.connected
    text = caplog.text
    assert "type=ValueError" in text and "events_call.py:" in text
    assert "Elm St" not in text and "Traceback" not in text


def test_engineio_and_socketio_log_no_tracebacks(app, caplog):
    for logger in (socketio.server.logger, socketio.server.eio.logger):
        assert logger.name.startswith("portal.") and logger.level == logging.WARNING
        try:
            raise RuntimeError("packet text: 12 Elm St")
        except RuntimeError:
            with caplog.at_level(logging.WARNING):
                logger.exception("message handler error")
    assert "Elm St" not in caplog.text and "Traceback" not in caplog.text
    assert caplog.text.count("type=RuntimeError") == 2
