"""Acceptance 8 for scheduling: no serious or critical axe-core violations on the booking pages
(choose a type, a week of times, confirm), my sessions, and the therapist's calendar, working
hours and session types, each with real content on it (and the forms with errors shown).
"""
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.schedule import DosingReadiness
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import (
    EVERY_DAY,
    complete_consultation,
    complete_preparation,
    make_appointment,
    make_eligible,
    open_item9_flag,
    session_type,
    weekly_hours,
)

pytestmark = pytest.mark.e2e


def hours_from_now(hours):
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(minute=0, second=0,
                                                                microsecond=0)


@pytest.fixture
def practice(factories):
    """A therapist with hours every day; an eligible client with a video session soon, a dosing
    session tomorrow (readiness answered) and a completed preparation session."""
    therapist = factories.make_therapist(timezone="America/New_York", name="Dr Morgan Lee")
    weekly_hours(therapist, time(9), time(17), days=EVERY_DAY)
    client = make_eligible(factories.make_client(therapist, timezone="Australia/Sydney",
                                                 name="Robin Ash"))
    complete_consultation(client)
    complete_preparation(client)
    make_appointment(client, session_type(therapist, SessionKind.PREPARATION),
                     hours_from_now(2))
    dosing = make_appointment(client, session_type(therapist, SessionKind.DOSING),
                              hours_from_now(26))
    db.session.add(DosingReadiness(appointment_id=dosing.id, answers={
        "fasting": "yes", "ride_arranged": "yes", "ride_who": "Sam, my partner",
        "no_alcohol_benzos": "no", "notes": "A little nervous."}))
    make_appointment(client, session_type(therapist, SessionKind.INTEGRATION),
                     hours_from_now(100))
    settle()
    return therapist, client


def test_the_client_booking_pages_are_accessible(page, live_server, practice):
    therapist, client = practice
    open_item9_flag(client)  # a gated type shows its reason on /book
    settle()
    sign_in(page, client.email, DEFAULT_PASSWORD)
    page.goto("/book")
    # dosing (the item-9 flag) and integration (no dosing yet) show their reasons
    expect(page.get_by_text("Not available yet").first).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Choose a time for a preparation session").click()
    expect(page.locator("a.slot").first).to_be_visible()
    assert_accessible(page)

    page.locator("a.slot").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your booking")
    assert_accessible(page)

    page.goto("/appointments")
    expect(page.get_by_role("heading", level=1)).to_have_text("My sessions")
    expect(page.get_by_role("button", name="Join").first).to_be_disabled()
    assert_accessible(page)


def test_the_readiness_and_cancel_pages_are_accessible(page, live_server, practice):
    therapist, client = practice
    sign_in(page, client.email, DEFAULT_PASSWORD)
    page.goto("/appointments")
    page.get_by_role("link", name="Change my answers to the dosing-day questions").click()
    page.get_by_role("group", name="Have you arranged a ride home?").get_by_label("Yes").check()
    page.get_by_label("Who is taking you home?").fill("")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Please check")
    assert_accessible(page)

    page.goto("/appointments")
    page.get_by_role("link", name=re.compile(r"^Cancel Integration session")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this session?")
    assert_accessible(page)


def test_the_therapist_pages_are_accessible(page, live_server, practice):
    therapist, client = practice
    open_item9_flag(client)  # the calendar shows the flag next to the client
    settle()
    sign_in(page, therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    page.goto("/therapist/calendar")
    expect(page.get_by_text("Sam, my partner")).to_be_visible()
    expect(page.get_by_role("link", name="Open safety flag").first).to_be_visible()
    assert_accessible(page)

    page.goto("/therapist/availability")
    expect(page.get_by_role("heading", level=1)).to_have_text("Working hours")
    assert_accessible(page)
    page.get_by_label("Day", exact=True).select_option("Monday")
    page.get_by_label("From").first.fill("16:00")
    page.get_by_label("Until").first.fill("18:00")
    page.get_by_role("button", name="Add these hours").click()
    expect(page.get_by_text("This overlaps your hours on Mondays")).to_be_visible()
    assert_accessible(page)

    page.goto("/therapist/session-types")
    expect(page.get_by_role("heading", level=1)).to_have_text("Session types")
    assert_accessible(page)
