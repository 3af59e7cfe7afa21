"""Break-glass: an admin opens time-limited (1–4 h), read-only access to a client who is not
theirs, only with a reason and their own password; every read is flagged in the audit log, the
client's therapist is emailed (no PHI), and after expiry or "end now" the same read gets 404."""
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from portal.core.vocabulary import FlagKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.breakglass import BreakGlassGrant
from portal.models.intake import ReviewDecision
from tests.factories import DEFAULT_PASSWORD
from tests.test_therapist_review import (
    PHQ9,
    acknowledge,
    decide,
    fill_intake,
    open_flags,
    review_url,
    sign_in,
)

REASON = "Client called the practice line in crisis; therapist unreachable for 2 hours."
PAGE = "/admin/break-glass"


@pytest.fixture
def flagged_client(client_user):
    """The therapist's client, whose submitted intake answered PHQ-9 item 9 above 0: there is
    a review to read and a flag that only the therapist may acknowledge."""
    fill_intake(client_user, phq9=[*PHQ9[:8], 1])
    return client_user


def grant(browser, client, reason=REASON, hours="2", password=DEFAULT_PASSWORD):
    return browser.post(PAGE, {"client": str(client.id), "reason": reason, "hours": hours,
                               "current": password})


def grants():
    return db.session.scalars(select(BreakGlassGrant).order_by(BreakGlassGrant.id)).all()


def audit(event):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == event)
                              .order_by(AuditEvent.id)).all()


READS = ("{review}", "{review}/print", "/therapist/clients/{id}/measures")


def read_paths(client):
    return [p.format(review=review_url(client), id=client.id) for p in READS]


@pytest.mark.parametrize("data, error", [
    ({"reason": ""}, "Please say why you need emergency access."),
    ({"reason": "too short"}, "Please write 20 to 1000 characters."),
    ({"reason": "x" * 1001}, "Please write 20 to 1000 characters."),
    ({"password": ""}, "Please enter your password."),
    ({"password": "not-my-password-at-all"}, "That is not your password."),
    ({"hours": "0"}, "Not a valid choice"),
    ({"hours": "5"}, "Not a valid choice"),
    ({"hours": "9" * 400}, "Not a valid choice"),  # gave OverflowError (tests/test_property_...)
])
def test_a_grant_needs_a_reason_the_admins_password_and_1_to_4_hours(app, admin, flagged_client,
                                                                      data, error):
    browser = sign_in(app, admin)
    response = grant(browser, flagged_client, **data)
    assert response.status_code == 400
    assert error in response.get_data(as_text=True)
    assert grants() == []
    assert audit("break_glass_granted") == []
    assert browser.client.get(review_url(flagged_client)).status_code == 404


def test_without_a_grant_an_admin_gets_404_on_another_therapists_client(app, admin, flagged_client):
    browser = sign_in(app, admin)
    for path in read_paths(flagged_client):
        assert browser.client.get(path).status_code == 404, path
    assert audit("break_glass_read") == []


