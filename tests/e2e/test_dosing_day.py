"""A dosing day in Chromium, on a tablet (1024 x 768) beside the client: the readiness concern,
a pre-dose blood pressure above the gate refused, an override with a reason, the 40-minute check
shown overdue once the page's clock is moved on 41 minutes (Playwright's page.clock; the idle
warning at 28 minutes is answered like a person would), the +40 reading above the gate
highlighted, the discharge checklist, signing refused until complete, then signed.

axe finds no serious or critical violation on the record (draft with errors, signed with an
addendum, printable) at desktop width and at 390 px, where nothing overflows sideways.
SCREENSHOTS=1 writes docs/screenshots/dosing-day.png from the tablet run.
"""
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.core.time import utcnow
from portal.dosing.rules import when
from portal.dosing.services_readiness import raise_concern
from portal.extensions import db
from portal.models.dosing import DosingAddendum, DosingRecord
from portal.models.schedule import DosingReadiness
from tests.dosing_helpers import ZONE, dosing_session, record_of
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import hhmm

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "dosing-day.png"
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
ANSWERS = {"fasting": "yes", "ride_arranged": "no", "ride_who": "",
           "no_alcohol_benzos": "yes", "notes": "A little nervous about the music."}


class Day:
    """Plain values of what the fixture built (the browser comes next)."""


@pytest.fixture
def day(app, factories):
    """Jordan's in-person dosing session began ten minutes ago; she answered the readiness
    questions without a ride home, which raised a concern."""
    therapist = factories.make_therapist(name="Robin Hart", timezone=ZONE)
    jordan = factories.make_client(therapist, name="Jordan Lee", timezone=ZONE)
    session = dosing_session(jordan)
    db.session.add(DosingReadiness(appointment_id=session.id, answers=ANSWERS))
    raise_concern(session, ANSWERS, utcnow())
    db.session.commit()
    d = Day()
    d.email, d.totp, d.id, d.session = therapist.email, therapist.totp_secret, session.id, session
    settle()
    return d


def open_record(new_context, day, viewport, clock=False):
    page = new_context(viewport=viewport).new_page()
    if clock:
        page.clock.install()  # the page's clock, under the test's control from now on
    sign_in(page, day.email, DEFAULT_PASSWORD, day.totp)
    expect(page).to_have_url(re.compile(r"/therapist/dashboard$"))
    page.goto(f"/therapist/dosing/{day.id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jordan Lee")
    return page


def add_reading(page, systolic, diastolic, at=None):
    form = page.locator("#vitals form")
    if at:
        form.get_by_label("Time taken").fill(at)
    form.get_by_label("Systolic blood pressure (upper number)").fill(str(systolic))
    form.get_by_label("Diastolic blood pressure (lower number)").fill(str(diastolic))
    form.get_by_label("Heart rate").fill("84")
    form.get_by_label("Oxygen saturation (SpO₂)").fill("98")
    form.get_by_role("button", name="Add reading").click()
    expect(page.locator(".flash-success")).to_contain_text("Reading added.")


def fill_dose(page):
    form = page.locator("#dose form").last
    form.get_by_label("Dose", exact=True).fill("56 mg")
    form.get_by_label("Route").select_option("intranasal")
    form.get_by_label("Prescriber").fill("Dr. Ada Rivera")
    form.get_by_role("button", name="Record the dose").click()


