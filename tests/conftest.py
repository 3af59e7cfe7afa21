"""Shared fixtures: a fresh database per test (SQLite or PostgreSQL), a real SMTP server, login,
the people most tests need (`therapist`, their `client_user` or `eligible_client`, `other_client`,
`other_therapist`, `admin`, built by tests/factories.py) and `no_gates` for booking freely.

The database comes from real migrations, never create_all(): SQLite tests copy a migrated
template file; PostgreSQL tests get a database of their own per run (TEST_DATABASE_URL names the
server) and every table is truncated between tests.
"""
import contextvars
import os
import re
import shutil
import threading
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from portal import create_app
from portal.config import TestingConfig
from portal.extensions import db, limiter
from portal.notifications.sender import sender
from portal.scheduling import gates
from tests.ports import free_port
from tests.scheduling_helpers import EVERY_DAY, make_eligible, weekly_hours

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
ON_PG = PG_URL.startswith("postgresql")


# --- database -------------------------------------------------------------------------------
def _migrate(url):
    from flask_migrate import upgrade
    app = create_app(type("MigrateConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        upgrade()
        db.engine.dispose()


_SEED_ROWS = {}


def _remember_seed_rows(url):
    """Rows the migrations insert (e.g. consent documents v1), put back after each truncate."""
    from sqlalchemy import MetaData
    engine = create_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name != "alembic_version":
                rows = [dict(r._mapping) for r in conn.execute(table.select())]
                if rows:
                    _SEED_ROWS[table] = rows
    engine.dispose()


def _restore_seed_rows(conn):
    for table, rows in _SEED_ROWS.items():
        conn.execute(table.insert(), rows)
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                          f"(SELECT MAX(id) FROM \"{table.name}\"))"))


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated database for this run: a SQLite file to copy, or a PostgreSQL database."""
    if ON_PG:
        name = f"portal_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_URL.rsplit("/", 1)[0] + "/" + name
        _migrate(url)
        _remember_seed_rows(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("db") / "template.sqlite3"
        _migrate(f"sqlite:///{path}")
        yield path


@pytest.fixture
def database_url(database_template, tmp_path):
    if ON_PG:
        yield database_template
        engine = create_engine(database_template)
        with engine.begin() as conn:
            tables = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename != 'alembic_version'"))]
            # DELETE with triggers and foreign-key checks off (replica role) is ~30x faster than
            # TRUNCATE on a small database; the audit table's append-only trigger is bypassed
            # the same way TRUNCATE bypasses it.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))
            _restore_seed_rows(conn)
        engine.dispose()
    else:
        path = tmp_path / "portal.sqlite3"
        shutil.copy(database_template, path)
        yield f"sqlite:///{path}"


# --- email ----------------------------------------------------------------------------------
class Mailbox:
    """Messages received by the loopback SMTP server, parsed."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def clear(self):
        with self.lock:
            self.messages.clear()

    def to(self, address):
        return [m for m in self.messages if address.lower() in m["To"].lower()]

    @staticmethod
    def text_of(message):
        return message.get_body(preferencelist=("plain",)).get_content()

    def last_link(self, address, pattern=r"https?://\S+"):
        found = self.to(address)
        assert found, f"no email to {address}"
        return re.findall(pattern, self.text_of(found[-1]))[0]


@pytest.fixture(scope="session")
def smtp_server():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, mailbox
    controller.stop()


@pytest.fixture
def mailbox(smtp_server):
    smtp_server[1].clear()
    return smtp_server[1]


# --- app ------------------------------------------------------------------------------------
def make_config(database_url, smtp, **overrides):
    controller, _ = smtp
    settings = {"SQLALCHEMY_DATABASE_URI": database_url, "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": controller.port, "OUTBOX_DIR": None}
    settings.update(overrides)
    return type("TestConfig", (TestingConfig,), settings)


@pytest.fixture
def app_config():
    """Override in a test module (or parametrize indirectly) to change settings."""
    return {}


class IsolatedClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The test keeps an app context of its own (for factories and checks); without this, Flask
    would reuse it for requests, sharing `g` and the database session between requests.
    The test's session ends its transaction first (SQLite transactions hold the write lock) and
    forgets cached rows afterwards, so checks read what the request committed.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def app(database_url, smtp_server, mailbox, app_config):
    app = create_app(make_config(database_url, smtp_server, **app_config))
    app.test_client_class = IsolatedClient
    with app.app_context():
        limiter.reset()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def no_outbox_sender_left():
    """The first request of a development or production app (some tests build one) starts the
    outbox's background sender (portal/notifications/sender.py): stop it after the test, or it
    would outlive the test's database and, on PostgreSQL, deliver the next tests' emails."""
    yield
    sender.stop()