def test_a_grant_opens_flagged_read_only_access_and_emails_the_therapist(
        app, admin, therapist, flagged_client, mailbox):
    browser = sign_in(app, admin)
    assert browser.client.get(PAGE).status_code == 200
    response = grant(browser, flagged_client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(review_url(flagged_client))
    (row,) = grants()
    assert (row.admin_id, row.client_id, row.reason) == (admin.id, flagged_client.id, REASON)
    assert row.expires_at - row.granted_at == timedelta(hours=2)
    (granted,) = audit("break_glass_granted")
    assert granted.actor_id == admin.id and granted.object_id == str(flagged_client.id)
    assert REASON not in (granted.detail or "")

    for path in read_paths(flagged_client):
        assert browser.client.get(path).status_code == 200, path
    reads = audit("break_glass_read")
    assert len(reads) == len(READS)
    assert {(e.actor_id, e.object_id, e.outcome) for e in reads} == {
        (admin.id, str(flagged_client.id), "break_glass")}

    (email,) = [m for m in mailbox.to(therapist.email) if "emergency access" in m["Subject"].lower()]
    body = mailbox.text_of(email)
    assert "An administrator opened emergency access to a client's record" in body
    assert "audit log" in body
    for secret in (flagged_client.name, flagged_client.email, admin.name, REASON):
        assert secret not in body and secret not in email["Subject"]
    assert mailbox.to(flagged_client.email) == []

    # Read-only: decisions and flag acknowledgements still need the client's therapist.
    flag = open_flags(flagged_client, FlagKind.ITEM9)[0]
    assert decide(browser, flagged_client, decision="eligible").status_code == 404
    assert acknowledge(browser, flagged_client, flag, "Seen by admin").status_code == 404
    assert db.session.scalar(select(func.count(ReviewDecision.id))) == 0
    assert open_flags(flagged_client, FlagKind.ITEM9)


def test_a_grant_covers_only_its_client_and_its_admin(app, factories, admin, flagged_client,
                                                      other_client):
    browser = sign_in(app, admin)
    grant(browser, flagged_client)
    assert browser.client.get(review_url(other_client)).status_code == 404
    other_admin = sign_in(app, factories.make_admin())
    assert other_admin.client.get(review_url(flagged_client)).status_code == 404


def test_after_expiry_the_same_read_is_refused(app, admin, flagged_client):
    with time_machine.travel(datetime.now(UTC), tick=False) as traveller:
        browser = sign_in(app, admin)
        assert grant(browser, flagged_client, hours="4").status_code == 302
        (row,) = grants()
        assert row.expires_at - row.granted_at == timedelta(hours=4)
        assert browser.client.get(review_url(flagged_client)).status_code == 200
        traveller.shift(timedelta(hours=3, minutes=59))
        browser = sign_in(app, admin)  # the first session ended after 30 idle minutes
        assert browser.client.get(review_url(flagged_client)).status_code == 200
        traveller.shift(timedelta(minutes=1))
        assert browser.client.get(review_url(flagged_client)).status_code == 404
        assert "None." in browser.client.get(PAGE).get_data(as_text=True)
    assert len(audit("break_glass_read")) == 2


def test_end_now_revokes_the_grant_and_is_audited(app, admin, flagged_client):
    browser = sign_in(app, admin)
    grant(browser, flagged_client)
    (row,) = grants()
    assert "End now" in browser.client.get(PAGE).get_data(as_text=True)
    response = browser.post(f"{PAGE}/{row.id}/revoke", {}, form_path=PAGE)
    assert response.status_code == 302
    db.session.refresh(row)
    assert row.revoked_at is not None
    (revoked,) = audit("break_glass_revoked")
    assert revoked.actor_id == admin.id and revoked.object_id == str(flagged_client.id)
    assert browser.client.get(review_url(flagged_client)).status_code == 404


def test_an_admin_cannot_end_another_admins_grant(app, factories, admin, flagged_client):
    grant(sign_in(app, admin), flagged_client)
    (row,) = grants()
    other = sign_in(app, factories.make_admin())
    assert other.post(f"{PAGE}/{row.id}/revoke", {}, form_path=PAGE).status_code == 404
    db.session.refresh(row)
    assert row.revoked_at is None


def test_the_model_refuses_more_than_4_hours(app, admin, flagged_client):
    with pytest.raises(ValueError):
        BreakGlassGrant.start(admin, flagged_client, REASON, 5)
    with pytest.raises(ValueError):
        BreakGlassGrant.start(admin, flagged_client, REASON, 0)


def test_therapists_and_clients_cannot_grant(app, factories, therapist, flagged_client):
    for user in (therapist, flagged_client):
        browser = sign_in(app, user)
        assert browser.client.get(PAGE).status_code == 403
        response = browser.client.post(PAGE, data={"client": str(flagged_client.id), "reason": REASON,
                                                   "hours": "1", "current": DEFAULT_PASSWORD})
        assert response.status_code in (400, 403)
    assert grants() == []
