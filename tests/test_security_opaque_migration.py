"""Issue 14, part 2: migration 0010 converts the clinical columns of an existing database in
place (words to opaque codes, text to ciphertext) and back, stops before changing anything when
it meets a word outside a vocabulary, and leaves the audit trail verified and append-only.
"""
import importlib.util
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from portal.extensions import db
from portal.models.types import OPAQUE_COLUMNS
from portal.security.audit import verify_chain
from tests.test_ops_upgrades import app_for, fresh_database, revision, seed_every_table
from tests.test_security_opaque_codes import raw

ROOT = Path(__file__).resolve().parent.parent


def _migration():
    path = ROOT / "migrations" / "versions" / "0010_opaque_codes.py"
    spec = importlib.util.spec_from_file_location("opaque_codes_revision", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MIGRATION = _migration()


def test_the_migration_converts_every_opaque_column_with_the_models_words():
    frozen = {f"{table}.{column}": words for table, column, words, _ in MIGRATION.OPAQUE}
    assert set(frozen) == set(OPAQUE_COLUMNS)
    types = {f"{t.name}.{c.name}": c.type for t in db.metadata.tables.values() for c in t.columns}
    for context, words in frozen.items():
        assert set(words) <= set(types[context].words()), context  # vocabularies only grow
        assert types[context].suffix == dict(
            (f"{t}.{c}", s) for t, c, _, s in MIGRATION.OPAQUE)[context]
    assert {f"{t}.{c}" for t, c, *_ in MIGRATION.ENCRYPTED} == {
        "availability_overrides.note", "safety_flags.code", "audit_events.detail",
        "session_types.name"}


def test_the_migration_converts_rows_in_place_and_back(tmp_path, capfd):
    with fresh_database(tmp_path, "opaque") as url:
        app = app_for(url)
        with app.app_context():
            upgrade()
            seed_every_table()
            db.session.remove()
            words = {c: sorted(raw(*tc)) for c, tc in OPAQUE_COLUMNS.items()}
            downgrade(revision=MIGRATION.down_revision)
            assert "dosing" in raw("appointments", "kind")
            assert "reminder_24h" in raw("reminder_log", "kind")
            assert "demo_seeded" in raw("audit_events", "event")
            assert "Holiday" in raw("availability_overrides", "note")
            db.session.execute(text("UPDATE appointments SET kind = 'surgery' "
                                    "WHERE kind = 'dosing'"))
            db.session.commit()
            with pytest.raises(SystemExit):  # flask-migrate logs the error and exits
                upgrade()
            assert "appointments.kind holds 1 value(s) outside its vocabulary" in \
                capfd.readouterr().err  # alembic's logging configuration writes to stderr
            assert "demo_seeded" in raw("audit_events", "event")  # nothing was changed
            assert revision() == MIGRATION.down_revision
            db.session.execute(text("UPDATE appointments SET kind = 'dosing' "
                                    "WHERE kind = 'surgery'"))
            db.session.commit()
            upgrade()
            assert {c: sorted(raw(*tc)) for c, tc in OPAQUE_COLUMNS.items()} == words
            assert all(v.startswith("v1:") for v in raw("availability_overrides", "note"))
            assert verify_chain()[1] is None
            db.session.commit()
            with pytest.raises(DatabaseError, match="append-only"):
                with db.engine.begin() as conn:  # the triggers are back
                    conn.execute(text("UPDATE audit_events SET outcome = 'failure'"))
            db.session.remove()
            db.engine.dispose()
