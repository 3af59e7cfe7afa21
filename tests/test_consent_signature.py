"""A consent signature must match the client's legal name (issue 13, section 7): case and extra
spaces do not matter; anything else is refused with a clear message next to the field. Both
in the intake's consents step and when signing a new version of a document."""
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.intake.steps import same_name
from portal.models.consent import ConsentSignature
from tests.conftest import csrf_from, signed_in
from tests.scheduling_helpers import current_consents, publish_new_version, sign_current_consents


@pytest.fixture
def client_details():
    return {"name": "Jordan Lee"}


@pytest.mark.parametrize("typed, matches", [
    ("Jordan Lee", True), ("  jordan   LEE ", True), ("JORDAN\tLee", True),
    ("Jordan", False), ("Lee Jordan", False), ("Jordan Lee Jr", False), ("   ", False),
])
def test_a_signature_matches_the_legal_name_ignoring_case_and_spaces(typed, matches):
    assert same_name(typed, "Jordan Lee") is matches


def _sign_intake_consents(browser, typed):
    documents = current_consents()
    token = csrf_from(browser.get("/intake/consents").get_data(as_text=True))
    data = {"csrf_token": token, "action": "next",
            **{f"name_{d.kind}": typed for d in documents},
            **{f"agree_{d.kind}": "y" for d in documents}}
    return browser.post("/intake/consents", data=data)


def signatures(client):
    return db.session.scalars(select(ConsentSignature).where(
        ConsentSignature.client_id == client.id)).all()


def test_jordan_is_refused_for_jordan_lee_with_a_clear_message(app, client_user):
    browser = signed_in(app, client_user)
    response = _sign_intake_consents(browser, "Jordan")
    page = response.get_data(as_text=True)
    assert response.status_code in (200, 400)
    assert "Please type your legal name exactly as you gave it: Jordan Lee." in page
    assert 'aria-invalid="true"' in page and signatures(client_user) == []
    # positive control: the same form with the name in odd case and spacing is accepted
    assert _sign_intake_consents(browser, "  jordan   LEE ").status_code == 302
    assert len(signatures(client_user)) == len(current_consents())


def test_the_legal_name_given_in_the_intake_is_the_one_that_counts(app, client_user):
    from portal.intake import services
    intake = services.intake_for(client_user)
    services.save_draft(intake, "about", {"legal_name": "Jordan Avery Lee"})
    db.session.commit()
    browser = signed_in(app, client_user)
    assert "exactly as you gave it: Jordan Avery Lee" in _sign_intake_consents(
        browser, "Jordan Lee").get_data(as_text=True)
    assert _sign_intake_consents(browser, "jordan avery lee").status_code == 302


def test_signing_a_new_version_needs_the_legal_name_too(app, client_user):
    sign_current_consents(client_user)
    document = publish_new_version()
    browser = signed_in(app, client_user)
    token = csrf_from(browser.get("/consents").get_data(as_text=True))
    data = {"csrf_token": token, f"agree_{document.kind}": "y"}
    refused = browser.post("/consents", data={**data, f"name_{document.kind}": "Jordan"})
    assert refused.status_code == 400
    assert "exactly as you gave it: Jordan Lee" in refused.get_data(as_text=True)
    accepted = browser.post("/consents", data={**data, f"name_{document.kind}": "jordan lee"})
    assert accepted.status_code == 302
    assert document.id in {s.document_id for s in signatures(client_user)}
