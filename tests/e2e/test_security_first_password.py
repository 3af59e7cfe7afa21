"""A clinician whose password an admin set, in Chromium: enrol the authenticator, then choose
their own password before anything else opens (issue 14, part 1)."""
import re

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e


def test_admin_set_password_is_replaced_after_two_step_set_up(page, live_server, factories):
    therapist = factories.make_therapist(with_totp=False, must_change_password=True)
    sign_in(page, therapist.email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/auth/mfa/setup$"))
    key = page.locator("#totp-key").inner_text().replace(" ", "")
    page.get_by_label("6-digit code from your app").fill(pyotp.TOTP(key).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    page.get_by_role("link", name=re.compile("continue", re.I)).click()

    expect(page).to_have_url(re.compile(r"/auth/password/choose$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Choose your own password")
    assert_accessible(page)
    page.goto("/therapist/dashboard")
    expect(page).to_have_url(re.compile(r"/auth/password/choose$"))

    page.get_by_label("New password", exact=True).fill("harbor-willow-saffron-73")
    page.get_by_label("Type the new password again").fill("harbor-willow-saffron-73")
    page.get_by_role("button", name="Save my password").click()
    expect(page).to_have_url(re.compile(r"/therapist/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
