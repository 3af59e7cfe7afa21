"""A database outage: signed-in pages answer a calm 503 page with the crisis numbers (never a
traceback), JSON callers {error: "unavailable"}, /readyz "not ready"; once the database is
back, the same app answers again with no restart (pool_pre_ping drops the dead connections)."""
import logging
import sqlite3

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from portal.extensions import db
from tests.conftest import ON_PG, PG_URL, signed_in


def assert_calm_503(response):
    html = response.get_data(as_text=True)
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "The portal is having a short technical problem" in html
    assert "Your answers are safe" in html
    for number in ("988", "741741", "911"):
        assert number in html
    assert "Traceback" not in html and "sqlalchemy" not in html.lower()
    assert "Sign out" not in html  # the bare layout: nothing that needs the signed-in person


def assert_only_the_class_logged(caplog, secret):
    lines = [r.getMessage() for r in caplog.records]
    assert any("database unavailable type=OperationalError" in line for line in lines)
    assert not any(secret in line for line in lines)


def _set_allow_connections(name, allowed):
    """From the server's admin database: let `name` accept connections or refuse them (and
    end the ones it has), as a PostgreSQL restart does to a running app."""
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}'))
        if not allowed:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    admin.dispose()


@pytest.mark.skipif(not ON_PG, reason="needs PostgreSQL: a real database is made to refuse "
                                      "connections (the SQLite test below patches the engine)")
def test_a_postgresql_outage_answers_a_calm_503_and_the_app_recovers_without_restart(
        app, client_user, database_url, caplog):
    browser = signed_in(app, client_user)
    balancer = app.test_client()
    assert browser.get("/home").status_code == 200  # positive controls
    assert balancer.get("/readyz").status_code == 200
    name = make_url(database_url).database
    db.session.commit()
    db.session.close()  # the test's own connection goes back to the pool, to be ended too
    caplog.set_level(logging.WARNING)
    _set_allow_connections(name, False)
    try:
        assert_calm_503(browser.get("/home"))
        as_json = browser.get("/home", headers={"Accept": "application/json"})
        assert as_json.status_code == 503 and as_json.get_json() == {"error": "unavailable"}
        ready = balancer.get("/readyz")
        assert ready.status_code == 503 and ready.get_json()["status"] == "not ready"
    finally:
        _set_allow_connections(name, True)
    assert_only_the_class_logged(caplog, "not currently accepting connections")
    assert browser.get("/home").status_code == 200  # the same app, no restart
    assert balancer.get("/readyz").status_code == 200


def test_when_the_engine_cannot_connect_pages_answer_a_calm_503_and_recover(
        app, client_user, monkeypatch, caplog):
    browser = signed_in(app, client_user)
    assert browser.get("/home").status_code == 200  # positive control
    db.session.commit()
    db.session.close()

    def refuse():
        raise OperationalError("connect", {}, sqlite3.OperationalError("cannot reach secret-host"))

    caplog.set_level(logging.WARNING)
    engine = db.engine
    engine.dispose()  # no pooled connection to hand out: every request must connect
    monkeypatch.setattr(engine, "raw_connection", refuse)
    assert_calm_503(browser.get("/home"))
    as_json = browser.get("/home", headers={"Accept": "application/json"})
    assert as_json.status_code == 503 and as_json.get_json() == {"error": "unavailable"}
    assert browser.get("/readyz").status_code == 503
    assert_only_the_class_logged(caplog, "secret-host")
    monkeypatch.undo()
    assert browser.get("/home").status_code == 200
    assert browser.get("/readyz").status_code == 200


def test_a_socket_event_meeting_the_outage_answers_unavailable_not_server_error(app):
    from portal.video.handlers import on_error
    outage = OperationalError("SELECT 1", {}, sqlite3.OperationalError("server closed"))
    with app.test_request_context("/socket.io/"):
        assert on_error(outage)["error"] == "unavailable"
        # positive control: any other error stays a plain server error
        assert on_error(ValueError("bug")) == {"ok": False, "code": "server_error"}
