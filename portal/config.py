"""Configuration read from the environment (12-factor), with a `.env` file supported.

Importing this module writes nothing. Development needs nothing set: the SQLite file is made in
`instance/` by `flask db upgrade`, and SECRET_KEY, PHI_KEYS and AUDIT_KEYS are read from
`instance/` files that `python -m portal.devkeys` creates once (`make run` runs it first);
without the keys, the app refuses to start and says what to run. Production refuses to start
without its own secrets from the environment (see ProductionConfig.validate).
"""
import base64
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

load_dotenv(BASE_DIR / ".env")

WEAK_SECRET_KEYS = {"", "dev", "change-me", "changeme", "secret", "development"}


# Development keys: the setting, and the file in instance/ that portal/devkeys.py writes.
DEV_KEY_FILES = {"SECRET_KEY": "secret_key", "PHI_KEYS": "phi_keys", "AUDIT_KEYS": "audit_keys"}


def _dev_key(name):
    """A development key from the environment, else from its file in instance/, else ""
    (read only; production reads the environment alone)."""
    value = os.environ.get(name)
    if value:
        return value
    try:
        return (INSTANCE_DIR / DEV_KEY_FILES[name]).read_text().strip()
    except FileNotFoundError:
        return ""


def new_phi_key():
    """A fresh AES-256 key in the PHI_KEYS format `id:base64`."""
    return f"k{secrets.token_hex(4)}:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def new_audit_key():
    """A fresh HMAC-SHA-256 key in the AUDIT_KEYS format `id:base64` (same shape as PHI_KEYS)."""
    return f"a{secrets.token_hex(4)}:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def bp_gate_problem(value):
    """Why a DOSING_BP_GATE value is unusable ("" when it is two numbers such as 140/90)."""
    parts = str(value).split("/")
    if len(parts) == 2 and all(p.strip().isdigit() and 40 <= int(p) <= 250 for p in parts):
        return ""
    return f"DOSING_BP_GATE must be systolic/diastolic, such as 140/90 (got {value!r})"


def _env_bool(name, default=False):
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


