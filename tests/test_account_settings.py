"""Account settings: re-authentication guards sensitive changes and counts toward lockout."""
from sqlalchemy import select

from portal.extensions import db
from portal.models.audit import AuditEvent
from tests.factories import DEFAULT_PASSWORD


def test_wrong_current_password_counts_toward_lockout(app, client, auth, factories):
    user = factories.make_client()
    auth.login(user.email, DEFAULT_PASSWORD)
    for _ in range(app.config["LOCKOUT_THRESHOLD"]):
        response = auth.post("/account/email", {"em-current": "not my password at all",
                                                "em-email": "new@example.com"},
                             form_path="/account")
        assert response.status_code == 400
    db.session.refresh(user)
    assert user.locked_until is not None
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.event == "account_locked"))
    # even the right password is refused while locked
    response = auth.post("/account/email", {"em-current": DEFAULT_PASSWORD,
                                            "em-email": "new@example.com"}, form_path="/account")
    assert response.status_code == 400


def test_time_zone_is_saved_and_used_for_display(client, auth, factories):
    user = factories.make_client(timezone="America/New_York")
    auth.login(user.email, DEFAULT_PASSWORD)
    response = auth.post("/account/timezone", {"tz-timezone": "Australia/Sydney"},
                         form_path="/account")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.timezone == "Australia/Sydney"
    bad = auth.post("/account/timezone", {"tz-timezone": "Mars/Olympus"}, form_path="/account")
    assert bad.status_code == 400
