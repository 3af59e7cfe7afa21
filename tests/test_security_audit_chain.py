"""Issue 14, part 3: an audit trail that an insider cannot rewrite.

The chain is keyed (HMAC-SHA-256 under AUDIT_KEYS, held outside the database), anchored by signed
checkpoints in a file outside the database, and `flask audit-verify` checks both. An admin reads
the clinical detail of another therapist's client's events on /audit/ only under break-glass.
"""
import base64
import hashlib
import hmac
import json
import os
import stat

import pytest
from sqlalchemy import select, text

from portal.config import ProductionConfig, TestingConfig, new_audit_key
from portal.devkeys import create_dev_keys
from portal.extensions import db
from portal.models.audit import GENESIS_HASH, AuditEvent
from portal.models.breakglass import BreakGlassGrant
from portal.models.intake import Intake
from portal.security import checkpoints
from portal.security.audit import parse_keys, record, verify_chain
from portal.security.checkpoints import write_checkpoint
from tests.conftest import signed_in
from tests.test_audit import tampering


@pytest.fixture
def app_config(tmp_path):
    return {"AUDIT_CHECKPOINT_PATH": str(tmp_path / "audit_checkpoints.jsonl")}


def verify(app):
    db.session.commit()
    db.session.expire_all()
    return app.test_cli_runner().invoke(args=["audit-verify"])


def some_events(n=6):
    for i in range(n):
        record("timezone_changed", detail=f"n={i}")
    db.session.commit()
    return db.session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)).all()


def snapshot():
    """Every audit row, detached (the edits below must never be flushed by the ORM)."""
    rows = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    db.session.expunge_all()
    return rows


def rewrite(conn, rows, start_id, sign, edit=None):
    """Recompute every row from `start_id` on, as an insider with database access would:
    `sign(row)` sets the row's key id and returns its new hash; `edit(row)` changes content.
    The encrypted detail is left as stored (the insider has no PHI key); the chain hashes its
    plaintext, read through the model."""
    prev = GENESIS_HASH
    for row in rows:
        if row.id >= start_id:
            if edit and row.id == start_id:
                edit(row)
            row.prev_hash = prev
            row.row_hash = sign(row)
            conn.execute(text("UPDATE audit_events SET outcome = :o, prev_hash = :p, "
                              "row_hash = :h WHERE id = :id"),
                         {"o": row.outcome, "p": row.prev_hash, "h": row.row_hash, "id": row.id})
        prev = row.row_hash


def unkeyed(row):
    """The project's old, unkeyed method: plain SHA-256 (what anyone can compute)."""
    return row.compute_hash()


def wrong_key(row):
    """HMAC under a key the attacker made up, labelled with the real key id."""
    return row.compute_hash(os.urandom(32), row.key_id)


def fail_outcome(row):
    row.outcome = "failure"


# --- the keyed chain ------------------------------------------------------------------------
def test_new_rows_are_signed_with_the_first_audit_key(app):
    key_id, key = next(iter(parse_keys(app.config["AUDIT_KEYS"]).items()))
    row = record("timezone_changed")
    db.session.commit()
    assert row.key_id == key_id
    message = f"{key_id}:{row.prev_hash}{row.canonical()}".encode()
    mac = hmac.new(key, message, hashlib.sha256).digest()
    assert row.row_hash == f"{key_id}:" + base64.urlsafe_b64encode(mac).decode().rstrip("=")
    assert len(row.row_hash) <= 64
    assert row.row_hash != hashlib.sha256((row.prev_hash + row.canonical()).encode()).hexdigest()


@pytest.mark.parametrize("sign", [unkeyed, wrong_key], ids=["old-unkeyed-method", "wrong-key"])
def test_an_edit_with_the_later_hashes_recomputed_is_detected(app, sign):
    ids = some_events()
    victim = ids[2]
    rows = snapshot()
    with tampering() as conn:
        rewrite(conn, rows, victim, sign, edit=fail_outcome)
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at row id={victim}" in result.output


def test_the_whole_chain_recomputed_the_old_way_is_caught_by_the_checkpoint(app):
    ids = some_events()
    write_checkpoint()
    rows = snapshot()
    with tampering() as conn:
        rewrite(conn, rows, ids[0], unkeyed, edit=fail_outcome)
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"row id={ids[-1]} has another hash" in result.output


