"""Who has a waiting room open right now, across every server process: the therapist's
"waiting" badge (GET /video/waiting, /notify's `waiting_changed`) and the dashboard read it.

Production runs two gunicorn processes behind nginx (docs/deploy.md); a client's socket lands
on either, so one process's own sockets (registry.py) are not the answer. With REDIS_URL, each
therapist has a sorted set in Redis, `<SOCKETIO_CHANNEL>:present:<therapist id>`, whose members
are "<appointment id>:<socket id>" of their clients' open room sockets, scored by the Unix time
the member expires. A client's join adds it; leaving and disconnecting remove it; the process
holding the socket refreshes it on each heartbeat of the room page (every 15 s) and on each of
its sweeps (registry.SWEEP_SECONDS, 10 s), to now + PRESENCE_SECONDS. Reads drop expired
members first. So a socket whose process died without running its disconnect handler (kill -9,
a crash) stops counting within PRESENCE_SECONDS = 45 s: three missed heartbeats, four missed
sweeps. Long enough that a slow process or a Redis blip never makes a waiting client vanish from
the badge; short enough that a dead process does not keep it lit for minutes.

Without REDIS_URL (development, tests: one process) this process's registry is the answer.
A Redis error never breaks a join, a heartbeat or a page: its type is logged, writes are
skipped (the next refresh repairs them) and reads fall back to this process's registry, what
the portal knew before. Members carry ids only: no names, nothing about anyone's health.
"""
import logging
import threading
import time

import redis

PRESENCE_SECONDS = 45.0
log = logging.getLogger(__name__)
_clients = {}
_clients_lock = threading.Lock()


def connection(app):
    """This process's Redis client for the app's REDIS_URL, or None without one. Short
    timeouts: a Redis that does not answer costs a socket event one second, not a hang."""
    url = app.config.get("REDIS_URL")
    if not url:
        return None
    with _clients_lock:
        client = _clients.get(url)
        if client is None:
            client = _clients[url] = redis.Redis.from_url(
                url, socket_timeout=1.0, socket_connect_timeout=1.0, health_check_interval=30)
        return client


def prefix(app):
    """Keys and channels of this portal (several may share one Redis)."""
    return app.config.get("SOCKETIO_CHANNEL") or "kap-portal"


def _key(app, therapist_id):
    return f"{prefix(app)}:present:{int(therapist_id)}"


def counts(entry):
    """A socket that counts towards a therapist's waiting clients: a client's, in a room."""
    return (entry is not None and entry.role == "client" and entry.appointment_id is not None
            and entry.therapist_id is not None)


def refresh(app, sockets):
    """Count these (sid, registry entry) pairs as present for PRESENCE_SECONDS more: a join, a
    heartbeat, a sweep. Entries that do not count are skipped."""
    client = connection(app)
    sockets = [(sid, entry) for sid, entry in sockets if counts(entry)]
    if client is None or not sockets:
        return
    expires = time.time() + PRESENCE_SECONDS
    try:
        pipe = client.pipeline(transaction=False)
        for sid, entry in sockets:
            key = _key(app, entry.therapist_id)
            pipe.zadd(key, {f"{int(entry.appointment_id)}:{sid}": expires})
            pipe.expire(key, int(PRESENCE_SECONDS) + 1)  # a key nobody refreshes goes too
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("presence refresh failed error=%s", type(exc).__name__)


def departed(app, sid, entry):
    """The socket left its room or closed: it no longer counts (at once, on every process)."""
    client = connection(app)
    if client is None or not counts(entry):
        return
    try:
        client.zrem(_key(app, entry.therapist_id), f"{int(entry.appointment_id)}:{sid}")
    except redis.RedisError as exc:
        log.warning("presence removal failed error=%s", type(exc).__name__)


def present(app, therapist_ids, registry):
    """{therapist id: set of appointment ids} whose client has a room socket open on any server
    process now (on this one only without Redis, or when Redis fails)."""
    therapist_ids = sorted({int(t) for t in therapist_ids})
    client = connection(app)
    if client is not None and therapist_ids:
        now = time.time()
        try:
            pipe = client.pipeline(transaction=False)
            for therapist_id in therapist_ids:
                pipe.zremrangebyscore(_key(app, therapist_id), "-inf", now)
                pipe.zrangebyscore(_key(app, therapist_id), f"({now}", "+inf")
            replies = pipe.execute()[1::2]
            return {t: {int(m.split(b":", 1)[0]) for m in members}
                    for t, members in zip(therapist_ids, replies, strict=True)}
        except redis.RedisError as exc:
            log.warning("presence read failed error=%s", type(exc).__name__)
    local = {t: set() for t in therapist_ids}
    for entry in registry.snapshot().values():
        if counts(entry) and entry.therapist_id in local:
            local[entry.therapist_id].add(entry.appointment_id)
    return local
