"""Browser fixtures: one headless Chromium for all browser tests, a fresh context per test, a live server.

The live server runs the test's own `app` (per-test database, loopback SMTP mailbox) in a
background thread, so a test can drive the real pages and check the database and emails.
On SQLite every transaction starts with BEGIN IMMEDIATE (portal/db_setup.py), so even a read in
the test thread holds the write lock: end it (`settle()`) before the browser sends a request.
Chromium is the Debian package (`/usr/bin/chromium`); Playwright's browser download is not used.
"""
import logging
import os
import re
import threading
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import WSGIRequestHandler, make_server

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.user import UserSession
from portal.video import registry as socket_registry

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", "--no-sandbox",
    "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--allow-loopback-in-peer-connection",
]
TIMEOUT_MS = 10_000  # generous: argon2 on a busy 2-core CI machine is slow
expect.set_options(timeout=TIMEOUT_MS)
IN_CI = os.environ.get("CI", "").strip().lower() == "true"


def _unavailable(reason):
    """In CI a missing browser is a failure; on a developer machine the tests are skipped."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


# Package scope: shared by every browser test of the run, and stopped as soon as they are done.
# The sync API keeps its asyncio loop marked as running in this thread while it is alive, which
# would break later tests that call asyncio.run() (aiortc peers, for instance).
@pytest.fixture(scope="package")
def playwright():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="package")
def browser(playwright):
    """One Chromium for all browser tests (launching costs about 0.25 s; contexts are cheap)."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser, live_server):
    """Make another browser context (a second person or device); all are closed after the test."""
    contexts = []

    def make(**options):
        options.setdefault("base_url", live_server)
        options.setdefault("permissions", ["camera", "microphone"])
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


class AccessLog(WSGIRequestHandler):
    """One plain line per request on a logger of our own.

    Werkzeug's own access lines carry ANSI colour codes, and portal.core.logs adds one more escaping
    filter to the "werkzeug" logger for every app built, so with an app per test those lines
    would double in length with every test.
    """

    def log_request(self, code="-", size="-"):
        logging.getLogger("tests.e2e.server").info("%s %s %s", self.command, self.path, code)


@pytest.fixture
def live_server(app):
    """Serve the test's app on a free loopback port; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=AccessLog)
    base_url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = base_url  # links in emails point here
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name="live-server", daemon=True)
    thread.start()
    settle()
    yield base_url
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    forget_sockets()


def forget_sockets():
    """The socket registry is process-wide, and a socket whose browser went silent without
    closing it (offline emulation, a killed page) stays in it until the server's ping timeout,
    after the test. The next test's appointment ids start at 1 again: it would see that
    stale client "waiting" in its room or dashboard."""
    for sid in list(socket_registry.registry.snapshot()):
        socket_registry.registry.forget(sid)


# --- helpers used by several test modules ---------------------------------------------------
def settle():
    """End the test thread's transaction, so the server's requests can write."""
    db.session.commit()


def sign_in(page, email, password, totp_secret=None):
    """Sign in through the real pages, like a person would."""
    settle()
    fill_sign_in(page, email, password, totp_secret)


def fill_sign_in(page, email, password, totp_secret=None):
    """The sign-in form, then the second factor when the account has one."""
    page.goto("/auth/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    if totp_secret:
        page.wait_for_url(re.compile(r"/auth/mfa$"))
        page.get_by_label("Code").fill(pyotp.TOTP(totp_secret).now())
        page.get_by_role("button", name="Continue").click()


def _sessions_of(user_id):
    return db.select(UserSession).where(UserSession.user_id == user_id)


def age_sessions(user_id, minutes):
    """Let `minutes` pass on the server's clock for the user's sessions, as if they sat idle."""
    db.session.expire_all()
    for row in db.session.scalars(_sessions_of(user_id)):
        row.created_at -= timedelta(minutes=minutes)
        row.last_seen_at -= timedelta(minutes=minutes)
    settle()


def seconds_since_seen(user_id):
    """Seconds since the server last saw the user's newest session."""
    db.session.expire_all()
    row = db.session.scalars(_sessions_of(user_id).order_by(UserSession.id.desc())).first()
    seconds = (utcnow() - row.last_seen_at).total_seconds()
    settle()
    return seconds