def test_rows_of_the_unkeyed_era_verify_and_the_first_keyed_row_links_to_them(app):
    db.session.commit()
    prev = GENESIS_HASH
    with tampering() as conn:  # rows as an older version of the portal wrote them
        for i in range(3):
            old = AuditEvent(event="login_success", outcome="success", prev_hash=prev,
                             created_at=AuditEvent.created_at.default.arg(None),
                             detail=f"n={i}")
            old.row_hash = old.compute_hash()
            conn.execute(AuditEvent.__table__.insert().values(
                created_at=old.created_at, event=old.event, outcome=old.outcome,
                detail=old.detail, prev_hash=old.prev_hash, row_hash=old.row_hash))
            prev = old.row_hash
    db.session.expire_all()
    keyed = record("logout")
    db.session.commit()
    assert keyed.prev_hash == prev and keyed.key_id is not None
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "4 rows verified" in result.output


def test_rows_signed_by_an_older_key_verify_after_rotation(app):
    some_events(3)
    old_keys = app.config["AUDIT_KEYS"]
    app.config["AUDIT_KEYS"] = f"{new_audit_key()},{old_keys}"
    app.extensions.pop("audit_keys")
    newer = record("logout")
    db.session.commit()
    assert newer.key_id == app.config["AUDIT_KEYS"].split(":")[0]
    assert verify_chain() == (4, None)
    app.config["AUDIT_KEYS"] = new_audit_key()  # the old key removed too early
    app.extensions.pop("audit_keys")
    db.session.expire_all()
    assert verify_chain()[1] is not None


