"""Upgrades: `flask db downgrade -1` and `flask db upgrade` again keep the data of every table.

"The data" is what the models read: a revision that converts values in place (0010: words to
opaque codes, text to ciphertext) changes the stored form, not the meaning, so rows are compared
after decoding the values that have the stored form of the model's column.

The database holds rows in every table of the models (checked, so a new table without seed data
here fails this test), on a fresh database of its own: a new SQLite file, or a new PostgreSQL
database created and dropped by the test.
"""
import uuid
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import MetaData, create_engine, func, select, text

from portal import create_app
from portal.config import TestingConfig
from portal.core.time import utcnow
from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models import (
    AmendmentRequest,
    BookingOverride,
    Call,
    CallEvent,
    CareStatusChange,
    CheckinInvitation,
    DosingReadiness,
    Intake,
    IntakeStep,
    Invitation,
    MeasureResult,
    PostDosingCheckin,
    ReminderLog,
    UserSession,
)
from portal.models.breakglass import BreakGlassGrant
from portal.models.dosing import DosingAddendum, DosingRecord
from portal.models.journal import JournalEntry
from portal.models.measure_schedule import MeasureReminder, MeasureSchedule
from portal.models.message import Message, MessageThread, ResponseHours
from portal.models.notes import NoteAddendum, SessionNote
from portal.models.outbox import OutboxEmail
from portal.models.passkey import Passkey, PasskeyChallenge
from portal.models.types import CODE, EncryptedText, OpaqueCode
from portal.security import mfa
from portal.security.audit import record, verify_chain
from tests import factories
from tests import scheduling_helpers as helpers
from tests.conftest import ON_PG, PG_URL


@contextmanager
def fresh_database(tmp_path, label):
    """The URL of a new, empty database: a new SQLite file, or a PostgreSQL database that is
    dropped afterwards."""
    if not ON_PG:
        yield f"sqlite:///{tmp_path / f'{label}.sqlite3'}"
        return
    name = f"portal_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def app_for(url):
    return create_app(type("OpsConfig", (TestingConfig,), {"SQLALCHEMY_DATABASE_URI": url}))


