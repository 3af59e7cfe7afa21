"""Admin pages: staff accounts, roles, deactivation and MFA reset, all re-authenticated and audited."""
from sqlalchemy import select

from portal.accounts.services import find_user
from portal.extensions import db
from portal.models.audit import AuditEvent
from tests.factories import DEFAULT_PASSWORD


def sign_in_admin(auth, admin):
    auth.login(admin.email, DEFAULT_PASSWORD, totp_secret=admin.totp_secret)
    return admin


def audited(event):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == event)).all()


def test_admin_creates_a_therapist_who_must_enrol_mfa(client, auth, admin):
    sign_in_admin(auth, admin)
    response = auth.post("/admin/users", {"name": "Dr. New", "email": "dr.new@example.com",
                                          "role": "therapist", "timezone": "America/Chicago",
                                          "password": "maple-lantern-quartz-19"},
                         form_path="/admin/users")
    assert response.status_code == 302
    user = find_user("dr.new@example.com")
    assert user.role == "therapist" and user.mfa_enabled_at is None
    assert audited("user_created")[-1].object_id == str(user.id)


def test_role_change_needs_the_admins_password_and_is_audited(client, auth, admin, therapist):
    sign_in_admin(auth, admin)
    path = f"/admin/users/{therapist.id}"
    refused = auth.post(path, {"role": "admin", "current": "wrong password entirely"},
                        form_path=path)
    assert refused.status_code == 200 and "not your password" in refused.get_data(as_text=True)
    db.session.refresh(therapist)
    assert therapist.role == "therapist"
    auth.post(path, {"role": "admin", "current": DEFAULT_PASSWORD}, form_path=path)
    db.session.refresh(therapist)
    assert therapist.role == "admin"
    assert audited("role_changed")[-1].detail == "therapist->admin"


def test_mfa_reset_signs_the_person_out_and_forces_enrolment(app, client, auth, therapist, admin):
    other = app.test_client()
    from tests.conftest import Auth
    Auth(other).login(therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    assert other.get("/therapist/clients").status_code == 200
    admin_path = f"/admin/users/{therapist.id}"
    sign_in_admin(auth, admin)
    response = auth.post(f"{admin_path}/mfa-reset", {"mfa-current": DEFAULT_PASSWORD},
                         form_path=admin_path)
    assert response.status_code == 302
    db.session.refresh(therapist)
    assert therapist.mfa_enabled_at is None and therapist.totp_secret_enc is None
    assert other.get("/therapist/clients").status_code == 302  # signed out everywhere
    assert audited("mfa_reset")
    again = Auth(app.test_client()).login(therapist.email, DEFAULT_PASSWORD)
    assert again.headers["Location"] == "/auth/mfa/setup"


def test_deactivated_accounts_cannot_sign_in(app, client, auth, factories, admin):
    sign_in_admin(auth, admin)
    person = factories.make_client()
    path = f"/admin/users/{person.id}"
    auth.post(f"{path}/active", {"da-current": DEFAULT_PASSWORD}, form_path=path)
    db.session.refresh(person)
    assert not person.is_active_account
    from tests.conftest import Auth
    result = Auth(app.test_client()).login(person.email, DEFAULT_PASSWORD)
    assert result.status_code == 200  # the generic sign-in error, no session


def test_dev_outbox_keeps_emails_when_no_smtp_is_configured(database_url, smtp_server, tmp_path):
    from portal import create_app
    from tests.conftest import make_config
    app = create_app(make_config(database_url, smtp_server, SMTP_HOST=None,
                                 OUTBOX_DIR=str(tmp_path / "outbox"), SHOW_DEV_OUTBOX=True))
    with app.app_context():
        from portal.notifications.email import queue_email
        with app.test_request_context():
            queue_email("someone@example.com", "Hello there", "password_changed", name="X",
                        reset_url="http://x/reset")
            db.session.commit()  # delivered after the commit (OUTBOX_DELIVER_ON_COMMIT)
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    page = app.test_client().get("/dev/outbox").get_data(as_text=True)
    assert "Hello there" in page and "someone@example.com" in page
