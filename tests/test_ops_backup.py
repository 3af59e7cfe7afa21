"""Backup and restore: `flask backup` while the portal writes, `flask restore` into an empty
database with the same row counts and a passing `flask audit-verify`; never into one with rows.

SQLite pass: the online backup API into a new file. PostgreSQL pass: pg_dump, restored into a
database created and dropped by the test.
"""
import re
import threading
import time
import uuid
from contextlib import contextmanager

from sqlalchemy import func, select

from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.user import User
from portal.security.audit import record
from tests.test_ops_upgrades import app_for, fresh_database, seed_every_table

COUNT_LINE = re.compile(r"^  (\w+)\s+(\d+)$", re.MULTILINE)


def reported_counts(output):
    """{table: rows} as printed by `flask backup` / `flask restore`."""
    return {name: int(n) for name, n in COUNT_LINE.findall(output)}


@contextmanager
def portal_writing(app):
    """A thread that keeps adding a user and its audit event, one transaction each, through the
    portal's models and audit service, until the block ends. Yields the list of commit times."""
    stop, commits, failures = threading.Event(), [], []

    def write():
        with app.app_context():
            try:
                while not stop.is_set():
                    user = User(email=f"writer-{uuid.uuid4().hex[:12]}@example.com",
                                name="Concurrent Writer", role=Role.CLIENT.value,
                                password_hash="not-a-usable-hash")
                    db.session.add(user)
                    db.session.flush()
                    record("user_created", obj=("user", user.id), detail="ops-test")
                    db.session.commit()
                    commits.append(time.monotonic())
            except Exception as exc:  # reported by the test, not lost in the thread
                failures.append(exc)
            finally:
                db.session.remove()

    db.session.commit()  # the test's own transaction would hold SQLite's write lock
    thread = threading.Thread(target=write, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while len(commits) < 3 and not failures and time.monotonic() < deadline:
            time.sleep(0.01)
        yield commits
    finally:
        stop.set()
        thread.join(30)
    assert not failures, failures


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_backup_while_writing_restores_into_an_empty_database(app, tmp_path):
    seed_every_table()
    users_before, events_before = count(User), count(AuditEvent)
    path = tmp_path / "portal.backup"

    with portal_writing(app) as commits:
        commits_before = len(commits)
        backup = app.test_cli_runner().invoke(args=["backup", str(path)])
        commits_during = len(commits) - commits_before
    assert backup.exit_code == 0, backup.output
    assert commits_during > 0, "no write happened while the backup ran"
    backed_up = reported_counts(backup.output)
    assert backed_up["users"] > users_before
    # one snapshot: every user written by the thread came with its audit event, or neither did
    assert backed_up["users"] - users_before == backed_up["audit_events"] - events_before
    assert "NOT in it" in backup.output  # the keys are not in the backup, and it says so

    with fresh_database(tmp_path, "restored") as url:
        target = app_for(url)  # the same PHI_KEYS (TestingConfig's), an empty database
        runner = target.test_cli_runner()
        with target.app_context():  # commands use the current app: this one, not the source
            restored = runner.invoke(args=["restore", str(path)])
            assert restored.exit_code == 0, restored.output
            assert reported_counts(restored.output) == backed_up
            assert "PHI keys: the stored PHI decrypts" in restored.output

            verified = runner.invoke(args=["audit-verify"])
            assert verified.exit_code == 0, verified.output
            assert f"{backed_up['audit_events']} rows verified" in verified.output
            assert count(User) == backed_up["users"]
            db.session.remove()
            db.engine.dispose()


def test_restore_refuses_a_database_that_holds_rows(app, tmp_path, factories):
    factories.make_client()
    path = tmp_path / "portal.backup"
    assert app.test_cli_runner().invoke(args=["backup", str(path)]).exit_code == 0
    users = count(User)

    refused = app.test_cli_runner().invoke(args=["restore", str(path)])
    assert refused.exit_code != 0
    assert "refusing to restore: the target database is not empty" in refused.output
    assert f"users: {users} rows" in refused.output
    assert count(User) == users


def test_backup_never_overwrites_a_file(app, tmp_path):
    path = tmp_path / "portal.backup"
    path.write_text("an older backup")
    result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code != 0
    assert path.read_text() == "an older backup"
