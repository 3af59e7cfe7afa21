"""Issue 14, clinical facts at rest: SQLite files are created owner-only (0600), with their WAL."""
import stat

from sqlalchemy import text

from portal import create_app
from portal.extensions import db
from tests.conftest import make_config


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_database_and_its_wal_are_owner_only(tmp_path, smtp_server):
    path = tmp_path / "portal.sqlite3"
    app = create_app(make_config(f"sqlite:///{path}", smtp_server))
    with app.app_context():
        db.session.execute(text("CREATE TABLE t (x INTEGER)"))
        db.session.commit()
        assert mode(path) == 0o600
        assert mode(tmp_path / "portal.sqlite3-wal") == 0o600
        db.engine.dispose()


def test_an_existing_world_readable_database_is_made_private(tmp_path, smtp_server):
    path = tmp_path / "old.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)
    assert mode(path) == 0o644  # the positive control: as an old default umask left it
    app = create_app(make_config(f"sqlite:///{path}", smtp_server))
    with app.app_context():
        db.engine.dispose()
    assert mode(path) == 0o600
