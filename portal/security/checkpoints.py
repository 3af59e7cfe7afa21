"""Signed checkpoints of the audit chain, kept outside the database (docs/security.md).

A checkpoint names the newest audit row (id and hash) at a moment, signed with HMAC-SHA-256
under the first AUDIT_KEYS key. They are appended, one JSON line each, to AUDIT_CHECKPOINT_PATH
(instance/audit_checkpoints.jsonl in development; in production a path the deploy names, and
every line also goes to the log, hence to journald/syslog off the host). They are written by
`flask audit-checkpoint` (every minute by deploy/portal-reminders.service) and at exit.

`verify_checkpoints` is the anchor the keyed chain lacks on its own: the newest rows deleted
(the checkpoint names a row that is gone), or the whole chain rebuilt (the named row's hash
differs), or a line of the file edited (its signature fails).
"""
import atexit
import hashlib
import hmac
import json
import logging
import os

from flask import current_app
from sqlalchemy import select

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.security.audit import audit_keys

log = logging.getLogger("portal.audit")
FIELDS = ("v", "key_id", "last_id", "head", "at")
TAIL_BYTES = 4096  # more than one line
BATCH = 500  # rows looked up per query when verifying


def _signature(entry, key):
    message = json.dumps({k: entry[k] for k in FIELDS}, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _path():
    path = current_app.config.get("AUDIT_CHECKPOINT_PATH")
    if not path:
        raise RuntimeError("AUDIT_CHECKPOINT_PATH is not set")
    return path


def read_checkpoints(path=None):
    """The file's lines, parsed; a line that is not JSON is kept as None (it fails verification)."""
    try:
        with open(path or _path()) as handle:
            lines = [line for line in handle.read().splitlines() if line.strip()]
    except FileNotFoundError:
        return []
    entries = []
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        entries.append(entry if isinstance(entry, dict) else None)
    return entries


def _last_checkpoint(path):
    """The newest line of the file, read from its end (the file grows by a line a minute)."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - TAIL_BYTES))
            lines = handle.read().decode(errors="replace").splitlines()
    except FileNotFoundError:
        return None
    try:
        entry = json.loads(lines[-1]) if lines else None
    except ValueError:
        return None
    return entry if isinstance(entry, dict) else None


def write_checkpoint():
    """Append a signed checkpoint of the chain's head; None when there is nothing new to say."""
    path = _path()
    head = db.session.execute(select(AuditEvent.id, AuditEvent.row_hash)
                              .order_by(AuditEvent.id.desc()).limit(1)).first()
    if head is None:
        return None
    previous = _last_checkpoint(path)
    if previous and previous.get("last_id") == head.id:
        return None  # the head has not moved since the last checkpoint
    key_id, key = next(iter(audit_keys().items()))
    entry = {"v": 1, "key_id": key_id, "last_id": head.id, "head": head.row_hash,
             "at": utcnow().isoformat(timespec="seconds")}
    entry["sig"] = _signature(entry, key)
    line = json.dumps(entry, sort_keys=True, separators=(",", ":"))
    # O_APPEND: every write lands at the end; 0600 and fchmod: nobody else reads or writes it,
    # whatever the umask (the file tells which ids exist and when, nothing more).
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (line + "\n").encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    log.info("audit checkpoint %s", line)
    return entry


def verify_checkpoints():
    """(checkpoints checked, list of problems). Every checkpoint must be signed by a known key
    and name a row that still exists with the same hash."""
    entries = read_checkpoints()
    keys = audit_keys()
    problems, signed = [], []
    for number, entry in enumerate(entries, start=1):
        if entry is None or not set(FIELDS) | {"sig"} <= entry.keys():
            problems.append(f"checkpoint {number}: not a checkpoint line")
            continue
        key = keys.get(entry["key_id"])
        if key is None or not hmac.compare_digest(str(entry["sig"]), _signature(entry, key)):
            problems.append(f"checkpoint {number}: signature invalid (file edited?)")
            continue
        signed.append((number, entry))
    for start in range(0, len(signed), BATCH):
        chunk = signed[start:start + BATCH]
        stored = dict(db.session.execute(select(AuditEvent.id, AuditEvent.row_hash).where(
            AuditEvent.id.in_({e["last_id"] for _, e in chunk}))).all())
        for number, entry in chunk:
            found = stored.get(entry["last_id"])
            if found is None:
                problems.append(f"checkpoint {number}: row id={entry['last_id']} is gone "
                                "(newest rows deleted?)")
            elif not hmac.compare_digest(found, str(entry["head"])):
                problems.append(f"checkpoint {number}: row id={entry['last_id']} has another "
                                "hash (chain rewritten?)")
    problems.sort(key=lambda p: int(p.split()[1].rstrip(":")))
    return len(entries), problems


def checkpoint_at_exit(app):
    """Write one more checkpoint when the process ends (not in tests: their databases are gone
    by then). Failures are logged, never raised: shutdown must go on."""
    if not app.config.get("AUDIT_CHECKPOINT_AT_EXIT") or not app.config.get(
            "AUDIT_CHECKPOINT_PATH"):
        return

    def write():
        try:
            with app.app_context():
                write_checkpoint()
                db.session.remove()
        except Exception as exc:  # shutdown: say what went wrong and go on
            # The class only: an SQL error's text can carry a statement's parameters.
            log.warning("audit checkpoint at exit failed: %s", type(exc).__name__)

    atexit.register(write)
