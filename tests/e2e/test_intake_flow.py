"""Acceptance 1: a client fills the intake in Chromium, is signed out by the idle timeout mid-way,
signs in again and resumes with every answer kept, reviews and submits.

Idle time passes on both sides at once: Playwright's clock (`page.clock`) moves the page's own
timers (the 3-second autosave debounce and the idle sign-out of js/session.js), and time_machine
moves the server's clock (the live server is a thread of this process), so the server expires
the session by itself (portal/security/sessions.py compares last_seen_at with utcnow()).
The helpers below fill each step through its labels, as a person would.
"""
import re
from datetime import timedelta

import pytest
import time_machine
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.measures import GAD7_ITEMS, PHQ9_DIFFICULTY, PHQ9_ITEMS
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.consent import ConsentDocument, ConsentSignature
from portal.models.intake import Intake
from portal.models.measure import MeasureResult
from tests.e2e.conftest import settle, sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

CLIENT_NAME = "Rowan Ellery Quill"
DATE_OF_BIRTH = "1990-04-21"
MEDICATION = "Sertraline"


# --- filling the steps through their labels --------------------------------------------------
def heading(page):
    return page.get_by_role("heading", level=1)


def choose(page, question, answer):
    """Tick the radio labelled `answer` in the group (fieldset) whose legend contains `question`."""
    group = page.get_by_role("group", name=question)
    group.get_by_role("radio", name=answer, exact=True).check()


def press(page, name):
    page.get_by_role("button", name=name, exact=True).click()


def fill_about(page):
    expect(page.get_by_label("Legal name", exact=True)).to_have_value(CLIENT_NAME)  # prefilled
    page.get_by_label("Name you would like us to use").fill("Rowan")
    page.get_by_label("Date of birth").fill(DATE_OF_BIRTH)
    page.get_by_label("Pronouns").fill("they/them")
    page.get_by_label("Phone number", exact=True).fill("(555) 123-4567")
    page.get_by_label("Street address").fill("12 Harbor Lane")
    page.get_by_label("City", exact=True).fill("Portland")
    page.get_by_label("State", exact=True).fill("Oregon")
    page.get_by_label("ZIP code").fill("97201")
    page.get_by_label("Time zone").select_option("America/Los_Angeles")
    page.get_by_label("Emergency contact: name").fill("Sam Quill")
    page.get_by_label("Emergency contact: relationship to you").fill("Sibling")
    page.get_by_label("Emergency contact: phone number").fill("+1 555 987 6543")


def fill_history(page):
    page.get_by_label("Diagnoses you have been given").fill("Major depressive disorder")
    choose(page, "Are you seeing a therapist or counsellor now?", "Yes")
    page.get_by_label("Past and current treatment").fill("Two SSRIs, talk therapy since 2019.")
    choose(page, "Have you had ECT or TMS?", "No")
    choose(page, "Have you had ketamine treatment before?", "No")
    choose(page, "hospitalised for your mental health", "No")


def fill_medical(page):
    choose(page, "Do you know your usual blood pressure?", "Yes")
    page.get_by_label("Top number (systolic)").fill("118")
    page.get_by_label("Bottom number (diastolic)").fill("76")
    choose(page, "Is your blood pressure normal or well controlled?", "Yes")
    for question in ("Heart disease", "irregular heartbeat", "A stroke or mini-stroke",
                     "Liver disease", "Bladder or urinary problems", "overactive thyroid",
                     "Raised pressure in the head", "Glaucoma", "reaction to ketamine"):
        choose(page, question, "No")
    choose(page, "Are you pregnant", "No")
    page.get_by_label("Weight", exact=True).fill("160")
    page.get_by_label("Unit").select_option(label="pounds")


def fill_psychiatric(page):
    choose(page, "Have you had psychosis", "Never")
    choose(page, "Have you had mania or hypomania", "Never")
    choose(page, "diagnosed with bipolar disorder", "No")
    choose(page, "diagnosed with a dissociative disorder", "No")
    choose(page, "parent, sibling or child", "No")
    choose(page, "Alcohol: when did you last drink?", "In the past month")
    for substance in ("Cannabis:", "Stimulants (for example", "Opioids not prescribed",
                      "Ketamine outside medical care"):
        choose(page, substance, "Never")


def type_medication(page):
    page.get_by_label("Medication 1", exact=True).fill(MEDICATION)
    page.get_by_label("Dose of medication 1", exact=True).fill("100 mg")
    page.get_by_label("How often (medication 1)", exact=True).fill("Once a day")


def answer_medication_questions(page):
    for question in ("benzodiazepine", "MAOI", "lamotrigine", "prescribed opioid",
                     "prescribed stimulant"):
        choose(page, question, "No")