def seed_every_table():
    """A small practice with a row in every table, built the way the portal builds them."""
    therapist = factories.make_therapist()
    admin = factories.make_admin()
    client = factories.make_client(therapist=therapist)
    mfa.new_recovery_codes(therapist)
    db.session.add(UserSession(token_hash=uuid.uuid4().hex, user_id=client.id, ip="203.0.113.5"))
    db.session.add(Invitation(email="invitee@example.com", therapist_id=therapist.id,
                              token_hash=uuid.uuid4().hex,
                              expires_at=utcnow() + timedelta(days=7)))
    record("demo_seeded", actor=admin, obj=("user", client.id))
    db.session.commit()

    intake = helpers.submit_intake(client)
    db.session.add(IntakeStep(intake=intake, step="about", complete=True,
                              data={"preferred_name": "Kit", "pronouns": "they/them"}))
    db.session.add(AmendmentRequest(intake_id=intake.id, message="My dose changed last week."))
    db.session.add(MeasureResult(client_id=client.id, instrument="phq9", source="intake",
                                 result={"items": [0] * 9, "total": 0, "band": "minimal"}))
    db.session.commit()
    helpers.make_eligible(client)  # review decision, consents signed
    helpers.acknowledge(helpers.open_item9_flag(client), therapist)

    helpers.weekly_hours(therapist)
    helpers.day_off(therapist, date(2031, 1, 1))
    dosing = helpers.make_appointment(client, helpers.session_type(therapist, SessionKind.DOSING),
                                      datetime(2031, 1, 7, 15, tzinfo=UTC))
    db.session.add(DosingReadiness(appointment_id=dosing.id, answers={"fasting": True}))
    db.session.add(BookingOverride(appointment_id=dosing.id, by_id=therapist.id,
                                   refusal="Consents not signed yet.", reason="Signed on paper."))
    db.session.add(ReminderLog(appointment_id=dosing.id, recipient_id=client.id,
                               kind="reminder_24h", sent_at=utcnow()))
    preparation = helpers.complete_preparation(client)
    call = Call(appointment_id=preparation.id, client_location="Springfield, IL",
                client_phone="(555) 010-0142", client_admitted_at=utcnow())
    db.session.add_all([call, CallEvent(call=call, user_id=client.id, kind="join")])
    note = SessionNote(appointment_id=preparation.id, therapist_id=therapist.id,
                       kind=preparation.kind, content={"summary": "Set intentions."})
    note.sign()
    db.session.add_all([note, NoteAddendum(note=note, text="Called back.", author_id=therapist.id)])
    db.session.add(JournalEntry(client_id=client.id, written_on=date(2030, 12, 30),
                                text="Felt lighter today.", mood=7, shared=True))
    BreakGlassGrant.start(admin, client, reason="Therapist unreachable; client in crisis.", hours=1)
    db.session.add(PostDosingCheckin(client_id=client.id, appointment_id=dosing.id,
                                     answers={"sleep": "well", "worrying": ""}))
    db.session.add(CheckinInvitation(client_id=client.id, period="2031-01-01"))
    db.session.add(CareStatusChange(client_id=client.id, status="paused", reason="Travelling.",
                                    changed_by_id=therapist.id))
    record_ = DosingRecord(appointment_id=dosing.id, therapist_id=therapist.id,
                           vitals=[{"check": "pre", "systolic": 120, "diastolic": 80}],
                           monitor_name="Sam Rivera")
    record_.sign(therapist)
    db.session.add_all([record_, DosingAddendum(record=record_, text="Slept well after.",
                                                author_id=therapist.id)])
    db.session.add(Passkey(user_id=therapist.id, credential_id="cred-1", public_key=b"\x01",
                           user_handle=b"\x02" * 32, name="My phone"))
    db.session.add(PasskeyChallenge(challenge_hash=uuid.uuid4().hex, purpose="register",
                                    user_id=therapist.id,
                                    expires_at=utcnow() + timedelta(minutes=5)))
    thread = MessageThread(client_id=client.id, therapist_id=therapist.id, subject="Sleep")
    db.session.add_all([thread, Message(thread=thread, author_id=client.id, body="Slept badly."),
                        ResponseHours(therapist_id=therapist.id, weekdays="0,1,2,3,4",
                                      starts=time(9), ends=time(17))])
    db.session.add(MeasureSchedule(client_id=client.id, instruments=["phq9", "gad7"],
                                   every_days=14))
    db.session.add(MeasureReminder(client_id=client.id, occasion="every:1924992000#1", day=1,
                                   sent_at=utcnow()))
    db.session.add(OutboxEmail(recipient=client.email, subject="Reminder", status="sent",
                               attempts=1, sent_at=utcnow()))  # sent: nothing to deliver
    db.session.commit()
    return client


def empty_tables():
    """Tables of the models without a single row."""
    return [table.name for table in db.metadata.sorted_tables
            if db.session.scalar(select(func.count()).select_from(table)) == 0]


def table_rows():
    """{table: (columns, rows as sorted tuples)} of every table in the database, as stored
    (alembic_version aside: `revision()` reads that)."""
    db.session.remove()
    meta = MetaData()
    with db.engine.connect() as conn:
        meta.reflect(conn)
        snapshot = {}
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            columns = tuple(c.name for c in table.columns)
            rows = [tuple(r) for r in conn.execute(table.select())]
            snapshot[table.name] = (columns, sorted(rows, key=repr))
    return snapshot


def revision():
    with db.engine.connect() as conn:  # not the session: its SQLite transaction holds the lock
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def logical(table, column, value):
    """A stored value as the models read it, when it has the stored form of the model's column
    (an opaque code, a `v1:` ciphertext); otherwise as stored."""
    model = db.metadata.tables.get(table)
    kind = model.c[column].type if model is not None and column in model.c else None
    if isinstance(value, str) and (
            (isinstance(kind, OpaqueCode) and CODE.match(value.partition("#")[0]))
            or (isinstance(kind, EncryptedText) and value.startswith("v1:"))):
        return kind.process_result_value(value, None)
    return value


