"""Acceptance 6: in Chromium, a client in Sydney books a preparation session from the times shown
in their own zone; their therapist in New York signs in (with TOTP) and finds it on the week
calendar at the right New York time. Every displayed time is checked against zoneinfo.
"""
import re
from datetime import time
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.schedule import Appointment
from tests.e2e.conftest import settle, sign_in
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import EVERY_DAY, complete_consultation, make_eligible, weekly_hours

pytestmark = pytest.mark.e2e

NEW_YORK, SYDNEY = "America/New_York", "Australia/Sydney"


def clock(instant, zone):
    """"3:30 AM AEDT": a time as the slot buttons and the calendar show it."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local.strftime('%-I:%M %p')} {local.tzname()}"


def full(instant, zone):
    """"Sat 28 Nov 2026, 3:30 AM AEDT": a time as the confirm and sessions pages show it."""
    local = instant.astimezone(ZoneInfo(zone))
    return f"{local.strftime('%a %d %b %Y, %-I:%M %p')} {local.tzname()}"


@pytest.fixture
def practice(factories):
    therapist = factories.make_therapist(timezone=NEW_YORK, name="Dr Morgan Lee")
    weekly_hours(therapist, time(9), time(17), days=EVERY_DAY)
    client = make_eligible(factories.make_client(therapist, timezone=SYDNEY, name="Robin Ash"))
    complete_consultation(client)  # preparation sessions open after the consultation
    settle()
    return therapist, client


def test_a_client_in_sydney_books_and_the_therapist_in_new_york_sees_it(
        page, new_context, live_server, practice):
    therapist, client = practice
    sign_in(page, client.email, DEFAULT_PASSWORD)
    page.get_by_role("link", name="Book a session").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book a session")
    page.get_by_role("link", name="Choose a time for a preparation session").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose a time: Preparation session")
    expect(page.locator(".lead")).to_contain_text("Australia/Sydney")

    slot = page.locator("a.slot").first
    start = parse_qs(urlsplit(slot.get_attribute("href")).query)["start"][0]
    from datetime import datetime
    start = datetime.fromisoformat(start)
    local = start.astimezone(ZoneInfo(SYDNEY))
    expect(slot).to_have_text(f"{local.strftime('%A %-d %B')}, {clock(start, SYDNEY)}")
    day_heading = page.locator(f"#day-{local.date().isoformat()}")
    expect(day_heading).to_have_text(local.strftime("%A %-d %B"))
    slot.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your booking")
    expect(page.locator(".time-yours")).to_contain_text(full(start, SYDNEY))
    expect(page.locator(".time-theirs")).to_contain_text(full(start, NEW_YORK))
    page.get_by_role("button", name="Book this session").click()
    expect(page).to_have_url(re.compile(r"/appointments$"))
    expect(page.get_by_text("is booked")).to_be_visible()
    session = page.locator("article.appt").filter(has_text="Preparation session")
    expect(session).to_contain_text(full(start, SYDNEY))

    db.session.expire_all()
    [appointment] = db.session.scalars(select(Appointment).where(
        Appointment.client_id == client.id,
        Appointment.kind == SessionKind.PREPARATION.value)).all()
    assert appointment.starts_at == start and appointment.kind == SessionKind.PREPARATION.value
    settle()

    therapist_page = new_context().new_page()
    sign_in(therapist_page, therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    therapist_page.get_by_role("link", name="Calendar").click()
    expect(therapist_page.get_by_role("heading", level=1)).to_have_text("Your week")
    there = start.astimezone(ZoneInfo(NEW_YORK))
    day = therapist_page.locator(f"section#day-{there.date().isoformat()}, "
                                 f"section[aria-labelledby='day-{there.date().isoformat()}']")
    expect(day.get_by_role("heading", level=2)).to_contain_text(there.strftime("%A %-d %B"))
    entry = day.locator("li.appt").filter(has_text="Robin Ash")
    expect(entry).to_contain_text(clock(start, NEW_YORK))
    expect(entry).to_contain_text("Preparation session")
    expect(entry).to_contain_text("Booked")
