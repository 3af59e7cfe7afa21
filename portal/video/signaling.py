"""Signaling messages, typed and validated in one place (after aiortc's contrib/signaling).

A participant sends {"type": "offer"|"answer", "sdp": str} or {"type": "candidate", ...} or
{"type": "bye"}; anything else, anything too large, SDP without a DTLS fingerprint or with SDES
keys (a=crypto, which would let the signaling server see media keys) is refused, whatever its
case or spacing. The pre-call check's offers pass the same check_sdp.
"""
import json
from dataclasses import dataclass

MAX_MESSAGE_BYTES = 16 * 1024
MAX_CANDIDATE = 1024


class SignalError(ValueError):
    """A refused message; `code` is sent back in the error event."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code

    def payload(self):
        """The `error` event (or the ack's error) sent back to the sender."""
        return {"code": self.code, "message": str(self)}


@dataclass(frozen=True)
class Signal:
    type: str
    sdp: str | None = None
    candidate: dict | None = None
    restart: bool = False

    def to_wire(self):
        data = {"type": self.type}
        if self.sdp is not None:
            data["sdp"] = self.sdp
        if self.candidate is not None:
            data["candidate"] = self.candidate
        if self.restart:
            data["restart"] = True
        return data


def _size(message):
    try:
        return len(json.dumps(message))
    except (TypeError, ValueError) as exc:
        raise SignalError("bad_message", "The message is not valid JSON data.") from exc


def _normalised_lines(sdp):
    """The SDP's lines in lower case without any whitespace: " a=crypto", "A=CRYPTO" and
    "a = crypto" all read "a=crypto" (a parser that is lenient about case or spaces must not
    let SDES keys through). str.split() drops exactly what the pattern \\s matches (both are
    str.isspace(), checked over every code point by tests/test_room_hygiene.py) at an eighth
    of the cost of re.sub per line: a browser's offer has about 80 lines, and this ran on
    every offer and answer relayed (bench/signaling.py)."""
    return ["".join(line.split()).lower() for line in sdp.splitlines()]


def check_sdp(sdp):
    """Refuse a session description that is not SDP, too large (16 KB, like every signal),
    carries SDES keys (a=crypto) or has no DTLS fingerprint."""
    if not isinstance(sdp, str):
        raise SignalError("bad_sdp", "The session description is not valid SDP.")
    if len(sdp.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES:
        raise SignalError("too_large", "The session description is too large.")
    lines = [line for line in _normalised_lines(sdp) if line]
    if not lines or lines[0] != "v=0":
        raise SignalError("bad_sdp", "The session description is not valid SDP.")
    if any(line.startswith("a=crypto") for line in lines):
        raise SignalError("sdes_refused", "SDES keys (a=crypto) are refused: DTLS-SRTP only.")
    if not any(line.startswith("a=fingerprint:") for line in lines):
        raise SignalError("no_fingerprint", "The session description has no DTLS fingerprint.")


def parse(message):
    """A validated Signal from a participant's raw message, or SignalError."""
    if not isinstance(message, dict):
        raise SignalError("bad_message", "A signal must be an object.")
    if _size(message) > MAX_MESSAGE_BYTES:
        raise SignalError("too_large", "The message is too large.")
    kind = message.get("type")
    if kind in ("offer", "answer"):
        check_sdp(message.get("sdp"))
        return Signal(kind, sdp=message["sdp"], restart=bool(message.get("restart")))
    if kind == "candidate":
        candidate = message.get("candidate")
        if candidate is None:  # end of candidates
            return Signal("candidate", candidate=None)
        if not isinstance(candidate, dict) or not isinstance(candidate.get("candidate", ""), str):
            raise SignalError("bad_candidate", "The ICE candidate is not valid.")
        if len(candidate.get("candidate", "")) > MAX_CANDIDATE:
            raise SignalError("too_large", "The ICE candidate is too large.")
        allowed = {k: candidate[k] for k in ("candidate", "sdpMid", "sdpMLineIndex",
                                             "usernameFragment") if k in candidate}
        return Signal("candidate", candidate=allowed)
    if kind == "bye":
        return Signal("bye")
    raise SignalError("bad_type", "Unknown signal type.")
