"""The integration journal: entries are private by default; a shared entry is visible to the
therapist (audited), unsharing hides it again; another client's entries give 404."""
from datetime import date

import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.journal import JournalEntry
from tests.conftest import csrf_from, signed_in

PRIVATE = "PRIVATE-JOURNAL-5e0a: a thought I keep to myself"
SHARED = "SHARED-JOURNAL-91bc: I felt lighter after the session"


def token(browser):
    return csrf_from(browser.get("/journal").get_data(as_text=True))


def write(browser, body, mood="", written_on="2026-03-04"):
    return browser.post("/journal", data={"csrf_token": token(browser), "written_on": written_on,
                                          "text": body, "mood": mood})


def entry(body):
    """The entry with this text (the text is encrypted: compare after loading)."""
    return next(e for e in db.session.scalars(select(JournalEntry)) if e.text == body)


def _id_of(body):
    return entry(body).id


def share(browser, entry_id, action="share"):
    return browser.post(f"/journal/{entry_id}/{action}", data={"csrf_token": token(browser)})


def journal_page(app, therapist, client_user):
    response = signed_in(app, therapist).get(f"/therapist/clients/{client_user.id}/journal")
    assert response.status_code == 200
    return response.get_data(as_text=True)


# --- writing --------------------------------------------------------------------------------
def test_a_new_entry_is_private_and_listed_for_its_author(app, client_user):
    browser = signed_in(app, client_user)
    response = write(browser, PRIVATE, mood="7")
    assert response.status_code == 302
    row = entry(PRIVATE)
    assert (row.shared, row.mood, row.written_on, row.client_id) == (False, 7, date(2026, 3, 4),
                                                                      client_user.id)
    page = browser.get("/journal").get_data(as_text=True)
    assert PRIVATE in page and "Mood 7 of 10" in page and "Private" in page


@pytest.mark.parametrize("fields, error", [
    ({"text": "  "}, "Please write something."),
    ({"mood": "11"}, "Not a valid choice"),
    ({"written_on": ""}, "Please give the date."),
    ({"text": "x" * 10_001}, "Please shorten this"),
])
def test_invalid_entries_are_refused(app, client_user, fields, error):
    browser = signed_in(app, client_user)
    data = {"csrf_token": token(browser), "written_on": "2026-03-04", "text": "ok", "mood": "",
            **fields}
    response = browser.post("/journal", data=data)
    assert response.status_code == 400 and error in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(JournalEntry)) == 0


# --- sharing --------------------------------------------------------------------------------
def test_private_entries_are_invisible_to_the_therapist(app, therapist, client_user):
    write(signed_in(app, client_user), PRIVATE)
    page = journal_page(app, therapist, client_user)
    assert PRIVATE not in page and "has not shared any journal entries" in page


def test_shared_entries_are_visible_and_unsharing_hides_them_again(app, therapist, client_user):
    browser = signed_in(app, client_user)
    write(browser, PRIVATE)
    write(browser, SHARED, mood="4")
    assert share(browser, _id_of(SHARED)).status_code == 302
    assert entry(SHARED).shared is True
    page = journal_page(app, therapist, client_user)
    assert SHARED in page and "Mood 4 of 10" in page and PRIVATE not in page

    assert share(browser, _id_of(SHARED), "unshare").status_code == 302
    assert entry(SHARED).shared is False
    page = journal_page(app, therapist, client_user)
    assert SHARED not in page and PRIVATE not in page


def test_sharing_and_viewing_are_audited(app, therapist, client_user):
    browser = signed_in(app, client_user)
    write(browser, SHARED)
    share(browser, _id_of(SHARED))
    share(browser, _id_of(SHARED), "unshare")
    journal_page(app, therapist, client_user)
    names = db.session.scalars(select(AuditEvent.event)).all()
    for name in ("journal_entry_created", "journal_entry_shared", "journal_entry_unshared",
                 "journal_viewed"):
        assert name in names


# --- access ---------------------------------------------------------------------------------
def test_another_client_cannot_share_or_unshare_an_entry(app, client_user, other_client):
    write(signed_in(app, client_user), SHARED)
    entry_id = _id_of(SHARED)
    other = signed_in(app, other_client)
    assert share(other, entry_id).status_code == 404
    assert share(other, entry_id, "unshare").status_code == 404
    assert SHARED not in other.get("/journal").get_data(as_text=True)
    assert entry(SHARED).shared is False


def test_another_therapist_gets_404_and_clients_403(app, therapist, client_user, other_therapist):
    browser = signed_in(app, client_user)
    write(browser, SHARED)
    share(browser, _id_of(SHARED))
    url = f"/therapist/clients/{client_user.id}/journal"
    assert signed_in(app, other_therapist).get(url).status_code == 404
    assert browser.get(url).status_code == 403
    assert signed_in(app, therapist).get("/journal").status_code == 403


def test_entries_are_encrypted_at_rest(app, client_user):
    write(signed_in(app, client_user), PRIVATE)
    raw = db.session.execute(text("SELECT text FROM journal_entries")).scalar_one()
    assert raw and "PRIVATE-JOURNAL" not in raw
