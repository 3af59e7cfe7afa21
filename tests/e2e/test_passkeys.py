"""Passkeys in Chromium (issue 14, part 5), with the DevTools virtual authenticator standing in
for a phone: add one in settings, sign in with it as the second factor and without a password,
a cloned authenticator's counter refused, removal, and the practice's rule for clinicians.

WebAuthn needs a secure context: these tests open the live server as http://localhost, which
browsers treat as secure (http://127.0.0.1 would not do: an IP address cannot be an RP ID).
"""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.passkey import Passkey
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

AUTHENTICATOR = {"protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
                 "hasUserVerification": True, "isUserVerified": True}


@pytest.fixture
def live_server(live_server, app):
    """The same server, addressed as localhost (a secure context without TLS)."""
    url = live_server.replace("://127.0.0.1:", "://localhost:")
    app.config["BASE_URL"] = url
    return url


class Device:
    """A virtual authenticator attached to one page (one phone with its passkeys)."""

    def __init__(self, context, page):
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable")
        self.id = self.cdp.send("WebAuthn.addVirtualAuthenticator",
                                {"options": AUTHENTICATOR})["authenticatorId"]

    def credentials(self):
        return self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"]

    def add(self, credential):
        self.cdp.send("WebAuthn.addCredential", {"authenticatorId": self.id,
                                                 "credential": credential})


def audited(event):
    """(actor id, detail) of each `event`, read in a transaction that is over on return (a row
    object would open another one, holding SQLite's write lock, when read after it)."""
    rows = [(r.actor_id, r.detail) for r in db.session.scalars(
        select(AuditEvent).where(AuditEvent.event == event).order_by(AuditEvent.id))]
    settle()
    return rows


def stored_passkeys(user):
    rows = db.session.scalars(select(Passkey).where(Passkey.user_id == user.id)).all()
    result = [(p.name, p.sign_count) for p in rows]
    settle()
    return result


def add_passkey(page, name="My laptop"):
    page.goto("/account/passkeys")
    page.get_by_label("Name for this passkey").fill(name)
    page.get_by_label("Current password").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_role("heading", level=3, name=name)).to_be_visible()
    expect(page.locator(".flash-success")).to_contain_text("is added")


def sign_out(page):
    page.get_by_role("button", name="Sign out").first.click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))


def passwordless(page):
    settle()
    page.goto("/auth/login")
    page.get_by_role("button", name="Use a passkey").click()


def test_a_therapist_adds_a_passkey_and_uses_it_as_the_second_factor(context, page, therapist):
    therapist_id = therapist.id
    device = Device(context, page)
    sign_in(page, therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    expect(page).to_have_url(re.compile(r"/therapist/dashboard$"))
    add_passkey(page)
    assert_accessible(page)
    assert len(device.credentials()) == 1
    [(name, count)] = stored_passkeys(therapist)
    assert name == "My laptop"

    sign_out(page)
    sign_in(page, therapist.email, DEFAULT_PASSWORD)
    expect(page).to_have_url(re.compile(r"/auth/mfa$"))
    expect(page.get_by_role("button", name="Use my passkey")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Use my passkey").click()
    expect(page).to_have_url(re.compile(r"/therapist/dashboard$"))
    assert audited("mfa_success")[-1] == (therapist_id, "passkey")
    assert stored_passkeys(therapist)[0][1] > count  # the counter moved on


def test_a_client_signs_in_with_a_passkey_without_a_password(context, page, client_user):
    client_id = client_user.id
    Device(context, page)
    sign_in(page, client_user.email, DEFAULT_PASSWORD)
    add_passkey(page, "My phone")
    sign_out(page)

    passwordless(page)
    expect(page).to_have_url(re.compile(r"/home$"))
    assert audited("login_success")[-1] == (client_id, "passkey")


def test_a_cloned_authenticators_counter_is_refused(browser, context, page, client_user,
                                                    new_context):
    client_id = client_user.id
    device = Device(context, page)
    sign_in(page, client_user.email, DEFAULT_PASSWORD)
    add_passkey(page, "My phone")
    sign_out(page)
    passwordless(page)  # the server has now seen the counter move on
    expect(page).to_have_url(re.compile(r"/home$"))
    [original] = device.credentials()
    assert original["signCount"] >= 1

    # Someone copied the key to another device, whose counter starts again from zero.
    other_context = new_context()
    other = other_context.new_page()
    Device(other_context, other).add({**original, "signCount": 0})
    passwordless(other)
    expect(other.locator("[data-passkey-status]")).to_contain_text("That passkey did not work")
    expect(other).to_have_url(re.compile(r"/auth/login$"))
    assert audited("passkey_clone_suspected")
    assert audited("login_failure")[-1] == (client_id, "passkey_counter_not_increased")

    # The genuine device goes on signing in.
    sign_out(page)
    passwordless(page)
    expect(page).to_have_url(re.compile(r"/home$"))


def test_a_removed_passkey_no_longer_signs_in(context, page, client_user):
    Device(context, page)
    sign_in(page, client_user.email, DEFAULT_PASSWORD)
    add_passkey(page, "Old phone")
    page.locator("summary", has_text="Remove").click()  # opens the form
    page.get_by_label("Current password, to remove “Old phone”").fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name=re.compile("Remove this passkey")).click()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    assert stored_passkeys(client_user) == []
    assert audited("passkey_removed")

    sign_out(page)
    passwordless(page)  # the device still holds the key; the portal no longer knows it
    expect(page.locator("[data-passkey-status]")).to_contain_text("That passkey did not work")
    expect(page).to_have_url(re.compile(r"/auth/login$"))


@pytest.mark.parametrize("app_config", [{"REQUIRE_CLINICIAN_PASSKEYS": True}])
def test_the_practice_rule_sends_a_clinician_to_add_a_passkey_first(context, page, therapist):
    Device(context, page)
    sign_in(page, therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)
    expect(page).to_have_url(re.compile(r"/auth/passkey/setup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey to continue")
    assert_accessible(page)
    page.goto("/therapist/clients")
    expect(page).to_have_url(re.compile(r"/auth/passkey/setup$"))

    page.get_by_label("Name for this passkey").fill("Work phone")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator(".flash-success")).to_contain_text("Your passkey is added")
    page.goto("/therapist/clients")
    expect(page).to_have_url(re.compile(r"/therapist/clients$"))


def test_the_passkey_pages_fit_a_phone_screen(new_context, client_user):
    context = new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    Device(context, page)
    sign_in(page, client_user.email, DEFAULT_PASSWORD)
    add_passkey(page, "A phone with a rather long name to wrap")
    for path in ("/account/passkeys", "/account"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
    sign_out(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.get_by_role("button", name="Use a passkey")).to_be_visible()
