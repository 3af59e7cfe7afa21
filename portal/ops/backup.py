"""`flask backup PATH` and `flask restore PATH`: consistent, checked copies of the database.

SQLite: the online backup API copies the live database inside one read transaction, so the copy
is a consistent snapshot even while the portal writes (WAL lets writers carry on). A file copy
could catch a half-written page or miss commits still in the -wal file: never copy the file.
PostgreSQL: pg_dump in the custom format reading a snapshot exported by our own transaction, so
the row counts printed are those of the dump exactly, whatever is written meanwhile.

A backup is written to a hidden `.partial` file (mode 0600), checked, synced, then renamed: a
file at PATH is always a finished, verified backup. Restore goes only into an empty database; it
never merges into or overwrites data.
"""
import os
import re
import sqlite3
import subprocess
from pathlib import Path

import click
from sqlalchemy import URL, inspect, text

import portal.models  # noqa: F401  (every encrypted column registers on import)
from portal.core.crypto import DecryptionError, keyring
from portal.extensions import db
from portal.models.types import ENCRYPTED_COLUMNS
from portal.ops.schema import current_revision, head_revision
from portal.security.audit import verify_chain

KEYS_NOTE = ("The portal's encrypted columns (intake answers, measures, notes...) are in a backup "
             "as ciphertext only, and the keys (PHI_KEYS) and SECRET_KEY are NOT in it: keep them "
             "apart from the backups, and keep them, or that PHI cannot be read. Names, email "
             "addresses and appointment times are not encrypted: treat backups as PHI.")
MAGIC = {b"SQLite format 3\x00": "sqlite", b"PGDMP": "postgresql"}


def _database():
    """('sqlite', Path) or ('postgresql', URL) of the app's database (Flask-SQLAlchemy has
    already resolved a relative SQLite path)."""
    url = db.engine.url
    backend = url.get_backend_name()
    if backend == "sqlite" and url.database not in (None, "", ":memory:"):
        return "sqlite", Path(url.database)
    if backend == "postgresql":
        return "postgresql", url
    raise click.ClickException(f"cannot back up or restore this database ({url.render_as_string()})")


