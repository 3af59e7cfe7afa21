"""The production command (docs/deploy.md) on loopback: gunicorn with the GeventWebSocketWorker,
PORTAL_ENV=production, PostgreSQL and Redis. A person signs in over HTTP and opens a Socket.IO
connection to /notify with the session cookie; without the cookie the socket is refused.

The test stands where nginx stands: plain HTTP to gunicorn on 127.0.0.1 with the headers nginx
adds (Host, X-Forwarded-Proto: https, X-Forwarded-For) and TRUSTED_PROXIES=1, so the portal sees
an HTTPS request; the client keeps the Secure `__Host-` cookie and sends it back itself, and
sends a Referer only when the page's Referrer-Policy lets a browser send one.

Slow (a server process): runs once, in the SQLite pass. Without PostgreSQL or Redis it skips,
unless CI=true, where it fails.
"""
import contextlib
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import socketio
from sqlalchemy import create_engine, text

from portal.config import TestingConfig
from tests.conftest import csrf_from
from tests.factories import DEFAULT_PASSWORD
from tests.ports import free_port
from tests.test_ops_upgrades import app_for

pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("PG_TEST_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("OPS_REDIS_URL", "redis://127.0.0.1:6379/8")
HOST = "portal.test"
PROXY_HEADERS = {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.10"}
COMMAND = ["-m", "gunicorn", "-k", "geventwebsocket.gunicorn.workers.GeventWebSocketWorker",
           "-w", "1", "--bind"]


def _unreachable(what, error):
    if os.environ.get("CI", "").strip().lower() == "true":
        pytest.fail(f"CI=true but {what} is not reachable: {error}")
    pytest.skip(f"{what} is not reachable ({error}); the production test needs both")


@pytest.fixture(scope="module")
def services():
    import psycopg
    import redis
    try:
        psycopg.connect(PG_SERVER.replace("+psycopg", ""), connect_timeout=3).close()
    except psycopg.Error as exc:
        _unreachable(f"PostgreSQL at {PG_SERVER}", exc)
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).flushdb()
    except redis.RedisError as exc:
        _unreachable(f"Redis at {REDIS_URL}", exc)


@pytest.fixture(scope="module")
def production_database(services):
    """A new PostgreSQL database, migrated, with a client and their therapist."""
    from flask_migrate import upgrade

    from portal.extensions import db
    from tests import factories
    name = f"portal_prod_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_SERVER.rsplit("/", 1)[0] + "/" + name
    app = app_for(url)
    with app.app_context():
        upgrade()
        client = factories.make_client()
        email = client.email
        db.session.remove()
        db.engine.dispose()
    yield url, email
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def production_server(production_database, tmp_path_factory):
    """`gunicorn -k geventwebsocket...GeventWebSocketWorker -w 1 wsgi:app` on a free port."""
    url, _ = production_database
    folder = tmp_path_factory.mktemp("production")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "FLASK_DEBUG")}
    env.update(PORTAL_ENV="production", SECRET_KEY=secrets.token_urlsafe(48),
               PHI_KEYS=TestingConfig.PHI_KEYS, AUDIT_KEYS=TestingConfig.AUDIT_KEYS,
               AUDIT_CHECKPOINT_PATH=str(folder / "audit_checkpoints.jsonl"),
               BASE_URL=f"https://{HOST}", DATABASE_URL=url,
               WEBAUTHN_RP_ID=HOST.split(":")[0], WEBAUTHN_ORIGIN=f"https://{HOST}",
               REDIS_URL=REDIS_URL, TRUSTED_PROXIES="1", SOCKETIO_ASYNC_MODE="gevent",
               INSTANCE_PATH=str(folder))
    log = folder / "gunicorn.log"
    with open(log, "wb") as output:
        process = subprocess.Popen([sys.executable, *COMMAND, f"127.0.0.1:{port}", "wsgi:app"],
                                   cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-6000:]}")
            try:
                if requests.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # bound, worker still booting
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not answer /healthz:\n{log.read_text()[-6000:]}")
            time.sleep(0.2)
        yield base, log
    finally:
        process.send_signal(signal.SIGTERM)  # graceful: waits for open connections to close
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


