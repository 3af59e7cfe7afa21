"""Issue 13, part 1: the client hears every decision. An email through the real SMTP server says
only that the intake was reviewed; the client's home shows the outcome in plain words with the
therapist's note for them (a field of its own, encrypted), never the private note, reason,
referral or clearance details. The clients list and the client page show the new stage and the
open flags at once."""
import re

import pytest
from sqlalchemy import text

from portal.core.vocabulary import Decision
from portal.extensions import db
from tests.conftest import section
from tests.scheduling_helpers import submit_intake
from tests.test_therapist_review import (
    acknowledge,
    decide,
    fill_intake,
    open_flags,
    review_url,
    sign_in,
)

PRIVATE = "Private-7c1e: discussed with supervisor"
CLEARANCE = "Clearance-0b3d: ECG and cardiology letter"
REASON = "Reason-5a9f: active psychosis"
REFERRAL = "Referral-2e6c: County early-psychosis team"
FOR_CLIENT = "Please ask Dr Park for a letter about your heart; bring it to our next talk."
SECRETS = (PRIVATE, CLEARANCE, REASON, REFERRAL)

DECISIONS = {
    Decision.ELIGIBLE: {},
    Decision.NEEDS_CLEARANCE: {"clearance_needed": CLEARANCE},
    Decision.NOT_ELIGIBLE: {"reason": REASON, "referral": REFERRAL},
}
# what each decision means for the client, in plain words (portal/care/queries_outcome.py)
HEADINGS = {
    Decision.ELIGIBLE: "You can go ahead with ketamine-assisted therapy",
    Decision.NEEDS_CLEARANCE: "A medical check comes first",
    Decision.NOT_ELIGIBLE: "Ketamine-assisted therapy is not the right choice for now",
}


def home_of(app, client_user):
    browser = sign_in(app, client_user)
    return browser.client.get("/home").get_data(as_text=True)


@pytest.mark.parametrize("decision", list(DECISIONS))
def test_every_decision_emails_the_client_without_health_details(app, therapist, client_user,
                                                                 mailbox, decision):
    submit_intake(client_user)
    mailbox.clear()
    response = decide(sign_in(app, therapist), client_user, decision=decision.value,
                      private_note=PRIVATE, client_note=FOR_CLIENT, **DECISIONS[decision])
    assert response.status_code == 302
    [email] = mailbox.to(client_user.email)
    assert email["Subject"] == "Your therapist has reviewed your intake"
    body = mailbox.text_of(email)
    assert "Your therapist has reviewed your intake" in body and "sign in" in body.lower()
    assert mailbox.last_link(client_user.email).endswith("/auth/login")
    whole = email.as_string()
    for secret in (*SECRETS, FOR_CLIENT, "eligible", "Eligible", "clearance", "ketamine"):
        assert secret not in whole, secret
    assert mailbox.to(therapist.email) == []


@pytest.mark.parametrize("decision", list(DECISIONS))
def test_the_home_page_shows_the_outcome_and_the_note_for_the_client_only(
        app, therapist, client_user, mailbox, decision):
    submit_intake(client_user)
    decide(sign_in(app, therapist), client_user, decision=decision.value, private_note=PRIVATE,
           client_note=FOR_CLIENT, **DECISIONS[decision])
    html = home_of(app, client_user)
    outcome = section(html, "review-outcome")
    assert HEADINGS[decision] in outcome
    assert FOR_CLIENT in outcome
    for secret in SECRETS:
        assert secret not in html, secret


def test_without_a_note_the_outcome_still_says_what_happens_next(app, therapist, client_user,
                                                                 mailbox):
    submit_intake(client_user)
    decide(sign_in(app, therapist), client_user, decision="needs_clearance",
           clearance_needed=CLEARANCE)
    html = home_of(app, client_user)
    outcome = section(html, "review-outcome")
    assert "a doctor needs to confirm" in outcome and "therapist-note" not in outcome
    assert re.search(r'data-step="talk_with_therapist"', html)


def test_the_note_for_the_client_is_encrypted_at_rest(app, therapist, client_user, mailbox):
    submit_intake(client_user)
    decide(sign_in(app, therapist), client_user, decision="eligible", client_note=FOR_CLIENT)
    raw = db.session.execute(text("SELECT client_note FROM review_decisions")).scalar()
    assert raw and "Dr Park" not in raw


def test_stage_and_flag_markers_follow_the_decision_and_the_acknowledgements(
        app, therapist, client_user, mailbox):
    fill_intake(client_user)  # an exclusion, a clearance and two caution flags
    browser = sign_in(app, therapist)

    def markers():
        listing = browser.client.get("/therapist/clients").get_data(as_text=True)
        row = re.search(rf'<tr data-client-id="{client_user.id}">.*?</tr>', listing, re.S).group(0)
        page = browser.client.get(f"/therapist/clients/{client_user.id}").get_data(as_text=True)
        stage = re.search(r'class="client-stage">([^<]*)<', page).group(1)
        flags = re.search(r'id="client-flags">(.*?)</p>', page, re.S).group(1)
        return row, stage, flags

    row, stage, flags = markers()
    assert "<td>Intake submitted</td>" in row and stage == "Intake submitted"
    for marker in ("1 exclusion", "1 needs medical clearance", "2 caution"):
        assert marker in row and marker in flags

    assert decide(browser, client_user, decision="needs_clearance",
                  clearance_needed=CLEARANCE).status_code == 302
    clearance = next(f for f in open_flags(client_user) if f.severity == "needs_clearance")
    assert acknowledge(browser, client_user, clearance, "Letter requested.").status_code == 302
    row, stage, flags = markers()
    assert "<td>Needs medical clearance</td>" in row and stage == "Needs medical clearance"
    assert "needs medical clearance</a>" not in row and "1 exclusion" in flags


def test_a_client_without_open_flags_shows_none(app, therapist, client_user):
    page = sign_in(app, therapist).client.get(f"/therapist/clients/{client_user.id}")
    assert re.search(r'id="client-flags">Open flags:\s*<span class="muted">none</span>',
                     page.get_data(as_text=True))


def test_the_review_form_says_what_the_client_sees(app, therapist, client_user):
    submit_intake(client_user)
    html = sign_in(app, therapist).client.get(review_url(client_user)).get_data(as_text=True)
    assert '<label for="client_note">Note for the client</label>' in html
    assert "never the clearance details, reason, referral or private note" in html