class Config:
    ENV_NAME = "development"
    SECRET_KEY = _dev_key("SECRET_KEY")
    PHI_KEYS = _dev_key("PHI_KEYS")
    # The audit chain's HMAC keys, `id:base64,...`: the first signs, all verify (rotatable).
    # Held outside the database so a database writer cannot recompute the chain (docs/security.md).
    AUDIT_KEYS = _dev_key("AUDIT_KEYS")
    # Signed checkpoints of the chain's head, appended outside the database (mode 0600).
    AUDIT_CHECKPOINT_PATH = os.environ.get("AUDIT_CHECKPOINT_PATH") or str(
        INSTANCE_DIR / "audit_checkpoints.jsonl")
    AUDIT_CHECKPOINT_AT_EXIT = True  # one more checkpoint when the process ends (atexit)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}")
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None
    PORT = int(os.environ.get("PORT", "5000"))
    # Number of reverse proxies in front of the app whose X-Forwarded-For/Proto we trust.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # threading for `make run` and tests; production sets gevent (see docs/deploy.md).
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")
    SOCKETIO_ORIGINS = None  # same origin only
    # Redis pub/sub ignores the database number: portals sharing a Redis need their own channel.
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "kap-portal")
    # WebRTC: STUN/TURN (comma-separated URLs). Without them calls work on a LAN / localhost.
    STUN_URLS = [u.strip() for u in os.environ.get("STUN_URLS", "").split(",") if u.strip()]
    TURN_URLS = [u.strip() for u in os.environ.get("TURN_URLS", "").split(",") if u.strip()]
    TURN_SECRET = os.environ.get("TURN_SECRET") or None
    # Per-socket token buckets of the /video events (portal/video/limits.py): group ->
    # (burst, seconds to refill it). "relay" = signal and chat; "room" = join, announce,
    # connected, admit, send back, leave, end (bench/call_setup.py joins and leaves ~5 times a
    # second on one socket); heartbeats cost no database work (bench/signaling.py sends 50).
    SOCKET_RATES = {"relay": (40, 5.0), "room": (20, 2.0), "media": (20, 10.0),
                    "heartbeat": (50, 5.0), "precheck": (3, 30.0)}
    PRECHECK_MAX_CONCURRENT = 2
    SOCKET_SWEEPER = True  # re-check open sockets every 10 s (see portal/video/registry.py)
    PRECHECK_MAX_SECONDS = 20

    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "25"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Portal <no-reply@localhost>")
    OUTBOX_DIR = str(INSTANCE_DIR / "outbox")  # development without SMTP_HOST: emails as files
    # Every email waits in the outbox table until a sender delivers it (portal/notifications/
    # outbox.py): the web process's background sender, woken by each commit that queues one and
    # every OUTBOX_POLL_SECONDS for retries, and `flask send-outbox` (deploy/ runs it each minute).
    OUTBOX_SENDER = True
    OUTBOX_POLL_SECONDS = 10
    OUTBOX_DELIVER_ON_COMMIT = False  # deliver in the committing thread (tests)
    OUTBOX_RETENTION_DAYS = int(os.environ.get("OUTBOX_RETENTION_DAYS", "7"))
    PRACTICE_NAME = os.environ.get("PRACTICE_NAME", "Riverside KAP Practice")
    # The name written into calendar entries (.ics) and email subjects, which anyone glancing at
    # a phone or a shared calendar reads: never the practice's name, which may say the treatment.
    PRACTICE_CALENDAR_NAME = os.environ.get("PRACTICE_CALENDAR_NAME", "Appointment")
    # Also the LOCATION of in-person sessions in calendars: the street address, without the name.
    PRACTICE_ADDRESS = os.environ.get("PRACTICE_ADDRESS",
                                      "120 River Street, Suite 4, Springfield, IL 62701")
    PRACTICE_PHONE = os.environ.get("PRACTICE_PHONE", "(555) 010-0199")
    CANCELLATION_WINDOW_HOURS = int(os.environ.get("CANCELLATION_WINDOW_HOURS", "24"))
    # The blood-pressure gate before dosing, "systolic/diastolic": above it (either number
    # higher) the dosing-day record refuses a dose without a clinical override and its reason.
    DOSING_BP_GATE = os.environ.get("DOSING_BP_GATE", "140/90")
    # Absolute links in emails are built from this, never from the request's Host header
    # (a forged Host would otherwise turn a reset email into a phishing link).
    BASE_URL = os.environ.get("BASE_URL", f"http://127.0.0.1:{PORT}")

    # Sessions (ASVS V7): the cookie holds only an opaque id; state lives in user_sessions.
    SESSION_IDLE_TIMEOUT = timedelta(minutes=30)
    SESSION_IDLE_WARNING = timedelta(minutes=28)
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=12)
    SESSION_COOKIE_NAME = "portal_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PREFERRED_URL_SCHEME = "http"

    # Accounts (ASVS V6 / V11.4)
    LOCKOUT_THRESHOLD = 10
    LOCKOUT_WINDOW = timedelta(minutes=15)
    LOCKOUT_DURATION = timedelta(minutes=15)
    # Wrong second-factor codes (TOTP or recovery) before the account locks for LOCKOUT_DURATION,
    # counted apart from password failures and not cleared by a correct password. Lower than
    # the password threshold: whoever reaches this step already holds the password, and a
    # person rarely mistypes five codes in a row.
    MFA_LOCKOUT_THRESHOLD = 5
    EMAIL_VERIFY_MAX_AGE = timedelta(hours=48)
    PASSWORD_RESET_MAX_AGE = timedelta(minutes=60)
    INVITE_MAX_AGE = timedelta(days=7)
    MFA_ISSUER = os.environ.get("MFA_ISSUER", "KAP Portal")  # also the passkeys' site name
    # Passkeys (WebAuthn): the relying party id (the portal's host name, or a parent domain of
    # it) and the exact origin pages are served from. Unset outside production, both come from
    # the request's host: http://localhost works (browsers count it as secure), while an IP
    # address such as 127.0.0.1 cannot hold passkeys. Production requires both.
    WEBAUTHN_RP_ID = os.environ.get("WEBAUTHN_RP_ID") or None
    WEBAUTHN_ORIGIN = os.environ.get("WEBAUTHN_ORIGIN") or None
    # The practice's rule: therapists and admins add a passkey right after their next sign-in
    # and, once they have one, an authenticator app's code alone no longer signs them in.
    REQUIRE_CLINICIAN_PASSKEYS = _env_bool("REQUIRE_CLINICIAN_PASSKEYS")

    # Per-IP limits (Flask-Limiter); storage is Redis when REDIS_URL is set.
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("REDIS_URL") or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_LOGIN = "20 per minute;200 per hour"
    RATELIMIT_REGISTER = "10 per minute;50 per hour"
    RATELIMIT_RESET = "10 per minute;50 per hour"
    RATELIMIT_MESSAGES = "10 per minute;60 per hour"  # per person: messages sent

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the (server-revocable) session
    # Flask-WTF's HTTPS Referer check cannot work with the required Referrer-Policy: no-referrer
    # (browsers then send no Referer, and Origin: null on POST). CSRF protection rests on the
    # session-bound synchronizer token on every state-changing request (ASVS V3.5.1), plus
    # SameSite=Lax and, in production, the __Host- cookie.
    WTF_CSRF_SSL_STRICT = False
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    SHOW_DEV_OUTBOX = True
    HSTS = False
    LOG_JSON = _env_bool("LOG_JSON")

    @classmethod
    def validate(cls):
        """Refuse to start without keys, saying how to make the development ones."""
        missing = [name for name in DEV_KEY_FILES if not getattr(cls, name)]
        if missing:
            raise RuntimeError(
                f"{' and '.join(missing)} not set. For development run `make run`, or once "
                f"`.venv/bin/python -m portal.devkeys`, which creates them in {INSTANCE_DIR}; "
                "or set them in the environment.")
        if bp_gate_problem(cls.DOSING_BP_GATE):
            raise RuntimeError(bp_gate_problem(cls.DOSING_BP_GATE))


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production-" + "x" * 16
    PHI_KEYS = new_phi_key()
    AUDIT_KEYS = new_audit_key()
    # No file shared between tests; a test that checks checkpoints sets its own path.
    AUDIT_CHECKPOINT_PATH = None
    AUDIT_CHECKPOINT_AT_EXIT = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_STORAGE_URI = "memory://"
    SMTP_HOST = None
    # No background sender (it would outlive each test's app and database): an email is
    # delivered right after the commit that queued it, in the committing thread, so tests see
    # it at once. Outbox tests turn this off to watch emails wait.
    OUTBOX_SENDER = False
    OUTBOX_DELIVER_ON_COMMIT = True
    BASE_URL = "http://localhost"
    # One background sweeper would outlive each test's app and database; tests call
    # portal.video.registry.sweep_once() themselves.
    SOCKET_SWEEPER = False
    SHOW_DEV_OUTBOX = False


