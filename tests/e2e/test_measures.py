"""Measurement-based care in Chromium: the client's PCL-5, the C-SSRS screener a page at a time,
their own trend chart at /my-scores, and the therapist's scores page with the schedule form.
axe finds no serious or critical violation on each, desktop and 390 px wide (no sideways
scroll at 390 px). SCREENSHOTS=1 writes docs/screenshots/client-trend.png."""
import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from portal.core.time import utcnow
from portal.extensions import db
from portal.models.measure import MeasureResult
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "client-trend.png"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
ZONE = "America/New_York"
# A client getting better over three months of care: PHQ-9, GAD-7 and PCL-5 totals.
HISTORY = {"phq9": [19, 16, 12, 9, 6, 4], "gad7": [15, 13, 11, 8, 6, 5],
           "pcl5": [52, 47, 40, 33, 27, 22]}


class People:
    """Plain values of what the fixture built."""


@pytest.fixture
def people(app, factories):
    therapist = factories.make_therapist(name="Robin Hart", timezone=ZONE)
    jordan = factories.make_client(therapist, name="Jordan Lee", timezone=ZONE)
    start = utcnow() - timedelta(days=90)
    for instrument, totals in HISTORY.items():
        for n, total in enumerate(totals):
            db.session.add(MeasureResult(
                client_id=jordan.id, instrument=instrument, source="checkin",
                taken_at=start + timedelta(days=18 * n, hours=2),
                result={"items": [], "total": total, "band": _band(instrument, total),
                        "item9_positive": False}))
    db.session.commit()
    p = People()
    p.therapist, p.totp, p.client, p.client_id = (therapist.email, therapist.totp_secret,
                                                  jordan.email, jordan.id)
    settle()
    return p


def _band(instrument, total):
    from portal.core.measures import band_for
    return band_for(instrument, total)


def as_client(new_context, people, viewport):
    page = new_context(viewport=viewport).new_page()
    sign_in(page, people.client, DEFAULT_PASSWORD)
    return page


def no_sideways_scroll(page, viewport):
    if viewport == PHONE:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390px"])
def test_the_clients_trend_chart_is_accessible(new_context, people, viewport):
    page = as_client(new_context, people, viewport)
    page.goto("/my-scores")
    expect(page.get_by_role("heading", level=1)).to_have_text("My scores over time")
    chart = page.get_by_role("img", name="PHQ-9 scores over time")
    expect(chart).to_be_visible()
    expect(page.locator("#mine-phq9-change")).to_contain_text("a response")
    expect(page.locator("#mine-phq9-change")).to_contain_text("In remission")
    expect(page.locator("#mine-pcl5-change")).to_contain_text("defines no remission")
    assert_accessible(page)
    no_sideways_scroll(page, viewport)
    if viewport == DESKTOP and os.environ.get("SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390px"])
def test_the_pcl5_page_is_accessible_with_and_without_errors(new_context, people, viewport):
    page = as_client(new_context, people, viewport)
    page.goto("/checkins/pcl5")
    assert_accessible(page)
    page.get_by_role("button", name="Send my answers").click()
    expect(page.locator("#pcl5_1-error")).to_be_visible()
    assert_accessible(page)
    no_sideways_scroll(page, viewport)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390px"])
def test_the_screener_asks_a_page_at_a_time_and_is_accessible(new_context, people, viewport):
    page = as_client(new_context, people, viewport)
    page.goto("/checkins/cssrs")
    assert_accessible(page)
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#q1-error")).to_be_visible()
    assert_accessible(page)
    page.locator("#q1").get_by_label("No").check()
    page.locator("#q2").get_by_label("Yes").check()
    page.get_by_role("button", name="Continue").click()
    expect(page.locator("#q3")).to_be_visible()
    expect(page.locator("#q6")).to_be_visible()
    expect(page.locator("#q1")).to_have_count(0)
    assert_accessible(page)
    no_sideways_scroll(page, viewport)
    for key in ("q3", "q4", "q5", "q6"):
        page.locator(f"#{key}").get_by_label("No").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page).to_have_url(re.compile(r"/my-scores$"))


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390px"])
def test_the_therapists_scores_page_with_the_schedule_is_accessible(new_context, people,
                                                                    viewport):
    page = new_context(viewport=viewport).new_page()
    sign_in(page, people.therapist, DEFAULT_PASSWORD, people.totp)
    expect(page).to_have_url(re.compile(r"/therapist/dashboard$"))
    page.goto(f"/therapist/clients/{people.client_id}/measures")
    assert_accessible(page)
    page.get_by_label("PCL-5 (after a very stressful experience)").check()
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.locator("#every_days-error")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Every how many days").fill("14")
    page.get_by_role("button", name="Save the schedule").click()
    expect(page.locator(".flash-success")).to_contain_text("The schedule is saved.")
    assert_accessible(page)
    page.goto(f"/therapist/clients/{people.client_id}")
    expect(page.locator("#client-phq9-change")).to_contain_text("a response")
    assert_accessible(page)
