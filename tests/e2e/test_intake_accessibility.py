"""Acceptance 8: no serious or critical axe-core violations anywhere in the client's intake.

Every step (1-8) is checked as it first appears and again with its validation errors shown (Next
pressed on the empty step); then, with every step completed, the review page before submit and
the read-only intake after it. Filling the steps through the browser is test_intake_flow.py's
job: here the answers are stored through the intake service, which keeps this test quick.
axe is injected with `page.evaluate` (a <script> tag would be blocked by the page's CSP), colour
contrast included. The violations of every page are collected and reported together.
"""
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.intake import services
from portal.intake.steps import STEP_TITLES
from portal.models.consent import ConsentDocument
from portal.models.intake import STEPS
from portal.models.user import User
from tests.e2e.conftest import settle, sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
BLOCKING = {"serious", "critical"}
NAME = "Avery Lin"
NO = "no"


def blocking_violations(page):
    """Run axe on the whole page; the serious and critical violations, one line per element."""
    page.wait_for_load_state("load")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE)
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"[{v['impact']}] {v['id']}: {v['help']} at {json.dumps(node['target'])}"
            for v in results["violations"] if v["impact"] in BLOCKING for node in v["nodes"]]


def valid_answers(documents):
    """A valid answer to every question of every step (stored as the forms post them)."""
    return {
        "about": {"legal_name": NAME, "date_of_birth": "1988-09-14", "phone": "(555) 201-3344",
                  "address_line": "4 Elm Court", "city": "Eugene", "state": "OR",
                  "postal_code": "97401", "timezone": "America/Los_Angeles",
                  "emergency_name": "Jo Lin", "emergency_relation": "Partner",
                  "emergency_phone": "(555) 201-9988"},
        "history": {"current_therapy": "yes", "ect_tms": NO, "prior_ketamine": NO,
                    "hospitalisations": NO},
        "medical": {"bp_known": NO, "bp_controlled": "unsure", "heart_disease": NO,
                    "arrhythmia": NO, "stroke": NO, "pregnant": NO, "liver_disease": NO,
                    "bladder_problems": NO, "hyperthyroidism": NO, "intracranial_pressure": NO,
                    "glaucoma": NO, "ketamine_allergy": NO, "weight": "70", "weight_unit": "kg"},
        "psychiatric": {"psychosis": "never", "mania": "never", "bipolar": NO,
                        "dissociative": NO, "family_psychosis": "unsure",
                        **dict.fromkeys(["use_alcohol", "use_cannabis", "use_stimulants",
                                         "use_opioids", "use_ketamine"], "never")},
        "medications": {"medications-0-name": "Bupropion", "medications-0-dose": "150 mg",
                        "medications-0-frequency": "Mornings",
                        **dict.fromkeys(["benzodiazepines", "maoi", "lamotrigine", "opioids_rx",
                                         "stimulants_rx"], NO)},
        "measures": {**{f"phq9_{n}": "1" for n in range(1, 9)}, "phq9_9": "0",
                     **{f"gad7_{n}": "1" for n in range(1, 8)}, "phq9_difficulty": "1"},
        "goals": {"goals": "Sleep better and feel present with my kids."},
        "consents": {**{f"name_{d.kind}": NAME for d in documents},
                     **{f"agree_{d.kind}": "y" for d in documents}},
    }


def complete_every_step(client_id):
    """Store valid answers for every step through the intake service, as Next would."""
    intake = services.intake_for(db.session.get(User, client_id))
    answers = valid_answers(ConsentDocument.current())
    for step in STEPS:
        services.save_draft(intake, step, answers[step], complete=True)
    settle()


@pytest.fixture
def client_details():
    """The home page greets the client by name."""
    return {"name": NAME}


@pytest.fixture
def signed_in_client(page, live_server, client_user):
    """The client, signed in through the browser and on their home page; returns their id."""
    client_id, email = client_user.id, client_user.email
    sign_in(page, email, DEFAULT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Hello, {NAME}")
    return client_id


def test_every_intake_step_the_review_and_the_submitted_intake_are_accessible(
        page, signed_in_client):
    found = {}

    def check(state):
        violations = blocking_violations(page)
        if violations:
            found[f"{state} ({page.url})"] = violations

    heading = page.get_by_role("heading", level=1)
    page.get_by_role("link", name="Start my intake").click()
    for number, step in enumerate(STEPS, start=1):
        if number > 1:
            page.goto(f"/intake/{step}")
        expect(heading).to_have_text(STEP_TITLES[step])
        check(f"step {number}, as it first appears")

        next_label = "Review my answers" if step == STEPS[-1] else "Next"
        page.get_by_role("button", name=next_label, exact=True).click()
        expect(page.get_by_role("alert")).to_contain_text("Please check the")
        expect(page.locator("[aria-invalid=true]").first).to_be_attached()
        check(f"step {number}, with validation errors")

    complete_every_step(signed_in_client)
    page.goto("/intake/review")
    expect(heading).to_have_text("Review your answers")
    submit = page.get_by_role("button", name="Send my intake to my therapist")
    expect(submit).to_be_visible()
    check("review before submit")

    submit.click()
    expect(heading).to_have_text("Your intake")
    expect(page.get_by_role("heading", name="Ask for a change")).to_be_visible()
    check("submitted, read-only")

    report = "\n".join(f"{state}:\n    " + "\n    ".join(lines) for state, lines in found.items())
    assert not found, f"serious or critical axe violations:\n{report}"