# --- checkpoints ----------------------------------------------------------------------------
def test_checkpoints_are_appended_to_a_0600_file(app):
    some_events(2)
    result = app.test_cli_runner().invoke(args=["audit-checkpoint"])
    assert "checkpoint at row id=" in result.output, result.output
    assert write_checkpoint() is None  # the head has not moved: nothing new
    record("timezone_changed")
    db.session.commit()
    assert write_checkpoint() is not None
    path = app.config["AUDIT_CHECKPOINT_PATH"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    lines = open(path).read().splitlines()
    assert len(lines) == 2
    assert json.loads(lines[1])["last_id"] > json.loads(lines[0])["last_id"]
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "audit checkpoints OK: 2 checked" in result.output


def test_the_newest_rows_deleted_are_detected(app):
    ids = some_events()
    write_checkpoint()
    with tampering() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": ids[-2]})
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert f"row id={ids[-1]} is gone" in result.output


@pytest.mark.parametrize("change", ["last_id", "head", "sig", "garbage"])
def test_an_edited_checkpoint_file_is_detected(app, change):
    ids = some_events()
    entry = write_checkpoint()
    path = app.config["AUDIT_CHECKPOINT_PATH"]
    if change == "garbage":
        line = "not a checkpoint"
    else:
        entry[change] = {"last_id": ids[2], "head": "0" * 64, "sig": "f" * 64}[change]
        line = json.dumps(entry)
    with open(path, "w") as handle:
        handle.write(line + "\n")
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert "checkpoint 1: " in result.output


def test_a_forged_checkpoint_without_the_key_fails(app):
    ids = some_events()
    head = db.session.get(AuditEvent, ids[-1]).row_hash
    entry = {"v": 1, "key_id": "forged", "last_id": ids[-1], "head": head, "at": "2026-01-01"}
    message = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    entry["sig"] = hmac.new(b"k" * 32, message, hashlib.sha256).hexdigest()
    with open(app.config["AUDIT_CHECKPOINT_PATH"], "w") as handle:
        handle.write(json.dumps(entry) + "\n")
    result = verify(app)
    assert result.exit_code == 1
    assert "signature invalid" in result.output


# --- configuration --------------------------------------------------------------------------
def test_production_refuses_to_start_without_audit_keys_or_checkpoint_path():
    good = {"SECRET_KEY": "s" * 48, "PHI_KEYS": TestingConfig.PHI_KEYS,
            "BASE_URL": "https://portal.example", "AUDIT_KEYS": new_audit_key(),
            "AUDIT_CHECKPOINT_PATH": "/var/lib/kap-portal-audit/checkpoints.jsonl",
            "WEBAUTHN_RP_ID": "portal.example", "WEBAUTHN_ORIGIN": "https://portal.example"}
    type("Ok", (ProductionConfig,), good).validate()
    for name in ("AUDIT_KEYS", "AUDIT_CHECKPOINT_PATH"):
        with pytest.raises(RuntimeError, match=name):
            type("Missing", (ProductionConfig,), {**good, name: ""}).validate()


def test_devkeys_creates_a_private_audit_key(tmp_path):
    create_dev_keys(tmp_path / "instance")
    path = tmp_path / "instance" / "audit_keys"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key_id, key = next(iter(parse_keys(path.read_text()).items()))
    assert len(key) == 32 and key_id
    assert base64.urlsafe_b64encode(key).decode() in path.read_text()


# --- /audit/: clinical details under break-glass only -----------------------------------------
@pytest.fixture
def clinical_events(eligible_client, therapist):
    intake = db.session.scalar(select(Intake).where(Intake.client_id == eligible_client.id))
    record("intake_decision", actor=therapist, obj=("intake", intake.id),
           detail="secret-decision-psychosis_current")
    record("client_care_status_changed", actor=therapist, obj=("user", eligible_client.id),
           detail="secret-status-paused")
    db.session.commit()
    return ("secret-decision-psychosis_current", "secret-status-paused")


def audit_page(browser):
    response = browser.get("/audit/?event=")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def break_glass_reads(admin):
    return db.session.scalars(select(AuditEvent).where(
        AuditEvent.event == "break_glass_read", AuditEvent.actor_id == admin.id)).all()


def test_an_admin_without_break_glass_sees_the_events_but_not_their_clinical_detail(
        app, admin, clinical_events):
    html = audit_page(signed_in(app, admin))
    assert "intake_decision" in html and "client_care_status_changed" in html
    for detail in clinical_events:
        assert detail not in html
    assert "Withheld: break-glass access to this client is needed" in html
    assert break_glass_reads(admin) == []


def test_an_admin_still_sees_why_a_clients_sign_in_failed(app, admin, eligible_client):
    record("login_failure", actor=eligible_client, obj=("user", eligible_client.id),
           outcome="failure", detail="bad_password")
    db.session.commit()
    html = audit_page(signed_in(app, admin))
    assert "bad_password" in html


def test_the_clients_own_therapist_sees_the_detail(app, therapist, clinical_events):
    html = audit_page(signed_in(app, therapist))
    for detail in clinical_events:
        assert detail in html
    assert "Withheld" not in html


def test_an_admin_under_break_glass_sees_the_detail_and_the_read_is_audited(
        app, admin, eligible_client, clinical_events):
    BreakGlassGrant.start(admin, eligible_client, "Client in crisis, therapist unreachable.", 1)
    db.session.commit()
    browser = signed_in(app, admin)
    html = audit_page(browser)
    for detail in clinical_events:
        assert detail in html
    reads = break_glass_reads(admin)
    assert len(reads) == 1
    assert reads[0].object_id == str(eligible_client.id) and reads[0].outcome == "break_glass"
    assert "audit.events" in reads[0].detail


def test_in_production_a_missing_checkpoint_file_fails_verification(app):
    some_events(2)
    app.config["ENV_NAME"] = "production"  # production writes one every minute
    result = verify(app)
    assert result.exit_code == 1, result.output
    assert "none yet" in result.output


def test_a_checkpoint_is_written_when_the_process_exits(app, monkeypatch):
    registered = []
    monkeypatch.setattr(checkpoints.atexit, "register", registered.append)
    app.config["AUDIT_CHECKPOINT_AT_EXIT"] = True
    checkpoints.checkpoint_at_exit(app)
    ids = some_events(2)
    assert len(registered) == 1
    db.session.commit()  # end the test's transaction: SQLite's would hold the write lock
    registered[0]()
    assert [c["last_id"] for c in checkpoints.read_checkpoints()] == [ids[-1]]
