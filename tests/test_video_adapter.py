"""The relay's two paths on the libraries' public APIs (portal/video/relay.py): Flask-SocketIO's
`on_event` puts its wrapper into python-socketio's handler table (`server.handlers`), the relay
takes it from there and puts the fast path in front with `server.on`. These tests fail when
either library changes that contract, and show that the fallback still runs the full handler
as Flask-SocketIO runs any event: in a Flask request context, with the signed-in user."""
import flask
import pytest
from flask import request
from flask_login import current_user
from flask_socketio import SocketIO

from portal.extensions import socketio
from portal.video import grants, relay
from portal.video import registry as registry_module
from tests.video_helpers import (
    NS,
    Participant,
    isolate_registry,
    video_appointment,
)


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


def test_flask_socketio_on_event_fills_python_socketio_handler_table():
    """What relay.register relies on: after `on_event`, the table holds a callable taking
    (sid, message) that runs our handler in a request context of the socket's app."""
    app = flask.Flask(__name__)
    ext = SocketIO(app, async_mode="threading")
    sids, seen = [], []

    def on_connect(auth=None):
        sids.append(request.sid)

    def handler(message):
        seen.append((flask.has_request_context(), request.sid, request.namespace, message))
        return {"ok": True}

    ext.on_event("connect", on_connect, namespace=NS)
    ext.on_event("ping", handler, namespace=NS)
    wrapper = relay.registered_handler(ext.server, "ping")
    assert callable(wrapper)
    assert ext.test_client(app, namespace=NS).is_connected(NS)
    [sid] = sids
    assert wrapper(sid, {"n": 1}) == {"ok": True}
    assert seen == [(True, sid, NS, {"n": 1})]


def test_each_relay_event_has_the_fast_path_in_front_of_the_full_handler(app):
    for event in relay.FAST:
        assert relay.registered_handler(socketio.server, event).__name__ == f"relay_{event}"


def test_without_a_grant_the_full_handler_runs_in_a_request_context_as_the_user(
        app, factories, monkeypatch):
    therapist = factories.make_therapist()
    appointment = video_appointment(factories.make_client(therapist))
    person = Participant(app, therapist)
    assert person.connect()  # connected, not joined: the socket holds no grant yet
    calls, original = [], grants.grant_for

    def spy(message, check, need_admitted=False):
        calls.append((flask.has_request_context(), current_user.is_authenticated and
                      current_user.id, request.sid, request.namespace))
        return original(message, check, need_admitted)
    monkeypatch.setattr(grants, "grant_for", spy)

    assert person.emit("heartbeat", appointment_id=appointment.id) == {"ok": True}
    [(in_request, user_id, sid, namespace)] = calls
    assert in_request and user_id == therapist.id and namespace == NS
    entry = registry_module.registry.get(sid)
    assert entry.grant.user_id == therapist.id  # the full check cached a grant for the socket

    assert person.emit("heartbeat", appointment_id=appointment.id) == {"ok": True}
    assert len(calls) == 1  # the next event took the fast path

