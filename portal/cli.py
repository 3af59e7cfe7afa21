"""The portal's `flask --app wsgi ...` commands, registered by the app factory:

- create-user: make an account of any role (the password is asked for);
- seed-demo: the demo practice (portal/ops/demo.py), for development (refused in production);
- audit-verify: walk the audit trail's keyed hash chain and check it against the checkpoints;
- audit-checkpoint: append a signed checkpoint of the chain's head outside the database (every
  minute by deploy/portal-reminders.service, and at exit);
- rotate-keys: re-encrypt all PHI under the first key of PHI_KEYS;
- send-reminders: queue the reminders, check-in invitations and scheduled-measure reminders
  that are due, raise the concern flags of dosing-day readiness answers missing by the morning,
  then deliver the outbox (every minute, by `make run` or deploy/portal-reminders.timer);
- send-outbox: deliver the emails that are due (new ones, and failed ones whose retry time has
  come) and delete those sent more than OUTBOX_RETENTION_DAYS ago (every minute, by
  deploy/portal-reminders.timer; the web process's background sender does the same);
- backup PATH and restore PATH: checked copies of the database (portal/ops/backup.py).

Development keys are made before any app exists, by `python -m portal.devkeys` (`make run`).
"""
import sys
from datetime import datetime

import click
from flask import current_app
from sqlalchemy import select

from portal.care.invitations import send_checkin_invitations
from portal.care.measure_reminders import send_measure_reminders
from portal.core.time import utcnow
from portal.core.vocabulary import Role
from portal.core.zones import is_valid_zone
from portal.dosing.services_readiness import raise_due_concerns
from portal.extensions import db
from portal.models.user import User
from portal.notifications.outbox import deliver_due, purge
from portal.notifications.reminders import send_due_reminders
from portal.ops import demo
from portal.ops.backup import backup_command, restore_command
from portal.ops.demo import DEMO_PASSWORDS, DEMO_TOTP_SECRET
from portal.security.audit import record, verify_chain
from portal.security.checkpoints import verify_checkpoints, write_checkpoint
from portal.security.passwords import hash_password, password_problem
from portal.security.rotation import rotate_all, rows_under_old_keys


def register_cli(app):
    app.cli.add_command(create_user)
    app.cli.add_command(seed_demo)
    app.cli.add_command(audit_verify)
    app.cli.add_command(audit_checkpoint)
    app.cli.add_command(rotate_keys)
    app.cli.add_command(send_reminders)
    app.cli.add_command(send_outbox)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("create-user")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--timezone", "tz", default="America/New_York", show_default=True)
@click.option("--therapist-email", help="For clients: the therapist they belong to.")
@click.password_option(help="Asked for when not given (never put it in shell history).")
def create_user(role, email, name, tz, therapist_email, password):
    """Create an account; therapists and admins enrol TOTP at their first sign-in and then
    choose their own password in place of this one."""
    email = email.strip().lower()
    problem = password_problem(password, [email, name])
    if problem:
        raise click.ClickException(problem)
    if not is_valid_zone(tz):
        raise click.ClickException(f"unknown time zone {tz!r}")
    if db.session.scalar(select(User).where(User.email == email)):
        raise click.ClickException("an account with this email exists")
    therapist = None
    if therapist_email:
        therapist = db.session.scalar(select(User).where(User.email == therapist_email.lower()))
        if therapist is None or not therapist.is_clinician:
            raise click.ClickException("no therapist with that email")
    user = User(email=email, name=name, role=role, timezone=tz, therapist=therapist,
                password_hash=hash_password(password), email_verified_at=utcnow())
    # A clinician's password typed here is known to whoever ran the command: replaced at first
    # sign-in. Clients choose their own when they register, so they are never marked.
    user.must_change_password = user.is_clinician
    db.session.add(user)
    db.session.flush()
    record("user_created", obj=("user", user.id), detail=f"cli:{role}")
    db.session.commit()
    click.echo(f"created {role} account id={user.id}")


