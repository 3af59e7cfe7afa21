"""A message thread in Chromium, two people in two browser contexts: the client writes, the
therapist is notified (an email without content, the unread badge in the nav) and replies, and
the client sees the unread badge. axe finds no serious or critical violation on the messages
pages at desktop width and at 390 px, where nothing overflows sideways."""
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_accessibility import assert_accessible
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class Person:
    """Plain values (no database rows: reading one would hold SQLite's lock against the
    server)."""

    def __init__(self, user):
        self.email, self.totp_secret = user.email, getattr(user, "totp_secret", None)


@pytest.fixture
def people(factories):
    therapist = factories.make_therapist(name="Robin Hart")
    client = factories.make_client(therapist, name="Jordan Lee")
    found = Person(therapist), Person(client)
    settle()
    return found


def badge(page):
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(
        r"^Messages"))


def test_a_message_thread_client_writes_therapist_is_notified_and_replies(new_context, people,
                                                                          mailbox):
    therapist, client = people
    patient = new_context(viewport=DESKTOP).new_page()
    sign_in(patient, client.email, DEFAULT_PASSWORD, client.totp_secret)
    clinician = new_context(viewport=DESKTOP).new_page()
    sign_in(clinician, therapist.email, DEFAULT_PASSWORD, therapist.totp_secret)
    expect(clinician).to_have_url(re.compile(r"/therapist/dashboard$"))
    expect(badge(clinician)).to_have_text("Messages")

    patient.goto("/messages")
    expect(patient.get_by_text("Messages are not for emergencies.")).to_be_visible()
    patient.get_by_label("Subject").fill("After Tuesday")
    patient.get_by_label("Message", exact=True).fill("I keep thinking about the music.")
    patient.get_by_role("button", name="Send message").click()
    expect(patient.get_by_text("Your message was sent.")).to_be_visible()

    [notice] = mailbox.to(therapist.email)
    assert "You have a new message. Sign in to read it" in mailbox.text_of(notice)
    assert "music" not in str(notice)
    clinician.goto("/account")
    expect(badge(clinician)).to_have_text("Messages 1 unread")
    badge(clinician).click()
    clinician.get_by_role("link", name="After Tuesday").click()
    expect(clinician.get_by_text("I keep thinking about the music.")).to_be_visible()
    expect(badge(clinician)).to_have_text("Messages")
    clinician.get_by_label("Your reply").fill("Let us talk about it on Friday.")
    clinician.get_by_role("button", name="Send reply").click()
    expect(clinician.get_by_text("Your message was sent.")).to_be_visible()

    patient.goto("/home")
    expect(badge(patient)).to_have_text("Messages 1 unread")
    badge(patient).click()
    patient.get_by_role("link", name="After Tuesday").last.click()
    expect(patient.get_by_text("Let us talk about it on Friday.")).to_be_visible()
    expect(badge(patient)).to_have_text("Messages")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "390px"])
def test_the_messages_pages_are_accessible(new_context, people, viewport):
    therapist, client = people
    patient = new_context(viewport=viewport).new_page()
    sign_in(patient, client.email, DEFAULT_PASSWORD, client.totp_secret)
    patient.goto("/messages")
    patient.get_by_role("button", name="Send message").click()  # errors shown
    expect(patient.get_by_text("Please write your message.").first).to_be_visible()
    assert_accessible(patient)
    patient.get_by_label("Subject").fill("A question")
    patient.get_by_label("Message", exact=True).fill("Hello")
    patient.get_by_role("button", name="Send message").click()
    expect(patient.get_by_role("heading", level=1)).to_have_text("A question")
    assert_accessible(patient)
    clinician = new_context(viewport=viewport).new_page()
    sign_in(clinician, therapist.email, DEFAULT_PASSWORD, therapist.totp_secret)
    expect(clinician).to_have_url(re.compile(r"/therapist/dashboard$"))
    for path in ("/messages", "/messages/hours"):
        clinician.goto(path)
        assert_accessible(clinician)
        assert clinician.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    clinician.goto("/messages")
    clinician.get_by_role("link", name="A question").click()
    assert_accessible(clinician)
    assert patient.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