def fill_measures(page, item9="Not at all"):
    """PHQ-9 and GAD-7, every item "Not at all" unless item 9 is given another answer."""
    for item in PHQ9_ITEMS[:8] + GAD7_ITEMS:
        choose(page, item, "Not at all")
    choose(page, PHQ9_ITEMS[8], item9)
    choose(page, PHQ9_DIFFICULTY[0], "Not difficult at all")


def fill_goals(page):
    page.get_by_label("What would you like to change or explore in therapy?").fill(
        "Feel less stuck; get back to painting.")


def sign_consents(page, signed_name=CLIENT_NAME):
    names = page.get_by_label("Type your full name to sign")
    agrees = page.get_by_label("I have read and agree to")
    expect(names).to_have_count(3)
    for i in range(3):
        names.nth(i).fill(signed_name)
        agrees.nth(i).check()


def next_step(page, title):
    """Press Next (or "Review my answers" on the last step) and land on the step `title`."""
    last = page.get_by_role("button", name="Review my answers")
    press(page, "Review my answers" if last.count() else "Next")
    try:
        expect(heading(page)).to_have_text(title)
    except AssertionError as exc:
        errors = page.locator("p.error").all_inner_texts()
        raise AssertionError(f"did not reach {title!r}; errors shown: {errors}") from exc


# --- the journey ----------------------------------------------------------------------------
@pytest.fixture
def client_details():
    """The home page greets the client by name; no email may carry it."""
    return {"name": CLIENT_NAME}


@pytest.fixture
def client_account(therapist, client_user):
    """The client's id and email and their therapist's email: plain values, so no row is
    loaded later by accident."""
    values = {"id": client_user.id, "email": client_user.email, "therapist_email": therapist.email}
    settle()
    return values


def saved_answers(client_id, step):
    """What the server stored for a step (read in the test's app context, then let go)."""
    db.session.expire_all()
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client_id))
    answers = intake.answers(step) if intake else {}
    settle()
    return answers


