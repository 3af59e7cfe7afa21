"""Role matrix on writes (issue 14, "the matrices, completed"): a therapist tries every admin
POST and a client every therapist POST, with a valid CSRF token and plausible, complete form
data, on real objects. Each is refused with 403 and nothing changes: no audit row, no row of
the kind the route writes. Positive control: the admin's own POST goes through.
"""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.breakglass import BreakGlassGrant
from portal.models.user import User
from tests.conftest import csrf_from, signed_in
from tests.factories import DEFAULT_PASSWORD
from tests.test_ownership_matrix import owned as owned_objects
from tests.test_ownership_matrix import url_of

owned = owned_objects  # the same fixture: a client of a therapist with every kind of object


def views_for(app, keep):
    for rule in app.url_map.iter_rules():
        roles = getattr(app.view_functions[rule.endpoint], "roles", None)
        if "POST" in rule.methods and roles is not None and keep(set(roles)):
            yield rule


def form_data(token):
    """Everything a write form might ask for, filled in plausibly (own password included), so a
    refusal is the role check, not a failed validation."""
    return {"csrf_token": token, "current": DEFAULT_PASSWORD, "da-current": DEFAULT_PASSWORD,
            "mfa-current": DEFAULT_PASSWORD, "password": DEFAULT_PASSWORD, "role": "admin",
            "email": "new-admin@example.org", "name": "Someone", "reason": "emergency access",
            "client_id": "1", "hours": "2", "note": "x", "message": "x", "status": "completed",
            "decision": "eligible", "title": "Consent", "body": "text", "kind": "treatment",
            "action": "sign"}


def counts():
    return (db.session.scalar(select(func.count(AuditEvent.id))),
            db.session.scalar(select(func.count(User.id))),
            db.session.scalar(select(func.count(BreakGlassGrant.id))))


@pytest.fixture
def admin_objects(factories, admin, owned):
    victim = factories.make_therapist()
    grant = BreakGlassGrant(admin_id=admin.id, client_id=owned["client_id"], reason="test",
                            expires_at=utcnow() + timedelta(hours=1))
    db.session.add(grant)
    db.session.commit()
    return {**owned, "user_id": victim.id, "grant_id": grant.id, "victim": victim,
            "grant": grant}


def test_therapists_cannot_post_to_admin_routes(app, admin_objects):
    browser = signed_in(app, admin_objects["therapist"])
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    before = counts()
    tried = []
    for rule in views_for(app, lambda roles: roles == {"admin"}):
        url = url_of(rule, admin_objects)
        response = browser.post(url, data=form_data(token))
        assert response.status_code == 403, (url, response.status_code)
        tried.append(rule.endpoint)
    assert len(tried) >= 7, tried
    assert counts() == before
    db.session.expire_all()
    assert db.session.get(User, admin_objects["user_id"]).is_active_account
    assert db.session.get(User, admin_objects["user_id"]).mfa_enabled_at is not None
    assert db.session.get(BreakGlassGrant, admin_objects["grant_id"]).revoked_at is None


def test_clients_cannot_post_to_therapist_routes(app, admin_objects):
    browser = signed_in(app, admin_objects["client"])
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    before = counts()
    tried = []
    for rule in views_for(app, lambda roles: "client" not in roles):
        url = url_of(rule, admin_objects)
        response = browser.post(url, data=form_data(token))
        assert response.status_code == 403, (url, response.status_code)
        tried.append(rule.endpoint)
    assert len(tried) >= 20, tried
    assert counts() == before
    db.session.expire_all()
    assert db.session.get(User, admin_objects["user_id"]).is_active_account


def test_the_admin_own_post_goes_through(app, admin, admin_objects):
    """Positive control: the same request by the admin changes the account and is audited."""
    browser = signed_in(app, admin)
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "admin.toggle_active")
    before = counts()
    response = browser.post(url_of(rule, admin_objects), data=form_data(token))
    assert response.status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, admin_objects["user_id"]).is_active_account
    assert counts()[0] > before[0]