def csrf_from(html):
    match = re.search(r'name="(?:[a-z]+-)?csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


class Auth:
    """Sign in through the real forms (CSRF included), like a person would."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path="/auth/login"):
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def post(self, path, data, form_path=None, **kwargs):
        data = {"csrf_token": self.csrf(form_path or path), **data}
        return self.client.post(path, data=data, **kwargs)

    def login(self, email, password, totp_secret=None, code=None):
        response = self.post("/auth/login", {"email": email, "password": password})
        if totp_secret or code:
            import pyotp
            code = code or pyotp.TOTP(totp_secret).now()
            response = self.post("/auth/mfa", {"code": code})
        return response

    def logout(self):
        return self.post("/auth/logout", {}, form_path="/account")


@pytest.fixture
def auth(client):
    return Auth(client)


def next_totp(user_id, secret):
    """A code the server has not seen yet (codes are accepted once; a person signing in twice
    within 30 s would use the next one)."""
    import pyotp

    from portal.extensions import db
    from portal.models.user import User
    totp = pyotp.TOTP(secret)
    current = totp.timecode(datetime.now(UTC))
    last = db.session.get(User, user_id).totp_last_counter
    return totp.generate_otp(current if last is None or last < current else last + 1)


def signed_in(app, user):
    """A new browser (test client) signed in as `user` through the forms, with a fresh TOTP
    code when they use two-step sign-in."""
    from tests.factories import DEFAULT_PASSWORD
    browser = app.test_client()
    secret = getattr(user, "totp_secret", None)
    Auth(browser).login(user.email, DEFAULT_PASSWORD,
                        code=next_totp(user.id, secret) if secret else None)
    return browser


def section(html, name):
    """The HTML of one page section (by its id)."""
    match = re.search(rf'<section[^>]*id="{name}".*?</section>', html, re.S)
    assert match, f"no section {name}"
    return match.group(0)


@pytest.fixture
def factories(app):
    from tests import factories
    return factories


# --- people ---------------------------------------------------------------------------------
# A module whose tests read the therapist's or the client's name, email or time zone says so
# by overriding `therapist_details` or `client_details`, as it would `app_config`.
@pytest.fixture
def therapist_details():
    """Override in a test module: fields of `therapist` its tests rely on (otherwise the
    factories' defaults: a numbered name and email, New York time)."""
    return {}


@pytest.fixture
def therapist(factories, therapist_details):
    """A therapist with two-step sign-in enrolled (the secret is on `therapist.totp_secret`)."""
    return factories.make_therapist(**therapist_details)


@pytest.fixture
def client_details():
    """Override in a test module: fields of `client_user` its tests rely on."""
    return {}


@pytest.fixture
def client_user(factories, therapist, client_details):
    """A verified client of `therapist` (`client` is Flask's test client)."""
    return factories.make_client(therapist, **client_details)


@pytest.fixture
def eligible_client(client_user):
    """`client_user` with their intake reviewed as eligible and the current consents signed, so
    consultation, preparation and integration sessions are open to them."""
    return make_eligible(client_user)


@pytest.fixture
def works_every_day(therapist):
    """`therapist` works 9 to 5 every day, so every week has free times and a refused booking is
    never refused for want of one. Modules opt in with pytest.mark.usefixtures."""
    weekly_hours(therapist, days=EVERY_DAY)


@pytest.fixture
def other_client(factories, therapist):
    """A second client of the same therapist."""
    return factories.make_client(therapist)


@pytest.fixture
def other_therapist(factories):
    """A therapist who does not treat `client_user`, with two-step sign-in enrolled."""
    return factories.make_therapist()


@pytest.fixture
def admin(factories):
    """A practice administrator, with two-step sign-in enrolled."""
    return factories.make_admin()


# --- booking --------------------------------------------------------------------------------
@pytest.fixture
def no_gates(monkeypatch):
    """Any session may be booked, dosing included, whatever the client's arc of care (the
    gates are tested in tests/test_booking_gates.py and tests/test_arc_gates.py)."""
    monkeypatch.setattr(gates, "refusal", lambda client, session_type, **when: None)


def pytest_collection_modifyitems(config, items):
    """Browser tests and slow property tests run once (in the SQLite pass); the PostgreSQL pass
    runs everything else."""
    if ON_PG:
        skip = pytest.mark.skip(reason="runs once, in the SQLite pass")
        for item in items:
            if "e2e" in Path(str(item.fspath)).parts or item.get_closest_marker("once"):
                item.add_marker(skip)