def test_a_dosing_day_on_a_tablet(new_context, day):
    page = open_record(new_context, day, TABLET, clock=True)
    readiness = page.locator("#readiness")
    expect(readiness).to_contain_text("Before the dosing session: no ride home arranged")
    expect(readiness).to_contain_text("Not arranged yet")

    # A pre-dose blood pressure above 140/90: the dose is refused.
    add_reading(page, 152, 96)
    expect(page.locator("#vitals table")).to_contain_text("152/96")
    fill_dose(page)
    expect(page.locator("#dose-refused")).to_contain_text("The dose was not recorded.")
    expect(page.locator("#dose-refused")).to_contain_text("above the practice's limit of 140/90")
    expect(page.locator("#dose form").last.get_by_label("Dose", exact=True)).to_have_value("56 mg")

    # The override, with its reason; then the dose goes in.
    page.get_by_label("Clinical reason for dosing above the limit").fill(
        "Repeat reading after 10 minutes of rest; prescriber consulted and agrees.")
    page.get_by_role("button", name="Record the override").click()
    expect(page.locator("#dose")).to_contain_text("Override recorded")
    fill_dose(page)
    expect(page.locator(".flash-success")).to_contain_text("Dose recorded.")
    plus40 = page.locator('li[data-check="plus_40"]')
    expect(plus40.locator(".check-badge")).to_have_text("Upcoming")

    # 41 minutes later on the page's clock: the 40-minute check is overdue.
    page.clock.fast_forward("28:05")
    expect(page.locator("#session-warning")).to_be_visible()
    page.get_by_role("button", name="Stay signed in").click()
    expect(page.locator("#session-warning")).to_be_hidden()
    page.clock.fast_forward("12:55")
    expect(plus40.locator(".check-badge")).to_have_text("Overdue")
    expect(plus40).to_have_class(re.compile(r"\bcheck-overdue\b"))
    expect(plus40.locator(".check-countdown")).to_contain_text("overdue")
    expect(page.locator("#check-live")).to_contain_text("40 minutes after the dose: Overdue.")

    # The +40 reading, still above the gate: highlighted.
    given = record_of(day.session).dose["given_at"]
    settle()
    add_reading(page, 150, 94, at=hhmm(when(given) + timedelta(minutes=41), ZONE))
    expect(plus40).to_have_class(re.compile(r"\bcheck-high\b"))
    expect(plus40).to_contain_text("Above the 140/90 limit")
    expect(page.locator("#vitals tr.reading-high")).to_have_count(2)

    # Monitor and observations; signing is refused while the discharge checklist is open.
    page.get_by_label("Monitor or chaperone").fill("Kim Park, RN")
    page.get_by_role("button", name="Save monitor").click()
    page.get_by_label("Nausea").check()
    page.get_by_label("Dissociation or intensity, 0 to 10").select_option("6")
    page.get_by_role("button", name="Save observations").click()
    page.get_by_role("button", name="Sign and lock the record").click()
    refused = page.locator("#sign-refused")
    expect(refused).to_contain_text("The record was not signed.")
    expect(refused).to_contain_text("Discharge: the driver's name")
    expect(refused).not_to_contain_text("The name of the monitor")

    # The discharge checklist, then the signature.
    checklist = page.locator("#discharge")
    checklist.get_by_label("Alert and oriented").check()
    checklist.get_by_label("Vital signs back within range").check()
    checklist.get_by_label("Ride home confirmed").check()
    checklist.get_by_label("Driver's name").fill("Sam Lee (sister)")
    checklist.get_by_label("Booked").check()
    checklist.get_by_role("button", name="Save checklist").click()
    expect(page.locator(".flash-success")).to_contain_text("Discharge checklist saved.")
    expect(page.locator("#signature")).to_contain_text("Everything required is recorded.")
    if os.environ.get("SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)
    page.get_by_role("button", name="Sign and lock the record").click()
    expect(page.locator("#signature")).to_contain_text("Signed and locked")
    expect(page.locator("#addenda")).to_be_visible()
    expect(page.get_by_role("button", name="Add reading")).to_have_count(0)
    assert record_of(day.session).signed


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "390px"])
def test_the_dosing_record_is_accessible(new_context, day, viewport):
    page = open_record(new_context, day, viewport or {"width": 1280, "height": 900})
    assert_accessible(page)  # empty record, open readiness concern
    page.locator("#readiness summary").click()
    add_reading(page, 152, 96)
    fill_dose(page)  # refused: above the gate
    expect(page.locator("#dose-refused")).to_be_visible()
    assert_accessible(page)
    page.locator("#dose form").last.get_by_label("Prescriber").fill("")
    page.get_by_role("button", name="Record the dose").click()  # a field with its error
    expect(page.locator("#prescriber-error")).to_be_visible()
    page.get_by_role("button", name="Sign and lock the record").click()
    expect(page.locator("#sign-refused")).to_be_visible()
    assert_accessible(page)
    if viewport == PHONE:
        wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > 391)
            .map(e => `${e.tagName}.${e.className}#${e.id}`).slice(0, 15)""")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], wide
    page.goto(f"/therapist/dosing/{day.id}/print")
    expect(page.get_by_role("heading", level=1)).to_have_text("Jordan Lee")
    assert_accessible(page)


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "390px"])
def test_a_signed_record_with_an_addendum_is_accessible(new_context, day, viewport):
    record = DosingRecord(appointment_id=day.id, vitals=[], status="signed",
                          signed_at=utcnow(), monitor_name="Kim Park, RN")
    db.session.add(record)
    db.session.flush()
    db.session.add(DosingAddendum(record_id=record.id, text="Called at 6 pm: home safely."))
    settle()
    page = open_record(new_context, day, viewport)
    expect(page.locator("#addenda")).to_contain_text("home safely")
    assert_accessible(page)
