"""Landing, home, health checks and (development only) the email outbox."""
import email
from datetime import UTC, datetime
from email import policy
from pathlib import Path

from flask import abort, current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import text

from portal.extensions import db, limiter
from portal.main import bp
from portal.security.access import public
from portal.security.redirects import safe_next


@bp.get("/")
@public
def index():
    """Anyone: a calm welcome with sign-in and registration; signed-in users go home."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return render_template("main/index.html")


@bp.get("/home")
def home():
    """Signed-in users: the landing page of their role."""
    if current_user.is_clinician:
        return redirect(url_for("therapist.dashboard_page"))
    from portal.client.home import home_for
    return render_template("main/home_client.html", therapist=current_user.therapist,
                           home=home_for(current_user, datetime.now(UTC)))


@bp.get("/crisis")
@public
def crisis():
    """Anyone: crisis resources, always reachable, no sign-in needed."""
    return render_template("main/crisis.html", notified=session.pop("crisis_notice", False),
                           next_url=safe_next(request.args.get("next"), ""))


@bp.get("/healthz")
@limiter.exempt
@public
def healthz():
    """Load balancers: the process is up (no database touched)."""
    return jsonify(status="ok")


@bp.get("/readyz")
@limiter.exempt
@public
def readyz():
    """Load balancers: the database answers and its schema is at the newest migration."""
    checks = {}
    try:
        current = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        checks["database"] = "ok"
        checks["migrations"] = "ok" if current == _head_revision() else "behind"
    except Exception:  # any failure means "not ready"; details stay in the server log
        db.session.rollback()
        checks["database"] = "unreachable"
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis_status(current_app.config["REDIS_URL"])
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


def _head_revision():
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", current_app.extensions["migrate"].directory)
    return ScriptDirectory.from_config(cfg).get_current_head()


def _redis_status(url):
    import redis
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
        return "ok"
    except redis.RedisError:
        return "unreachable"


def _outbox():
    if not current_app.config.get("SHOW_DEV_OUTBOX"):
        abort(404)
    return Path(current_app.config["OUTBOX_DIR"])


@bp.get("/dev/outbox")
@public
def dev_outbox():
    """Developers (only when no SMTP server is configured): emails the portal would have sent."""
    folder = _outbox()
    files = sorted(folder.glob("*.eml"), reverse=True)[:50] if folder.exists() else []
    messages = []
    for path in files:
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        body = msg.get_body(preferencelist=("plain",))
        messages.append({"to": msg["To"], "subject": msg["Subject"], "date": msg["Date"],
                         "body": body.get_content() if body else ""})
    return render_template("main/outbox.html", messages=messages)
