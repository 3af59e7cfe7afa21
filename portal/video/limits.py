"""Per-socket rate limits of every /video event: a token bucket per socket and event group,
in this process's memory (a socket lives in one process, so no Redis is needed).

A bucket holds `burst` tokens and refills `burst` every `seconds` (SOCKET_RATES in the config):
a page may send a short burst (call setup, a reconnect) but not a flood. Over the limit, the
event does nothing and the sender gets `error {code: "rate_limited", retry_after}`; the socket
stays open. One client's 300 joins once gave 300 audit rows and 300 chimes (issue 11).
"""
import time

from flask import current_app, request

from portal.video import registry as registry_module
from portal.video.signaling import SignalError

GROUPS = {
    "signal": "relay", "chat": "relay",
    "join": "room", "announce": "room", "connected": "room", "admit": "room",
    "send_back": "room", "leave": "room", "end": "room",
    "media_state": "media",
    "heartbeat": "heartbeat",
    "precheck_offer": "precheck", "precheck_stop": "precheck",
}


class RateLimited(SignalError):
    def __init__(self, retry_after):
        super().__init__("rate_limited", "Too many messages at once; please slow down.")
        self.retry_after = round(max(retry_after, 0.1), 1)

    def payload(self):
        return {**super().payload(), "retry_after": self.retry_after}


def take(entry, group, burst, seconds, now=None):
    """Spend one token of `entry`'s bucket for `group`; 0.0 when allowed, else the seconds
    until the next token. Without an entry (a socket this process forgot) nothing is limited."""
    if entry is None:
        return 0.0
    now = time.monotonic() if now is None else now
    rate = burst / seconds
    tokens, stamp = entry.buckets.get(group, (float(burst), now))
    tokens = min(float(burst), tokens + (now - stamp) * rate)
    if tokens >= 1.0:
        entry.buckets[group] = (tokens - 1.0, now)
        return 0.0
    entry.buckets[group] = (tokens, now)
    return (1.0 - tokens) / rate


def check(entry, event, rates):
    """Raise RateLimited when `event` is over its group's limit for this socket."""
    group = GROUPS[event]
    wait = take(entry, group, *rates[group])
    if wait:
        raise RateLimited(wait)


def charge(event):
    """The full path's check, in a Socket.IO request context (the socket is request.sid)."""
    check(registry_module.registry.get(request.sid), event, current_app.config["SOCKET_RATES"])