def test_client_signed_out_by_idle_timeout_resumes_with_every_answer_and_submits(
        page, live_server, client_account, app):
    with time_machine.travel(utcnow(), tick=True) as server_clock:
        page.clock.install()
        sign_in(page, client_account["email"], DEFAULT_PASSWORD)
        expect(heading(page)).to_have_text(f"Hello, {CLIENT_NAME}")
        page.get_by_role("link", name="Start my intake").click()

        expect(heading(page)).to_have_text("About you")
        fill_about(page)
        next_step(page, "Mental-health history")
        fill_history(page)
        next_step(page, "Medical screening")
        fill_medical(page)
        next_step(page, "Psychiatric screening")
        fill_psychiatric(page)
        next_step(page, "Current medications")

        # Step 5: a medication typed, Next not pressed. The autosave sends it 3 s later.
        with page.expect_response(re.compile(r"/intake/medications/autosave$")) as autosave:
            type_medication(page)
            page.clock.run_for(3_100)
        assert autosave.value.status == 200
        expect(page.get_by_role("status").filter(has_text="Saved at")).to_be_visible()
        assert saved_answers(client_account["id"], "medications")["medications-0-name"] == MEDICATION

        # Away for 30 minutes: the page warns at 28, and at 30 goes to the sign-in screen itself.
        expect(page.locator("html")).to_have_attribute("data-idle-timer", "ready")
        page.clock.fast_forward("28:05")
        expect(page.get_by_role("dialog", name="Are you still there?")).to_be_visible()
        server_clock.shift(timedelta(minutes=30, seconds=30))
        page.clock.fast_forward("02:00")
        expect(page).to_have_url(re.compile(r"/auth/login\?next=(%2F|/)intake(%2F|/)medications$"))
        expect(heading(page)).to_have_text("Sign in")
        page.goto("/intake/medications")  # the server ended the session too
        expect(heading(page)).to_have_text("Sign in")

        # Back again: the intake resumes at step 5 with the typed medication.
        sign_in(page, client_account["email"], DEFAULT_PASSWORD)
        expect(heading(page)).to_have_text(f"Hello, {CLIENT_NAME}")
        page.get_by_role("link", name="Continue my intake").click()
        expect(heading(page)).to_have_text("Current medications")
        expect(page.get_by_label("Medication 1", exact=True)).to_have_value(MEDICATION)
        expect(page.get_by_label("Dose of medication 1", exact=True)).to_have_value("100 mg")
        answer_medication_questions(page)

        # Steps 1-4 kept their answers: go back to the start, then forward again.
        press(page, "Back")
        expect(heading(page)).to_have_text("Psychiatric screening")
        expect(page.get_by_role("group", name="Alcohol: when did you last drink?")
               .get_by_role("radio", name="In the past month")).to_be_checked()
        press(page, "Back")
        expect(heading(page)).to_have_text("Medical screening")
        expect(page.get_by_role("group", name="Do you know your usual blood pressure?")
               .get_by_role("radio", name="Yes", exact=True)).to_be_checked()
        expect(page.get_by_label("Top number (systolic)")).to_have_value("118")
        expect(page.get_by_label("Weight", exact=True)).to_have_value("160")
        press(page, "Back")
        expect(heading(page)).to_have_text("Mental-health history")
        expect(page.get_by_role("group", name="Are you seeing a therapist or counsellor now?")
               .get_by_role("radio", name="Yes", exact=True)).to_be_checked()
        press(page, "Back")
        expect(heading(page)).to_have_text("About you")
        expect(page.get_by_label("Date of birth")).to_have_value(DATE_OF_BIRTH)
        expect(page.get_by_label("Phone number", exact=True)).to_have_value("(555) 123-4567")
        expect(page.get_by_label("Time zone")).to_have_value("America/Los_Angeles")
        expect(page.get_by_label("Emergency contact: name")).to_have_value("Sam Quill")
        for title in ("Mental-health history", "Medical screening", "Psychiatric screening",
                      "Current medications"):
            next_step(page, title)
        expect(page.get_by_label("Medication 1", exact=True)).to_have_value(MEDICATION)
        expect(page.get_by_role("group", name="MAOI")
               .get_by_role("radio", name="No", exact=True)).to_be_checked()

        # Steps 5-8, the review, the final submit.
        next_step(page, "How you have been feeling")
        fill_measures(page)
        next_step(page, "Goals and intentions")
        fill_goals(page)
        next_step(page, "Consents")
        sign_consents(page)
        next_step(page, "Review your answers")

        about = page.get_by_role("region", name="About you")
        expect(about).to_contain_text(DATE_OF_BIRTH)
        expect(about).to_contain_text("Sam Quill")
        expect(page.get_by_role("region", name="Current medications")).to_contain_text(
            f"{MEDICATION}, 100 mg, Once a day")
        expect(page.get_by_role("region", name="Psychiatric screening")).to_contain_text(
            "In the past month")
        press(page, "Send my intake to my therapist")

        expect(heading(page)).to_have_text("Your intake")
        expect(page.get_by_role("status")).to_contain_text("Your intake is with your therapist")
        expect(page.get_by_role("heading", name="Ask for a change")).to_be_visible()
        expect(page.get_by_role("link", name=re.compile(r"^Change"))).to_have_count(0)
        expect(page.get_by_role("button", name="Send my intake to my therapist")).to_have_count(0)
        page.goto("/intake/about")  # read-only: the steps lead to the submitted intake
        expect(heading(page)).to_have_text("Your intake")

    db.session.expire_all()
    intake = db.session.scalar(select(Intake).where(Intake.client_id == client_account["id"]))
    assert intake.submitted and intake.submitted_at is not None
    assert intake.answers("about")["date_of_birth"] == DATE_OF_BIRTH
    results = db.session.scalars(select(MeasureResult).where(
        MeasureResult.client_id == client_account["id"])).all()
    assert sorted(r.instrument for r in results) == ["gad7", "phq9"]
    assert all(r.result["total"] == 0 for r in results)
    signatures = db.session.scalars(select(ConsentSignature).where(
        ConsentSignature.client_id == client_account["id"])).all()
    current = {doc.id: doc.kind for doc in ConsentDocument.current()}
    assert sorted(current[s.document_id] for s in signatures) == ["kap", "privacy", "telehealth"]
    assert {s.signed_name for s in signatures} == {CLIENT_NAME}
    settle()


def test_item9_answer_shows_crisis_page_and_emails_therapist_without_phi(
        page, live_server, client_account, mailbox):
    sign_in(page, client_account["email"], DEFAULT_PASSWORD)
    expect(heading(page)).to_have_text(f"Hello, {CLIENT_NAME}")
    page.goto("/intake/measures")
    expect(heading(page)).to_have_text("How you have been feeling")
    fill_measures(page, item9="Several days")
    press(page, "Next")

    expect(heading(page)).to_have_text("Help is available right now")
    main = page.get_by_role("main")
    for number in ("988", "741741", "911"):
        expect(main.get_by_role("link", name=number, exact=True)).to_be_visible()
    expect(main).to_contain_text("Your therapist has been notified")
    expect(main.get_by_role("link", name="I am safe right now: continue")).to_be_visible()

    emails = mailbox.to(client_account["therapist_email"])
    assert [m["Subject"] for m in emails] == ["A client needs your attention"]
    html = emails[0].get_body(preferencelist=("html",)).get_content()
    for text in (mailbox.text_of(emails[0]), html, emails[0]["Subject"]):
        lowered = text.lower()
        assert "please" in lowered or "attention" in lowered
        for secret in (CLIENT_NAME.lower(), "rowan", client_account["email"], "phq", "suicid",
                       "item", "self-harm", "hurting"):
            assert secret not in lowered, f"{secret!r} found in the therapist's email"
