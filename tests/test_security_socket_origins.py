"""Cross-site WebSocket hijacking (issue 14, "the matrices, completed"): a page on another site
must not open /video or /notify with the visitor's session cookie. Engine.IO checks `Origin`
against the portal's own (SOCKETIO_ORIGINS unset: same origin only) on every request, before
any transport or namespace; these requests go through the real Engine.IO WSGI middleware of the
app (Flask-SocketIO's test client would bypass it), signed in as a real client.

Positive control: the same signed-in browser with the portal's own Origin completes the
handshake and connects to both namespaces.
"""
import json

import pytest

from tests.conftest import signed_in

OWN = "http://localhost"  # the test client's host: the portal's own origin here
FOREIGN = ["https://evil.example", "null", "http://localhost.evil.example",
           "http://evil.example.localhost", "https://localhost", "http://localhost:8080"]
HANDSHAKE = "/socket.io/?EIO=4&transport={transport}"


def handshake(browser, origin, transport="polling"):
    return browser.get(HANDSHAKE.format(transport=transport), headers={"Origin": origin})


def connect(browser, namespace, origin, sid):
    url = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
    sent = browser.post(url, data=f"40{namespace},", headers={"Origin": origin})
    return sent, browser.get(url, headers={"Origin": origin})


@pytest.fixture
def browser(app, client_user):
    return signed_in(app, client_user)


@pytest.mark.parametrize("origin", FOREIGN)
@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_foreign_origins_cannot_open_a_socket(browser, origin, transport):
    response = handshake(browser, origin, transport)
    assert response.status_code == 400
    assert b"Not an accepted origin" in response.get_data()  # refused for its origin, not
    assert b"sid" not in response.get_data()  # for a transport the test client cannot upgrade


@pytest.mark.parametrize("namespace", ["/video", "/notify"])
def test_the_portal_own_origin_connects(browser, namespace):
    """Positive control: same browser, same session, the portal's Origin."""
    response = handshake(browser, OWN)
    assert response.status_code == 200
    sid = json.loads(response.get_data(as_text=True)[1:])["sid"]
    sent, answer = connect(browser, namespace, OWN, sid)
    assert sent.status_code == 200
    assert answer.get_data(as_text=True).startswith(f"40{namespace},{{\"sid\"")


@pytest.mark.parametrize("origin", FOREIGN)
@pytest.mark.parametrize("namespace", ["/video", "/notify"])
def test_a_foreign_origin_cannot_ride_an_open_engine_session(browser, origin, namespace):
    """An Engine.IO session opened by the portal's page cannot be joined from another origin
    (every request is checked, not only the handshake)."""
    sid = json.loads(handshake(browser, OWN).get_data(as_text=True)[1:])["sid"]
    sent, answer = connect(browser, namespace, origin, sid)
    assert sent.status_code == 400 and answer.status_code == 400
    assert b"Not an accepted origin" in sent.get_data()
    assert f"40{namespace}," not in answer.get_data(as_text=True)