class BrowserBehindNginx:
    """requests, as a browser talking to nginx: the proxy headers on every request, cookies kept
    by hand (requests would never send a Secure cookie over plain HTTP), and a Referer only when
    the page's Referrer-Policy allows a same-origin one."""

    SENDS_SAME_ORIGIN_REFERER = {"", "same-origin", "origin", "strict-origin",
                                 "origin-when-cross-origin", "strict-origin-when-cross-origin",
                                 "no-referrer-when-downgrade", "unsafe-url"}

    def __init__(self, base):
        self.base = base
        self.http = requests.Session()  # closed at the end: gunicorn waits for open connections
        self.cookies = {}
        self.set_cookie_headers = []
        self.referrer_policy = ""

    def _send(self, method, path, referer=None, **kwargs):
        headers = dict(PROXY_HEADERS)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if referer and self.referrer_policy in self.SENDS_SAME_ORIGIN_REFERER:
            headers["Referer"] = f"https://{HOST}{referer}"
        response = self.http.request(method, self.base + path, headers=headers,
                                     allow_redirects=False, timeout=15, **kwargs)
        self.set_cookie_headers += response.raw.headers.getlist("Set-Cookie")
        self.cookies.update(response.cookies.get_dict())
        self.http.cookies.clear()  # sent by hand above, as a browser would over HTTPS
        if method == "GET":
            self.referrer_policy = response.headers.get("Referrer-Policy", "").split(",")[-1].strip()
        return response

    def get(self, path):
        return self._send("GET", path)

    def close(self):
        self.http.close()

    def submit(self, path, data):
        """Post the form on the page just loaded, from that page."""
        return self._send("POST", path, referer=path, data=data)


def notify_socket(base, cookie=None):
    """A python-socketio client on the websocket transport, as the portal's pages connect."""
    sio = socketio.Client(reconnection=False, websocket_extra_options={
        "host": HOST, "origin": f"https://{HOST}"})
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.10"}
    if cookie:
        headers["Cookie"] = cookie
    sio.connect(base, namespaces=["/notify"], transports=["websocket"], headers=headers,
                wait_timeout=10)
    return sio


def test_health_checks_answer_under_the_production_command(production_server):
    base, _ = production_server
    assert requests.get(base + "/healthz", headers=PROXY_HEADERS, timeout=5).json() == {
        "status": "ok"}
    ready = requests.get(base + "/readyz", headers=PROXY_HEADERS, timeout=5)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "ok"}


@pytest.fixture
def browser(production_server):
    with contextlib.closing(BrowserBehindNginx(production_server[0])) as browser:
        yield browser


def test_sign_in_and_socket_connection_through_gunicorn_with_gevent(production_server,
                                                                      production_database, browser):
    base, log = production_server
    _, email = production_database
    page = browser.get("/auth/login")
    assert page.status_code == 200
    assert "max-age=" in page.headers.get("Strict-Transport-Security", "")
    signed_in = browser.submit("/auth/login", {"csrf_token": csrf_from(page.text),
                                               "email": email, "password": DEFAULT_PASSWORD})
    assert signed_in.status_code == 302, (
        f"sign-in failed with {signed_in.status_code}. Over HTTPS Flask-WTF (WTF_CSRF_SSL_STRICT) "
        f"refuses a form post without a same-origin Referer, and a browser sends none when the "
        f"page's Referrer-Policy is {browser.referrer_policy!r}. Page: "
        f"{' '.join(re.sub(r'<[^>]+>', ' ', signed_in.text).split())[:300]}")
    session_cookie = next(h for h in browser.set_cookie_headers
                          if h.startswith("__Host-portal_session="))
    attributes = {a.strip().split("=")[0].lower() for a in session_cookie.split(";")[1:]}
    assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
    assert browser.get("/home").status_code == 200

    sio = notify_socket(base, cookie=f"__Host-portal_session={browser.cookies['__Host-portal_session']}")
    try:
        assert sio.connected and "/notify" in sio.namespaces
        assert sio.transport() == "websocket"
    finally:
        sio.disconnect()

    with pytest.raises(socketio.exceptions.ConnectionError):
        notify_socket(base).disconnect()
    assert "Traceback" not in log.read_text()
