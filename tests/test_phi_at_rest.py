"""PHI at rest: every encrypted column holds only ciphertext, tampering fails loudly, keys rotate.

The canary is written through the models into every encrypted column found in the models
(tests/phi_columns.py walks db.metadata, not ENCRYPTED_COLUMNS, so a new encrypted column is
covered, or the test says it is not filled); the raw SQLite files (main file and WAL) and a
pg_dump of the PostgreSQL database must not contain it.
"""
import base64
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from portal import create_app
from portal.config import new_phi_key
from portal.core.crypto import DecryptionError, KeyRing
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.intake import STEPS, AmendmentRequest, Intake, IntakeStep, ReviewDecision
from portal.models.measure import MeasureResult, SafetyFlag
from portal.security import mfa
from portal.security.audit import record, verify_chain
from tests.conftest import ON_PG
from tests.phi_columns import encrypted_columns
from tests.test_audit import tampering

CANARY = f"CANARY-{uuid.uuid4().hex}"


def fill_every_encrypted_column():
    from tests.factories import make_client, make_therapist
    therapist = make_therapist()
    mfa.store_secret(therapist, CANARY[:32].upper().replace("-", "A")[:32])
    client = make_client(therapist=therapist)
    intake = Intake(client=client, status="submitted", submitted_at=utcnow())
    db.session.add(intake)
    db.session.flush()
    for step in STEPS:
        db.session.add(IntakeStep(intake=intake, step=step, complete=True,
                                  data={"answer": f"{step} {CANARY}"}))
    db.session.add(ReviewDecision(intake=intake, therapist_id=therapist.id,
                                  decision="needs_clearance", clearance_needed=CANARY,
                                  reason=CANARY, referral=CANARY, private_note=CANARY,
                                  client_note=CANARY, confirm_reason=CANARY,
                                  flags_confirmed=[{"id": 1, "title": CANARY}]))
    db.session.add(AmendmentRequest(intake_id=intake.id, message=CANARY))
    document = ConsentDocument.current()[0]
    db.session.add(ConsentSignature(client_id=client.id, document_id=document.id,
                                    signed_name=CANARY, ip="127.0.0.1"))
    db.session.add(MeasureResult(client_id=client.id, instrument="phq9", source="checkin",
                                 result={"items": [0] * 9, "total": 0, "band": "minimal",
                                         "note": CANARY}))
    flag = SafetyFlag(client_id=client.id, kind="item9", severity="urgent", code=CANARY,
                      source="checkin", acknowledged_at=utcnow(), acknowledgement_note=CANARY,
                      answer=CANARY)
    db.session.add(flag)
    db.session.flush()
    record("safety_flag_raised", actor=client, obj=("safety_flag", flag.id), detail=CANARY)
    _fill_scheduling_and_calls(therapist, client)
    _fill_notes_and_journal(therapist, client)
    _fill_dosing_record(therapist)
    _fill_messages(therapist, client)
    _fill_measures(client)
    from portal.models.breakglass import BreakGlassGrant
    BreakGlassGrant.start(therapist, client, CANARY, 1)  # any user id will do for admin_id
    from portal.models.user import UserSession
    db.session.add(UserSession(token_hash="0" * 64, user=therapist,
                               pending_totp_secret=CANARY))
    from tests.passkey_helpers import make_passkey
    make_passkey(therapist, name=CANARY)
    db.session.commit()
    return client


def _fill_scheduling_and_calls(therapist, client):
    from datetime import timedelta

    from portal.models.call import Call
    from portal.models.schedule import (
        Appointment,
        AvailabilityOverride,
        DosingReadiness,
        SessionType,
    )
    from portal.scheduling.services import ensure_default_types
    ensure_default_types(therapist)
    session_type = db.session.scalar(select(SessionType).where(
        SessionType.therapist_id == therapist.id, SessionType.kind == "dosing"))
    session_type.name = f"Dosing {CANARY}"
    db.session.add(AvailabilityOverride(therapist_id=therapist.id, day=utcnow().date(),
                                        available=False, note=CANARY))
    start = utcnow() + timedelta(days=2)
    appointment = Appointment(
        therapist_id=therapist.id, client_id=client.id, session_type=session_type, kind="dosing",
        modality="in_person", starts_at=start, ends_at=start + timedelta(hours=3),
        block_start=start, block_end=start + timedelta(hours=3), idempotency_key="canary",
        status="cancelled", cancel_message=CANARY)
    db.session.add(appointment)
    db.session.flush()
    db.session.add(DosingReadiness(appointment_id=appointment.id, answers={"notes": CANARY}))
    from portal.models.schedule import BookingOverride
    db.session.add(BookingOverride(appointment_id=appointment.id, by_id=therapist.id,
                                   refusal=CANARY, reason=CANARY))
    db.session.add(Call(appointment_id=appointment.id, client_location=CANARY,
                        client_phone=CANARY, client_country=CANARY))