def _project(table, columns, rows, keep):
    return sorted((tuple(logical(table, c, row[columns.index(c)]) for c in keep)
                   for row in rows), key=repr)


def same_data(before, after):
    """Tables present in both whose rows differ, by meaning, on the columns present in both."""
    changed = []
    for name in before.keys() & after.keys():
        (cols_a, rows_a), (cols_b, rows_b) = before[name], after[name]
        common = [c for c in cols_a if c in cols_b]
        if _project(name, cols_a, rows_a, common) != _project(name, cols_b, rows_b, common):
            changed.append(name)
    return sorted(changed)


@pytest.fixture
def migrated(tmp_path):
    with fresh_database(tmp_path, "upgrades") as url:
        app = app_for(url)
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()


def test_downgrade_one_then_upgrade_keeps_the_data_of_the_tables_that_survive(migrated):
    client_id = seed_every_table().id
    assert empty_tables() == [], "a table without rows: seed it in seed_every_table()"
    before, head = table_rows(), revision()

    upgrade()  # already at the newest revision: nothing to do
    assert table_rows() == before

    downgrade(revision="-1")
    after_downgrade = table_rows()
    assert revision() != head
    assert same_data(before, after_downgrade) == []
    survivors = before.keys() & after_downgrade.keys()

    upgrade()
    after_upgrade = table_rows()
    assert revision() == head
    assert after_upgrade.keys() == before.keys()
    assert same_data({t: before[t] for t in survivors}, after_upgrade) == []

    db.session.remove()  # and the models still read it (encrypted columns included)
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client_id))
    assert intake.answers("about")["preferred_name"] == "Kit"


def _revisions():
    from alembic.script import ScriptDirectory
    from flask import current_app
    config = current_app.extensions["migrate"].migrate.get_config()
    return [s.revision for s in reversed(list(ScriptDirectory.from_config(config).walk_revisions()))]


def _insert_user(email):
    """A user row written with the columns of the revision the database is at (no ORM: the
    models describe the newest revision)."""
    users = MetaData()
    users.reflect(db.engine, only=["users"])
    table = users.tables["users"]
    now = utcnow()
    values = {"email": email, "name": "Old Row", "timezone": "UTC", "role": "client",
              "is_active_account": True, "created_at": now, "password_hash": "x",
              "password_changed_at": now, "failed_login_count": 0}
    with db.engine.begin() as conn:
        return conn.execute(table.insert().values(
            **{k: v for k, v in values.items() if k in table.c})).inserted_primary_key[0]


def test_every_revision_upgrades_and_downgrades_a_database_holding_audit_rows(tmp_path):
    """A practice that installed any earlier version upgrades in place: each revision runs on
    a database with users and audit rows written at the revision before (the append-only audit
    trigger refuses any table rebuild that would touch them)."""
    with fresh_database(tmp_path, "steps") as url:
        app = app_for(url)
        with app.app_context():
            revisions, user_ids = _revisions(), []
            for number, rev in enumerate(revisions):
                upgrade(revision=rev)
                user_id = _insert_user(f"person{number}@example.com")
                user_ids.append(user_id)
                record("user_created", actor=user_id, obj=("user", user_id))
                db.session.commit()
                db.session.remove()
                assert revision() == rev
            for rev in reversed(revisions[:-1]):
                downgrade(revision=rev)
                assert revision() == rev
            upgrade()
            assert revision() == revisions[-1]
            with db.engine.connect() as conn:
                actors = conn.execute(text("SELECT actor_id FROM audit_events ORDER BY id")).scalars()
                assert list(actors) == user_ids
                assert conn.execute(text("SELECT count(*) FROM users")).scalar() == len(revisions)
            assert verify_chain() == (len(revisions), None)
            db.session.remove()
            db.engine.dispose()
