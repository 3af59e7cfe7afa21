"""Configuration, migrations, error pages, health checks and the CLI."""
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal import create_app
from portal.config import ProductionConfig
from portal.extensions import db


def test_models_and_migrations_agree(app):
    """No pending operations: every model change has its reviewed revision."""
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def _production(**settings):
    base = {"SECRET_KEY": "k" * 48, "PHI_KEYS": "k1:" + "A" * 43 + "=",
            "AUDIT_KEYS": "a1:" + "B" * 43 + "=", "AUDIT_CHECKPOINT_PATH": "unused-in-tests.jsonl",
            "AUDIT_CHECKPOINT_AT_EXIT": False,
            "BASE_URL": "https://portal.example.com", "DEBUG": False}
    base.update(settings)
    return type("Prod", (ProductionConfig,), base)


@pytest.mark.parametrize("settings, problem", [
    ({"SECRET_KEY": ""}, "SECRET_KEY"),
    ({"SECRET_KEY": "dev"}, "SECRET_KEY"),
    ({"SECRET_KEY": "change-me"}, "SECRET_KEY"),
    ({"PHI_KEYS": ""}, "PHI_KEYS"),
    ({"DEBUG": True}, "debug"),
    ({"BASE_URL": "http://portal.example.com"}, "BASE_URL"),
])
def test_production_refuses_weak_settings(settings, problem):
    with pytest.raises(RuntimeError, match=problem):
        create_app(_production(**settings))


def test_production_refuses_debug_from_the_environment(monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="debug"):
        create_app(_production())


def test_production_cookies_are_host_prefixed_and_secure(database_url):
    app = create_app(_production(SQLALCHEMY_DATABASE_URI=database_url))
    assert app.config["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    response = app.test_client().get("/auth/login", base_url="https://portal.example.com")
    hsts = response.headers["Strict-Transport-Security"]
    assert "includeSubDomains" in hsts and int(hsts.split("max-age=")[1].split(";")[0]) >= 31536000
    cookie = response.headers.get("Set-Cookie", "")
    assert cookie.startswith("__Host-portal_session=") and "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize("code, path", [(404, "/no-such-page"), (405, "/auth/logout")])
def test_error_pages_are_html_or_json(client, code, path):
    html = client.get(path)
    assert html.status_code == code and "text/html" in html.content_type
    assert "988" in html.get_data(as_text=True)  # the crisis line is on every page
    as_json = client.get(path, headers={"Accept": "application/json"})
    assert as_json.status_code == code and as_json.get_json()["error"]["status"] == code


def test_server_errors_show_a_calm_page_and_log_no_details(app, client, caplog):
    def explode():
        raise ValueError("secret patient detail")
    explode.public = True
    app.add_url_rule("/explode", "explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/explode")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)
    assert client.get("/explode", headers={"Accept": "application/json"}).status_code == 500
    assert "secret patient detail" not in caplog.text
    assert "ValueError" in caplog.text


def test_crisis_resources_are_on_every_page(client):
    for path in ("/", "/auth/login", "/auth/register", "/crisis", "/missing"):
        page = client.get(path).get_data(as_text=True)
        assert 'href="tel:988"' in page and "741741" in page and 'href="tel:911"' in page


def test_health_checks(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"] == {"database": "ok", "migrations": "ok"}


def test_create_user_command_makes_a_therapist_who_must_enrol_mfa(app):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--role", "therapist", "--email", "New.Therapist@Example.com",
        "--name", "New Therapist", "--password", "sunlit-orchard-kettle-88"])
    assert result.exit_code == 0, result.output
    from portal.accounts.services import find_user
    user = find_user("new.therapist@example.com")
    assert user.role == "therapist" and user.mfa_required and user.mfa_enabled_at is None


def test_create_user_command_refuses_weak_passwords(app):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--role", "admin", "--email", "a@example.com", "--name", "A",
        "--password", "password1234"])
    assert result.exit_code != 0 and "easy to guess" in result.output


def test_seed_demo_is_idempotent(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0 and "already exist" in second.output
    from sqlalchemy import func, select

    from portal.models.user import User
    assert db.session.scalar(select(func.count()).select_from(User)) == 5  # ops/demo.py
    names = db.session.scalars(select(User.name)).all()
    assert not any(n.lower() in ("admin", "root") for n in names)
