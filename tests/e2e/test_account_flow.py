"""Acceptance 1: a new client registers, confirms the email, signs in and out, in Chromium.

Everything goes through the real pages; the confirmation link is read from the loopback SMTP
server the app sends to.
"""
import re

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models.user import User
from tests.e2e.conftest import settle, sign_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "quiet-meadow-copper-kettle-41"


def stored_timezone(email):
    zone = db.session.scalar(db.select(User.timezone).where(User.email == email))
    settle()
    return zone


def test_new_client_registers_confirms_email_signs_in_and_out(page, live_server, mailbox):
    page.goto("/")
    page.get_by_role("link", name="Create an account").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")

    page.get_by_label("Your name").fill("Robin Example")
    page.get_by_label("Email address").fill("Robin@Example.com")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    page.get_by_label("Your time zone").select_option("Pacific/Honolulu")
    page.get_by_role("button", name="Create my account").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(page.get_by_text("robin@example.com")).to_be_visible()

    link = mailbox.last_link("robin@example.com")
    assert link.startswith(f"{live_server}/auth/verify/"), link
    page.goto(link)
    page.get_by_role("button", name="Confirm my email").click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.get_by_role("status")).to_contain_text("your email is confirmed")

    sign_in(page, "robin@example.com", NEW_PASSWORD)
    expect(page).to_have_url(re.compile(r"/home$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Robin Example")
    assert stored_timezone("robin@example.com") == "Pacific/Honolulu"

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/auth/login$"))
    expect(page.get_by_role("status")).to_contain_text("You are signed out")

    page.go_back()  # the signed-in page: not kept by the browser (no-store), not served again
    expect(page).to_have_url(re.compile(r"/auth/login\?next=(%2F|/)home$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("Hello, Robin Example")).to_have_count(0)

    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/auth/login\?next=(%2F|/)home$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")


def test_unconfirmed_client_cannot_sign_in(page, live_server, mailbox):
    page.goto("/auth/register")
    page.get_by_label("Your name").fill("Sam Unconfirmed")
    page.get_by_label("Email address").fill("sam@example.com")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Type the password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")

    sign_in(page, "sam@example.com", NEW_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Please confirm your email first")
    page.goto("/home")
    expect(page).to_have_url(re.compile(r"/auth/login"))


def test_therapist_signs_in_with_authenticator_code_and_sees_clients(page, live_server, factories):
    therapist = factories.make_therapist()
    factories.make_client(therapist=therapist, name="Casey Client")

    sign_in(page, therapist.email, DEFAULT_PASSWORD, totp_secret=therapist.totp_secret)

    expect(page).to_have_url(re.compile(r"/therapist/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    page.get_by_role("link", name="Clients", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your clients")
    expect(page.get_by_role("link", name="Casey Client", exact=True)).to_be_visible()