def _fill_notes_and_journal(therapist, client):
    from datetime import date, timedelta

    from portal.models.journal import JournalEntry
    from portal.models.notes import NoteAddendum, SessionNote
    from portal.models.schedule import Appointment
    appointment = db.session.scalar(select(Appointment).where(
        Appointment.idempotency_key == "canary"))
    note = SessionNote(appointment_id=appointment.id, therapist_id=therapist.id, kind="dosing",
                       content={"observations": CANARY}, status="signed", signed_at=utcnow())
    db.session.add(note)
    db.session.flush()
    db.session.add(NoteAddendum(note_id=note.id, text=CANARY, author_id=therapist.id))
    db.session.add(JournalEntry(client_id=client.id, written_on=date.today(), text=CANARY,
                                mood=5, shared=True))
    from portal.models.care import CareStatusChange, PostDosingCheckin
    db.session.add(PostDosingCheckin(client_id=client.id, appointment_id=appointment.id,
                                     answers={"worrying": CANARY}))
    db.session.add(CareStatusChange(client_id=client.id, status="paused", reason=CANARY,
                                    changed_by_id=therapist.id))
    from portal.models.outbox import OutboxEmail
    # An email waiting for its retry (a due one would be delivered, and its content cleared).
    db.session.add(OutboxEmail(recipient=f"{CANARY}@example.com", subject=CANARY,
                               content={"template": "invite", "context": {"name": CANARY},
                                        "attachments": []},
                               next_attempt_at=utcnow() + timedelta(hours=1)))


def _fill_dosing_record(therapist):
    from portal.models.dosing import DosingAddendum, DosingRecord
    from portal.models.schedule import Appointment
    appointment = db.session.scalar(select(Appointment).where(
        Appointment.idempotency_key == "canary"))
    record = DosingRecord(
        appointment_id=appointment.id, therapist_id=therapist.id, status="signed",
        vitals=[{"check": "pre_dose", "taken_at": utcnow().isoformat(), "systolic": 152,
                 "diastolic": 96, "heart_rate": 80, "spo2": 97, "note": CANARY}],
        dose={"medication": "Ketamine", "amount": "56 mg", "prescriber": CANARY},
        observations={"side_effects": ["other"], "other": CANARY, "intensity": 6},
        monitor_name=CANARY, override={"reason": CANARY, "reading": 0, "bp": "152/96"},
        discharge={"driver_name": CANARY}, signed_at=utcnow())
    db.session.add(record)
    db.session.flush()
    db.session.add(DosingAddendum(record_id=record.id, text=CANARY, author_id=therapist.id))


def _fill_messages(therapist, client):
    from portal.models.message import Message, MessageThread
    thread = MessageThread(client_id=client.id, therapist_id=therapist.id, subject=CANARY)
    db.session.add(thread)
    db.session.flush()
    db.session.add(Message(thread_id=thread.id, author_id=client.id, body=CANARY))


def _fill_measures(client):
    """The PCL-5 and C-SSRS results and the measure schedule (issue 13, section 4)."""
    from portal.models.measure_schedule import MeasureSchedule
    db.session.add(MeasureResult(client_id=client.id, instrument="pcl5", source="checkin",
                                 result={"items": [4] * 20, "total": 80, "band": CANARY}))
    db.session.add(MeasureResult(client_id=client.id, instrument="cssrs", source="checkin",
                                 result={"answers": {"q1": True}, "risk": CANARY, "total": 1,
                                         "band": "high risk"}))
    db.session.add(MeasureSchedule(client_id=client.id, instruments=["pcl5", CANARY],
                                   every_days=7))


MODEL_ENCRYPTED_COLUMNS = encrypted_columns()


def every_column_has_a_value():
    assert MODEL_ENCRYPTED_COLUMNS
    for context, (table, column) in MODEL_ENCRYPTED_COLUMNS.items():
        count = db.session.execute(text(
            f"SELECT COUNT(*) FROM {table} WHERE {column} IS NOT NULL")).scalar()
        assert count, f"the canary test does not fill {context}: add it above"
    db.session.commit()


