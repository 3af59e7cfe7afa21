"""Who accessed my record: other people's accesses in plain role terms, never their emails,
addresses or browsers; the client's own actions are not listed; viewing the page is audited."""
from datetime import date

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.journal import JournalEntry
from portal.security.audit import record
from tests.conftest import Auth, next_totp
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import submit_intake


@pytest.fixture
def therapist_details():
    """The page names the therapist; their email must never show."""
    return {"name": "Robin Reyes", "email": "robin.private@example.com"}


def access_page(client, auth, client_user):
    auth.login(client_user.email, DEFAULT_PASSWORD)
    response = client.get("/my-data/access")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def rows_of(page):
    body = page.split('<tbody>', 1)[1].split('</tbody>', 1)[0] if '<tbody>' in page else ""
    return body.count("<tr>")


def test_therapist_views_are_listed_with_name_and_role_but_no_technical_details(
        app, client, auth, client_user, therapist):
    submit_intake(client_user)
    browser = app.test_client()
    Auth(browser).login(therapist.email, DEFAULT_PASSWORD,
                        code=next_totp(therapist.id, therapist.totp_secret))
    assert browser.get(f"/therapist/clients/{client_user.id}/intake",
                       headers={"User-Agent": "AGENT-CANARY/1.0"}).status_code == 200
    page = access_page(client, auth, client_user)
    assert "Your therapist, Robin Reyes" in page and "viewed your intake" in page
    for secret in ("robin.private@example.com", "127.0.0.1", "AGENT-CANARY"):
        assert secret not in page


def test_break_glass_reads_name_the_role_only(client, auth, factories, client_user):
    admin = factories.make_admin(name="Alex Owner", email="alex.owner@example.com")
    record("break_glass_granted", actor=admin, obj=("user", client_user.id), detail="grant 1 2h")
    record("break_glass_read", actor=admin, obj=("user", client_user.id), outcome="break_glass",
           detail="grant 1 therapist.intake_review")
    db.session.commit()
    page = access_page(client, auth, client_user)
    assert page.count("Practice administrator (emergency access)") == 2
    assert "opened your record" in page and "opened emergency access to your record" in page
    assert "Alex" not in page and "alex.owner@example.com" not in page and "grant 1" not in page


def test_the_clients_own_actions_and_other_clients_records_are_not_listed(
        client, auth, client_user, therapist, other_client):
    record("intake_viewed", actor=therapist, obj=("user", other_client.id))
    record("timezone_changed", actor=client_user, obj=("user", client_user.id))
    record("login_failure", actor=None, obj=("user", client_user.id), outcome="failure")
    db.session.commit()
    auth.login(client_user.email, DEFAULT_PASSWORD)
    client.get("/my-data")  # the client's own export: audited, but not listed
    page = client.get("/my-data/access").get_data(as_text=True)
    assert rows_of(page) == 0 and "Nobody else has looked at your record yet." in page


def test_accesses_to_journal_and_repeated_views_are_merged(client, auth, client_user, therapist):
    entry = JournalEntry(client_id=client_user.id, written_on=date.today(), text="x", shared=True)
    db.session.add(entry)
    db.session.commit()
    for _ in range(3):
        record("journal_viewed", actor=therapist, obj=("user", client_user.id))
    record("journal_entry_created", actor=therapist, obj=("journal_entry", entry.id))
    db.session.commit()
    page = access_page(client, auth, client_user)
    assert page.count("read the journal entries you shared") == 1  # three views, one line
    assert "read a journal entry you shared" in page  # events without words: by their object
    assert rows_of(page) == 2


def test_viewing_the_access_log_is_audited(client, auth, client_user):
    access_page(client, auth, client_user)
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.event == "access_log_viewed")).all()
    assert [(e.actor_id, e.object_id) for e in events] == [(client_user.id, str(client_user.id))]


def test_my_data_links_to_the_access_log(client, auth, client_user):
    auth.login(client_user.email, DEFAULT_PASSWORD)
    page = client.get("/my-data").get_data(as_text=True)
    assert 'href="/my-data/access"' in page
    assert "<title>My record ·" in page


def test_therapists_cannot_open_a_clients_access_log(app, therapist):
    browser = app.test_client()
    Auth(browser).login(therapist.email, DEFAULT_PASSWORD,
                        code=next_totp(therapist.id, therapist.totp_secret))
    assert browser.get("/my-data/access").status_code == 403