@click.command("seed-demo")
def seed_demo():
    """Create the demo practice once (portal/ops/demo.py) and open Jordan's video session for
    now; print how to sign in."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("demo accounts are never created in production")
    session, created = demo.seed()
    click.echo(f"Demo practice created: {', '.join(created)}." if created else
               "Demo accounts already exist (kept as they are).")
    click.echo("Sign in with:")
    for email, password in DEMO_PASSWORDS.items():
        extra = f"  TOTP key: {DEMO_TOTP_SECRET}" if email == demo.THERAPIST else ""
        click.echo(f"  {email:<22} password: {password}{extra}")
    click.echo("  Current TOTP code for the therapist: run `make totp` (or add the key to an app).")
    click.echo(f"Try a video call: Jordan's session starts at {session.starts_at:%H:%M} UTC; "
               f"its room is open now at /sessions/{session.id}")


@click.command("audit-verify")
def audit_verify():
    """Walk the keyed audit chain and check every checkpoint against it; exit 1 naming the
    first broken row or each failed checkpoint."""
    checked, broken = verify_chain()
    failed = broken is not None
    if failed:
        click.echo(f"audit chain BROKEN at row id={broken} (after {checked} good rows)")
    else:
        click.echo(f"audit chain OK: {checked} rows verified")
    if not current_app.config.get("AUDIT_CHECKPOINT_PATH"):
        click.echo("audit checkpoints: none configured (AUDIT_CHECKPOINT_PATH)")
        sys.exit(1 if failed else 0)
    count, problems = verify_checkpoints()
    for problem in problems:
        click.echo(f"audit {problem}")
    if count == 0 and checked:
        # Production writes one every minute: an empty file there means it was removed.
        click.echo("audit checkpoints: none yet, so deleted newest rows cannot be detected")
        failed = failed or current_app.config["ENV_NAME"] == "production"
    elif not problems:
        click.echo(f"audit checkpoints OK: {count} checked")
    sys.exit(1 if failed or problems else 0)


@click.command("audit-checkpoint")
def audit_checkpoint():
    """Append a signed checkpoint (newest row id and hash) to AUDIT_CHECKPOINT_PATH."""
    entry = write_checkpoint()
    click.echo(f"audit checkpoint at row id={entry['last_id']}" if entry
               else "audit checkpoint: nothing new")


@click.command("rotate-keys")
def rotate_keys():
    """Re-encrypt all PHI under the first key of PHI_KEYS; then old keys can be removed."""
    counts = rotate_all()
    for context, count in counts.items():
        click.echo(f"{context}: {count} re-encrypted")
    remaining = rows_under_old_keys()
    record("phi_keys_rotated", detail=f"rows={sum(counts.values())}")
    db.session.commit()
    click.echo(f"done; values still under older keys: {remaining}")
    if remaining:
        sys.exit(1)


@click.command("send-reminders")
@click.option("--now", "now_text", hidden=True, help="Act as if it were this ISO time (tests).")
def send_reminders(now_text):
    """Send the reminders that are due (24 h and 1 h before, readiness requests) and the check-in
    invitations (after integration and dosing sessions, every 14 days), each once."""
    now = None
    if now_text:
        if current_app.config["ENV_NAME"] == "production":
            raise click.ClickException("--now is for testing only")
        now = datetime.fromisoformat(now_text)
        if now.tzinfo is None:
            raise click.ClickException("--now needs a UTC offset, e.g. 2026-03-03T14:00:00+00:00")
    sent = send_due_reminders(now)
    click.echo(f"reminders sent: {sent}")
    click.echo(f"check-in invitations sent: {send_checkin_invitations(now)}")
    click.echo(f"measure reminders sent: {send_measure_reminders(now)}")
    click.echo(f"readiness concerns raised: {raise_due_concerns(now)}")
    db.session.commit()  # end the read transaction: on SQLite it holds the write lock
    click.echo(f"emails delivered: {deliver_due()}")  # these and any others that are due


@click.command("send-outbox")
def send_outbox():
    """Deliver the emails that are due (retrying failed ones when their time comes) and delete
    those sent more than OUTBOX_RETENTION_DAYS ago."""
    click.echo(f"emails delivered: {deliver_due()}")
    click.echo(f"old emails deleted: {purge()}")
