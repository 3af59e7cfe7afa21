"""Issue 13, parts 1 and 2, in Chromium: the therapist books a session for their client by
keyboard (a gate overridden with a reason, the error shown next to the field first), the intake
review's confirmation naming the open flags, and the client's home with the review's outcome.
No serious or critical axe-core violations on each page, at desktop width and at 390 px.
"""
import re
from datetime import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.schedule import Appointment, BookingOverride
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import EVERY_DAY, make_eligible, weekly_hours
from tests.test_therapist_review import fill_intake

pytestmark = pytest.mark.e2e

WIDTHS = [{"width": 1280, "height": 900}, {"width": 390, "height": 844}]
REASON = "Consultation held by phone on 1 December."


def accessible_at_every_width(page):
    for size in WIDTHS:
        page.set_viewport_size(size)
        assert_accessible(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= size["width"] + 1, size


@pytest.fixture
def practice(factories):
    therapist = factories.make_therapist(timezone="America/New_York", name="Dr Morgan Lee")
    weekly_hours(therapist, time(9), time(17), days=EVERY_DAY)
    client = make_eligible(factories.make_client(therapist, timezone="Australia/Sydney",
                                                 name="Robin Ash"))
    settle()
    return therapist, client


def test_the_therapist_books_for_a_client_with_a_reason_by_keyboard(page, live_server, practice):
    therapist, client = practice
    client_id = client.id
    sign_in(page, therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    page.goto(f"/therapist/clients/{client_id}")
    page.get_by_role("link", name="Book a session for Robin Ash").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a session for Robin Ash")
    expect(page.get_by_text("Needs your reason").first).to_be_visible()
    accessible_at_every_width(page)

    page.get_by_role("link", name="Choose a time for a preparation session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a time: Preparation session")
    accessible_at_every_width(page)

    page.locator("a.slot").first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the booking")
    page.get_by_role("button", name="Book for Robin Ash").press("Enter")
    error = page.locator("#override_reason-error")
    expect(error).to_contain_text("Please give your reason")
    expect(page.get_by_label("Your reason for booking it anyway")).to_have_attribute(
        "aria-invalid", "true")
    accessible_at_every_width(page)

    page.get_by_label("Your reason for booking it anyway").fill(REASON)
    page.get_by_role("button", name="Book for Robin Ash").press("Enter")
    expect(page).to_have_url(re.compile(rf"/therapist/clients/{client_id}#appointments$"))
    expect(page.get_by_text("Preparation session booked for Robin Ash")).to_be_visible()

    db.session.expire_all()
    [booked] = db.session.scalars(select(Appointment).where(
        Appointment.client_id == client_id, Appointment.kind == SessionKind.PREPARATION.value))
    assert db.session.scalar(select(BookingOverride.reason).where(
        BookingOverride.appointment_id == booked.id)) == REASON
    settle()


def test_the_review_confirmation_and_the_client_outcome_are_accessible(page, new_context,
                                                                      live_server, factories):
    therapist = factories.make_therapist(name="Dr Morgan Lee")
    client = factories.make_client(therapist, name="Alex Rivera")
    fill_intake(client)  # an exclusion and a clearance flag are open
    client_id, client_email = client.id, client.email
    settle()
    sign_in(page, therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    page.goto(f"/therapist/clients/{client_id}/intake")
    page.get_by_label("Eligible for ketamine-assisted therapy").check()
    page.get_by_label("Note for the client").fill("Welcome aboard: book your first session.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.locator("#confirm_flags-error")).to_contain_text("still open")
    accessible_at_every_width(page)

    page.get_by_label(re.compile("I record “Eligible” with these flags open")).check()
    page.get_by_label("Why “Eligible” with these flags open").fill("Cleared by her GP today.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded")).to_be_visible()

    client_page = new_context().new_page()
    sign_in(client_page, client_email, DEFAULT_PASSWORD)
    client_page.goto("/home")
    outcome = client_page.locator("#review-outcome")
    expect(outcome).to_contain_text("You can go ahead with ketamine-assisted therapy")
    expect(outcome).to_contain_text("Welcome aboard")
    accessible_at_every_width(client_page)