def test_canary_is_absent_from_the_raw_database(app, database_url, tmp_path):
    fill_every_encrypted_column()
    every_column_has_a_value()
    # the plaintext really was stored (through the models) ...
    assert db.session.scalar(select(ReviewDecision.private_note)) == CANARY
    db.session.commit()
    db.session.remove()
    db.engine.dispose()
    # ... and only ciphertext reached the disk
    if ON_PG:
        url = database_url.replace("+psycopg", "")
        dump = subprocess.run(["pg_dump", "--no-owner", url], capture_output=True, check=True,
                              timeout=120).stdout
        assert b"consent_signatures" in dump and CANARY.encode() not in dump
    else:
        path = Path(database_url.removeprefix("sqlite:///"))
        files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
        assert files
        for file in files:
            raw = file.read_bytes()
            assert CANARY.encode() not in raw, file.name
            assert CANARY.encode("utf-16-le") not in raw


def _first_ciphertext(table, column):
    return db.session.execute(text(
        f"SELECT id, {column} FROM {table} WHERE {column} IS NOT NULL LIMIT 1")).one()


@pytest.mark.parametrize("context", sorted(MODEL_ENCRYPTED_COLUMNS))
def test_a_flipped_byte_makes_decryption_fail_loudly(app, context):
    fill_every_encrypted_column()
    table, column = MODEL_ENCRYPTED_COLUMNS[context]
    row_id, stored = _first_ciphertext(table, column)
    prefix, key_id, b64 = stored.split(":", 2)
    blob = bytearray(base64.b64decode(b64))
    blob[len(blob) // 2] ^= 0x01
    tampered = f"{prefix}:{key_id}:" + base64.b64encode(bytes(blob)).decode()
    if table == "audit_events":  # append-only: as a database owner would, trigger lifted
        with tampering() as conn:
            conn.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                         {"v": tampered, "id": row_id})
    else:
        db.session.execute(text(f"UPDATE {table} SET {column} = :v WHERE id = :id"),
                           {"v": tampered, "id": row_id})
    db.session.commit()
    db.session.expunge_all()
    ring = KeyRing(app.config["PHI_KEYS"])
    with pytest.raises(DecryptionError):
        ring.decrypt(tampered, context)
    if context == "review_decisions.private_note":  # and through the ORM as well
        with pytest.raises(DecryptionError):
            db.session.scalar(select(ReviewDecision.private_note))


def test_ciphertext_moved_to_another_column_does_not_decrypt(app):
    ring = KeyRing(app.config["PHI_KEYS"])
    sealed = ring.encrypt("note", "review_decisions.private_note")
    assert ring.decrypt(sealed, "review_decisions.private_note") == "note"
    with pytest.raises(DecryptionError):
        ring.decrypt(sealed, "review_decisions.reason")


def test_rotate_keys_re_encrypts_and_old_keys_can_then_be_removed(app, database_url,
                                                                 smtp_server):
    from tests.conftest import make_config
    old_key = app.config["PHI_KEYS"]
    client = fill_every_encrypted_column()
    client_id = client.id
    db.session.commit()
    new_key = new_phi_key()
    rotating = create_app(make_config(database_url, smtp_server, PHI_KEYS=f"{new_key},{old_key}"))
    with rotating.app_context():
        result = rotating.test_cli_runner().invoke(args=["rotate-keys"])
        assert result.exit_code == 0, result.output
        assert "values still under older keys: 0" in result.output
        db.session.remove()
    only_new = create_app(make_config(database_url, smtp_server, PHI_KEYS=new_key))
    with only_new.app_context():
        steps = db.session.scalars(select(IntakeStep).join(Intake)
                                   .where(Intake.client_id == client_id)).all()
        assert all(CANARY in s.data["answer"] for s in steps)
        assert db.session.scalar(select(ConsentSignature.signed_name)) == CANARY
        # the append-only audit rows were re-encrypted too, and their chain still verifies:
        # it hashes the plaintext, which rotation leaves as it was
        assert db.session.scalar(select(AuditEvent.detail).where(
            AuditEvent.event == "safety_flag_raised")) == CANARY
        assert verify_chain() == (db.session.scalar(select(func.count(AuditEvent.id))), None)
        db.session.remove()
    # and the old key alone can no longer read anything
    with app.app_context():
        db.session.expunge_all()
        with pytest.raises(DecryptionError):
            db.session.scalar(select(ReviewDecision.private_note))
        db.session.rollback()


@pytest.mark.skipif(not shutil.which("pg_dump") and os.environ.get("CI") != "true",
                    reason="pg_dump not installed")
def test_pg_dump_is_available_for_the_canary_check():
    assert shutil.which("pg_dump")