class ProductionConfig(Config):
    ENV_NAME = "production"
    DEBUG = False
    SECRET_KEY = os.environ.get("SECRET_KEY", "")
    PHI_KEYS = os.environ.get("PHI_KEYS", "")
    AUDIT_KEYS = os.environ.get("AUDIT_KEYS", "")
    AUDIT_CHECKPOINT_PATH = os.environ.get("AUDIT_CHECKPOINT_PATH", "")
    WEBAUTHN_RP_ID = os.environ.get("WEBAUTHN_RP_ID", "")
    WEBAUTHN_ORIGIN = os.environ.get("WEBAUTHN_ORIGIN", "")
    # __Host- prefix: Secure, Path=/, no Domain, so a sibling sub-domain cannot set or read it.
    SESSION_COOKIE_NAME = "__Host-portal_session"
    SESSION_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SHOW_DEV_OUTBOX = False
    HSTS = True
    LOG_JSON = True

    @classmethod
    def validate(cls):
        """Refuse to start with weak or missing secrets, or with debug on."""
        problems = []
        if cls.SECRET_KEY.strip().lower() in WEAK_SECRET_KEYS or len(cls.SECRET_KEY) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if not cls.PHI_KEYS:
            problems.append("PHI_KEYS must be set (see docs/deploy.md)")
        if not cls.AUDIT_KEYS:
            problems.append("AUDIT_KEYS must be set (see docs/deploy.md)")
        if not cls.AUDIT_CHECKPOINT_PATH:
            problems.append("AUDIT_CHECKPOINT_PATH must be set (see docs/deploy.md)")
        if _env_bool("FLASK_DEBUG") or cls.DEBUG:
            problems.append("debug must be off in production")
        if not cls.BASE_URL.startswith("https://"):
            problems.append("BASE_URL must be the https:// address of the portal")
        if bp_gate_problem(cls.DOSING_BP_GATE):
            problems.append(bp_gate_problem(cls.DOSING_BP_GATE))
        problems += webauthn_problems(cls.WEBAUTHN_RP_ID, cls.WEBAUTHN_ORIGIN)
        if problems:
            raise RuntimeError("Refusing to start: " + "; ".join(problems))


def webauthn_problems(rp_id, origin):
    """Why production's passkey settings would not work (or would accept other sites)."""
    if not rp_id or not origin:
        return ["WEBAUTHN_RP_ID and WEBAUTHN_ORIGIN must be set (see docs/deploy.md)"]
    parts = urlsplit(origin)
    if parts.scheme != "https" or not parts.hostname or parts.path not in ("", "/"):
        return ["WEBAUTHN_ORIGIN must be the portal's https:// origin, without a path"]
    if parts.hostname != rp_id and not parts.hostname.endswith("." + rp_id):
        return ["WEBAUTHN_RP_ID must be the host name of WEBAUTHN_ORIGIN or a parent domain of it"]
    return []


ENVIRONMENTS = {"development": Config, "production": ProductionConfig, "testing": TestingConfig}


def config_from_env():
    """The config class named by PORTAL_ENV (development when unset).

    Any other value refuses to start: `Production` or a typo used to give development settings
    (debug-friendly cookies, the public /dev/outbox) on a production host, silently."""
    name = os.environ.get("PORTAL_ENV")
    if name is None:
        return Config
    if name not in ENVIRONMENTS:
        raise RuntimeError(f"Refusing to start: PORTAL_ENV={name!r} is not one of "
                           f"{', '.join(ENVIRONMENTS)} (lower case, exactly).")
    return ENVIRONMENTS[name]