def _libpq(url):
    """A libpq URI for pg_dump/pg_restore; the password goes in PGPASSWORD, never on a command
    line (where `ps` shows it)."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                       database=url.database, query=url.query)
    return plain.render_as_string(hide_password=False), env


def _run(args, env):
    try:
        done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise click.ClickException(f"{args[0]} not found: install postgresql-client "
                                   "(the server's major version or newer)") from exc
    if done.returncode != 0:
        raise click.ClickException(f"{args[0]} failed: {done.stderr.strip()}")
    return done.stdout


# --- row counts and checks ------------------------------------------------------------------
def _sqlite_counts(conn):
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608
            for name in names}


def _pg_counts(conn):
    names = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                              "ORDER BY tablename")).scalars().all()
    return {name: conn.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar()  # noqa: S608
            for name in names}


def _checked_sqlite(conn, what):
    """Row counts of an SQLite database after its integrity and foreign-key checks pass."""
    integrity = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        raise click.ClickException(f"{what}: integrity check failed: {'; '.join(integrity[:5])}")
    if conn.execute("PRAGMA foreign_key_check").fetchone() is not None:
        raise click.ClickException(f"{what}: foreign key check failed")
    return _sqlite_counts(conn)


def _target_counts(kind, target):
    if kind == "sqlite":
        if not target.exists() or target.stat().st_size == 0:
            return {}
        conn = sqlite3.connect(target)
        try:
            return _sqlite_counts(conn)
        finally:
            conn.close()
    with db.engine.connect() as conn:
        return _pg_counts(conn)


def _echo_counts(counts):
    width = max((len(name) for name in counts), default=0)
    for name, count in counts.items():
        click.echo(f"  {name:<{width}}  {count}")
    click.echo(f"total rows: {sum(counts.values())} in {len(counts)} tables")


# --- backup ---------------------------------------------------------------------------------
def _backup_sqlite(source, partial):
    if not source.exists():
        raise click.ClickException(f"no database file at {source}")
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)  # all pages in one step: one read transaction, one consistent snapshot
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file, no -wal beside it
        return _checked_sqlite(dst, "backup"), "integrity_check ok, foreign_key_check ok"
    finally:
        src.close()
        dst.close()


def _backup_postgres(url, partial):
    uri, env = _libpq(url)
    with db.engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
        _run(["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={partial}",
              f"--dbname={uri}"], env)
        counts = _pg_counts(conn)  # the same snapshot as the dump
        conn.rollback()
    listing = _run(["pg_restore", "--list", str(partial)], env)
    dumped = set(re.findall(r" TABLE DATA \S+ (\S+) ", listing))
    missing = sorted(set(counts) - dumped)
    if missing:
        raise click.ClickException(f"the dump has no data for: {', '.join(missing)}")
    return counts, f"pg_restore --list ok ({len(dumped)} tables with data)"


def _publish(partial, dest):
    """fsync the file, rename it into place, fsync the folder: PATH appears only when complete."""
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(partial, dest)
    folder = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


@click.command("backup", epilog=KEYS_NOTE)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path):
    """Write a consistent, checked backup of the database to PATH (a new file); print row counts.

    SQLite: the online backup API (safe while the portal runs), then PRAGMA integrity_check on
    the copy. PostgreSQL: pg_dump --format=custom, then pg_restore --list.
    """
    kind, source = _database()
    path = path.resolve()
    if not path.parent.is_dir():
        raise click.ClickException(f"no folder {path.parent}")
    if path.exists():
        raise click.ClickException(f"{path} exists; backups never overwrite a file")
    partial = path.with_name(f".{path.name}.partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(partial, 0o600)  # also when a stale .partial of another mode was left behind
    try:
        if kind == "sqlite":
            counts, check = _backup_sqlite(source, partial)
        else:
            counts, check = _backup_postgres(source, partial)
        _publish(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    click.echo(f"backup written: {path} ({kind}, {path.stat().st_size} bytes)")
    click.echo(f"check: {check}")
    click.echo("rows in the backup:")
    _echo_counts(counts)
    click.echo(KEYS_NOTE)


# --- restore --------------------------------------------------------------------------------
def _restore_sqlite(source, target):
    if not target.parent.is_dir():
        raise click.ClickException(f"no folder {target.parent}")
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        expected = _checked_sqlite(src, "backup file")
        dst.execute("PRAGMA journal_mode=DELETE")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=WAL")  # the portal's mode (portal/core/db.py)
        counts = _checked_sqlite(dst, "restored database")
    finally:
        src.close()
        dst.close()
    if counts != expected:
        raise click.ClickException("the restored row counts differ from the backup file's")
    return counts


def _restore_postgres(source, url, has_tables):
    uri, env = _libpq(url)
    _run(["pg_restore", "--list", str(source)], env)  # a readable archive, before touching anything
    args = ["pg_restore", "--no-owner", "--no-acl", "--single-transaction", "--exit-on-error",
            f"--dbname={uri}"]
    if has_tables:  # empty tables only (checked): replace them with the backup's
        args += ["--clean", "--if-exists"]
    _run([*args, str(source)], env)
    db.engine.dispose()
    with db.engine.connect() as conn:
        return _pg_counts(conn)


def _schema_note():
    head, current = head_revision(), current_revision()
    if current == head:
        return f"schema: {current} (the newest this code knows)"
    return f"schema: {current}; this code expects {head}: run `flask db upgrade`"


def _undecryptable_columns():
    """Encrypted columns whose first stored value does not decrypt with this PHI_KEYS."""
    tables = set(inspect(db.session.connection()).get_table_names())
    failing = []
    for context, (table, column) in sorted(ENCRYPTED_COLUMNS.items()):
        if table not in tables:
            continue
        value = db.session.execute(text(
            f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL LIMIT 1")).scalar()  # noqa: S608
        try:
            keyring().decrypt(value, context)
        except DecryptionError:
            failing.append(context)
    return failing


@click.command("restore", epilog=KEYS_NOTE)
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore_command(path):
    """Restore the backup at PATH into this app's database, which must be empty; then print row
    counts and verify the audit chain and that PHI_KEYS decrypt the restored data.

    Create a new database (or name a new SQLite file) for DATABASE_URL and do not run
    `flask db upgrade` on it first: the backup carries its own schema.
    """
    kind, target = _database()
    with open(path, "rb") as handle:
        head = handle.read(16)
    found = next((k for magic, k in MAGIC.items() if head.startswith(magic)), None)
    if found != kind:
        raise click.ClickException(f"{path} is not a {kind} backup made by `flask backup`")
    db.session.remove()
    db.engine.dispose()
    present = _target_counts(kind, target)
    occupied = {t: n for t, n in present.items() if n and t != "alembic_version"}
    if occupied:
        raise click.ClickException(
            "refusing to restore: the target database is not empty ("
            + ", ".join(f"{t}: {n} rows" for t, n in occupied.items())
            + "). Restore into a new, empty database; do not run `flask db upgrade` on it first.")
    counts = (_restore_sqlite(path, target) if kind == "sqlite"
              else _restore_postgres(path, target, bool(present)))
    db.engine.dispose()
    click.echo(f"restored {path} into the {kind} database")
    click.echo("rows in the restored database:")
    _echo_counts(counts)
    click.echo(_schema_note())
    checked, broken = verify_chain()
    failing = _undecryptable_columns()
    db.session.remove()
    if broken is not None:
        click.echo(f"audit chain BROKEN at row id={broken} (after {checked} good rows)")
    else:
        click.echo(f"audit chain OK: {checked} rows verified")
    if failing:
        click.echo("PHI keys: this PHI_KEYS cannot decrypt " + ", ".join(failing)
                   + " (use the keys the backup was written with)")
    else:
        click.echo("PHI keys: the stored PHI decrypts with this PHI_KEYS")
    if broken is not None or failing:
        raise SystemExit(1)
