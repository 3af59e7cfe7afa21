"""The audit trail: append-only, hash-chained, verified by `flask audit-verify`, escaped."""
import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.exc import DatabaseError

from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.security.audit import record, verify_chain
from tests.factories import DEFAULT_PASSWORD


def events(*names):
    query = select(AuditEvent.event).order_by(AuditEvent.id)
    found = db.session.scalars(query).all()
    return [e for e in found if not names or e in names]


def test_audit_verify_passes_on_a_fresh_chain(app, client, auth, factories):
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    auth.logout()
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 0, result.output
    assert "audit chain OK" in result.output


@contextmanager
def tampering():
    """A connection that can edit audit rows, as a database owner could (trigger switched off).

    PostgreSQL's database outlives the test, so the trigger is switched back on afterwards;
    the SQLite file is a per-test copy.
    """
    db.session.commit()  # end the test's own transaction (SQLite transactions hold the lock)
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        yield conn
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def test_audit_verify_names_the_first_edited_row(app, factories):
    for n in range(5):
        record("timezone_changed", detail=f"n={n}")
    db.session.commit()
    ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    victim = ids[2]
    with tampering() as conn:
        conn.execute(text("UPDATE audit_events SET outcome = 'failure' WHERE id = :id"),
                     {"id": victim})
    result = app.test_cli_runner().invoke(args=["audit-verify"])
    assert result.exit_code == 1
    assert f"row id={victim}" in result.output


def test_a_deleted_row_breaks_the_chain_at_the_next_row(app):
    for n in range(4):
        record("timezone_changed", detail=f"n={n}")
    db.session.commit()
    ids = db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()
    with tampering() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[1]})
    db.session.expire_all()
    assert verify_chain()[1] == ids[2]


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET outcome = 'failure'",
    "DELETE FROM audit_events",
])
def test_the_database_refuses_to_change_audit_rows(app, statement):
    record("timezone_changed")
    db.session.commit()
    with pytest.raises(DatabaseError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(text(statement))


def test_values_are_escaped_so_a_newline_cannot_forge_an_entry(app):
    row = record("timezone_changed", detail="ok\nFAKE login_success actor=1\x1b[31m")
    db.session.commit()
    assert "\n" not in row.detail and "\x1b" not in row.detail
    assert row.detail == "ok\\nFAKE login_success actor=1\\x1b[31m"


def test_log_lines_escape_control_characters(app, caplog):
    import logging

    from portal.core.logs import SafeFilter
    record_ = logging.LogRecord("portal", logging.INFO, __file__, 1, "user name=%s",
                                ("Eve\nINFO forged line",), None)
    SafeFilter().filter(record_)
    assert record_.getMessage() == "user name=Eve\\nINFO forged line"


def test_log_lines_never_show_link_tokens(app):
    import logging

    from portal.core.logs import SafeFilter
    record_ = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                                '"GET /auth/reset/eyJ1aWQiOjF9.abc HTTP/1.1" 200', (), None)
    SafeFilter().filter(record_)
    assert "eyJ1aWQiOjF9" not in record_.getMessage()
    assert "/auth/reset/[redacted]" in record_.getMessage()


def test_concurrent_writers_keep_one_unbroken_chain(app):
    errors = []

    def writer(n):
        try:
            with app.app_context():
                for i in range(5):
                    record("timezone_changed", detail=f"{n}-{i}")
                    db.session.commit()
        except Exception as exc:  # reported below
            errors.append(exc)

    db.session.commit()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    checked, broken = verify_chain()
    assert broken is None and checked == 20


def test_sign_in_and_out_are_audited(client, auth, factories):
    user = factories.make_client()
    auth.post("/auth/login", {"email": user.email, "password": "wrong password here"})
    auth.login(user.email, DEFAULT_PASSWORD)
    auth.logout()
    assert events("login_failure", "login_success", "logout") == [
        "login_failure", "login_success", "logout"]
    rows = db.session.scalars(select(AuditEvent)).all()
    assert all(r.ip == "127.0.0.1" for r in rows if r.event in ("login_success", "logout"))


def test_therapists_see_only_their_own_clients_events(client, auth, factories, therapist,
                                                     client_user):
    other = factories.make_client()  # a client of another therapist
    record("calendar_feed_reset", actor=client_user, obj=("user", client_user.id))
    record("calendar_feed_revoked", actor=other, obj=("user", other.id))
    db.session.commit()
    auth.login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    page = client.get("/audit/").get_data(as_text=True)
    assert "calendar_feed_reset" in page and "calendar_feed_revoked" not in page


def test_admins_filter_the_audit_log(client, auth, admin):
    record("demo_seeded")
    record("phi_keys_rotated", outcome="failure")
    db.session.commit()
    auth.login(admin.email, DEFAULT_PASSWORD, totp_secret=admin.totp_secret)
    page = client.get("/audit/?event=demo_seeded").get_data(as_text=True)
    assert "demo_seeded" in page and "phi_keys_rotated" not in page
    page = client.get("/audit/?outcome=failure").get_data(as_text=True)
    assert "phi_keys_rotated" in page and "demo_seeded" not in page
    assert client.get("/audit/?since=not-a-date").status_code == 400


def test_an_unknown_event_name_is_a_message_next_to_the_field_not_an_error(client, auth, admin):
    # names are stored as opaque codes (closed vocabulary): a name outside it cannot be looked for
    record("demo_seeded")
    db.session.commit()
    auth.login(admin.email, DEFAULT_PASSWORD, totp_secret=admin.totp_secret)
    response = client.get("/audit/?event=no_such_event")
    assert response.status_code == 400
    assert "No event has that name" in response.get_data(as_text=True)
    assert client.get("/audit/?event=%20demo_seeded%20").status_code == 200  # positive control


def test_log_lines_are_escaped_once_however_many_apps_are_built(app, database_url, smtp_server):
    import logging

    from portal import create_app
    from tests.conftest import make_config
    for _ in range(3):
        create_app(make_config(database_url, smtp_server))
    werkzeug = logging.getLogger("werkzeug")
    from portal.core.logs import SafeFilter
    assert sum(isinstance(f, SafeFilter) for f in werkzeug.filters) == 1
    record_ = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, "a\\x1b b\nc", (), None)
    for f in werkzeug.filters:
        f.filter(record_)
    SafeFilter().filter(record_)  # the root handler's filter sees it again
    assert record_.getMessage() == "a\\\\x1b b\\nc"



def test_rows_of_one_transaction_link_to_each_other_and_never_to_a_rolled_back_savepoint(app):
    db.session.commit()
    record("timezone_changed", detail="a")
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement.split()[0])
    event.listen(db.engine, "before_cursor_execute", seen)
    record("timezone_changed", detail="b")  # the chain's lock is held: it links to "a" as is
    event.remove(db.engine, "before_cursor_execute", seen)
    assert statements == ["INSERT"]
    savepoint = db.session.begin_nested()
    record("timezone_changed", detail="c")
    savepoint.rollback()
    record("timezone_changed", detail="d")
    db.session.commit()
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [r.detail for r in rows][-3:] == ["a", "b", "d"]
    assert rows[-1].prev_hash == rows[-2].row_hash
    assert verify_chain() == (len(rows), None)
