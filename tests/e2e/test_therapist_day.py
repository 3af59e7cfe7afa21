"""Issue 6, acceptance 1: a therapist's scripted day in Chromium.

The therapist signs in with a real TOTP code and keeps the dashboard open; a client whose video
session starts in a few minutes confirms where they are and waits in the waiting room; the
dashboard shows them waiting (live over /notify, and again after a reload); the therapist joins
from the dashboard and admits them, both see the call connected, the therapist ends it, then
writes the session note (the draft autosaves), signs and locks it. The signed note is read-only:
no fields to edit, a direct POST to the edit endpoint is refused, and only a dated addendum can
be added.
"""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models.notes import SessionNote
from tests.e2e.conftest import settle, sign_in
from tests.e2e.test_video_call import (
    CALL_TIMEOUT_MS,
    Cast,
    assert_playing,
    client_enters_waiting_room,
)
from tests.factories import DEFAULT_PASSWORD
from tests.video_helpers import video_appointment

pytestmark = pytest.mark.e2e

DASHBOARD = "/therapist/dashboard"
NOTE = {"Intentions": "Reconnect with a sense of safety in the body.",
        "Set and setting": "Quiet room at home; partner nearby; eye shade and playlist ready.",
        "Concerns": "Some worry about nausea; discussed the plan for the dosing day."}


@pytest.fixture
def cast(app, factories):
    """A therapist (TOTP enrolled), their client and a video preparation session starting in
    four minutes: early enough that the client may wait in the room."""
    therapist = factories.make_therapist(timezone="America/New_York")
    client = factories.make_client(therapist=therapist, name="Jordan Alvarez")
    appointment = video_appointment(client, starts_in=timedelta(minutes=4))
    people = Cast(appointment.id, client.email, client.name, therapist.email, therapist.name,
                  therapist.totp_secret)
    settle()
    return people


def stored_note(appointment_id):
    db.session.expire_all()
    note = db.session.scalar(db.select(SessionNote).where(
        SessionNote.appointment_id == appointment_id))
    found = (note.status, dict(note.content)) if note else None
    settle()
    return found


def session_row(page, cast):
    return page.locator("#dash-sessions tr").filter(has_text=cast.client_name)


def therapist_opens_dashboard(page, cast):
    sign_in(page, cast.therapist_email, DEFAULT_PASSWORD, cast.totp_secret)
    expect(page).to_have_url(re.compile(rf"{DASHBOARD}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    row = session_row(page, cast)
    expect(row).to_contain_text("Not yet")
    expect(row.get_by_role("link", name=f"Join the session with {cast.client_name}")).to_be_visible()


def admit_from_dashboard(dashboard, cast):
    """The dashboard shows the client waiting (live, then after a reload); Join, then Admit."""
    row = session_row(dashboard, cast)
    expect(row.locator(".dash-waiting")).to_have_text("Waiting")  # live, over /notify
    expect(dashboard.locator("#dash-live")).to_have_text(
        f"{cast.client_name} is in the waiting room.")
    dashboard.reload()
    expect(session_row(dashboard, cast).locator(".dash-waiting")).to_have_text("Waiting")
    session_row(dashboard, cast).get_by_role(
        "link", name=f"Join the session with {cast.client_name}").click()
    expect(dashboard).to_have_url(re.compile(rf"/sessions/{cast.appointment_id}$"))
    expect(dashboard.get_by_role("heading", name=f"{cast.client_name} is waiting")).to_be_visible()
    dashboard.get_by_role("button", name=f"Admit {cast.client_name}").click()


def connected_then_ended(room, client_page):
    for page in (room, client_page):
        expect(page.locator("#room-status")).to_have_text("You are connected.",
                                                          timeout=CALL_TIMEOUT_MS)
    expect(client_page.locator("#waiting")).to_be_hidden()
    assert_playing(room)
    assert_playing(client_page)
    # The session starts in a few minutes by the clock, but the call has connected: it counts
    # as started, so ending it can mark it completed (issue 11). Ending asks first.
    room.get_by_role("button", name="End call").click()
    dialog = room.get_by_role("dialog", name="End the call for both of you?")
    expect(dialog.get_by_label("Mark the session completed")).to_be_checked()
    dialog.get_by_role("button", name="End call").click()
    expect(room.get_by_role("heading", name="The call has ended")).to_be_visible()
    expect(room.get_by_text("The session is marked completed.")).to_be_visible()
    expect(client_page.get_by_role("heading", name="Your session has ended")).to_be_visible()


def write_and_sign_note(page, cast):
    # The end screen's one next step is this session's note.
    page.get_by_role("link", name="Write the note for this session").click()
    expect(page).to_have_url(re.compile(rf"/therapist/appointments/{cast.appointment_id}/note$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Session note")
    expect(page.get_by_role("heading", name="New note")).to_be_visible()
    page.get_by_label("Intentions").fill(NOTE["Intentions"])
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved at")  # autosave
    assert stored_note(cast.appointment_id) == ("draft", {
        "intentions": NOTE["Intentions"], "set_and_setting": "", "concerns": ""})
    page.reload()
    expect(page.get_by_label("Intentions")).to_have_value(NOTE["Intentions"])
    page.get_by_label("Set and setting").fill(NOTE["Set and setting"])
    page.get_by_label("Concerns").fill(NOTE["Concerns"])
    page.get_by_role("button", name="Sign and lock").click()
    confirm = page.get_by_role("dialog", name="Sign and lock this note?")  # cannot be undone
    confirm.get_by_role("button", name="Sign and lock").click()
    expect(page.get_by_text("Note signed and locked.")).to_be_visible()
    expect(page.get_by_role("heading", name="Signed note")).to_be_visible()
    expect(page.get_by_text("Signed and locked", exact=True)).to_be_visible()
    for label, text in NOTE.items():
        expect(page.locator("#signed-note dl")).to_contain_text(f"{label}{text}")


def note_is_read_only(page, cast):
    """No field but the addendum's; the edit and autosave endpoints refuse a direct POST."""
    fields = page.locator("main").locator(
        "textarea, select, [contenteditable=true], input:not([type=hidden])")
    expect(fields).to_have_count(1)
    expect(fields).to_have_accessible_name("Addendum")
    for name in ("Save draft", "Sign and lock"):
        expect(page.get_by_role("button", name=name)).to_have_count(0)
    token = page.locator("#addenda input[name=csrf_token]").get_attribute("value")
    url = f"/therapist/appointments/{cast.appointment_id}/note"
    changed = {"csrf_token": token, "intentions": "Rewritten after the fact.",
               "set_and_setting": "", "concerns": ""}
    for action in ("save", "sign"):
        response = page.request.post(url, form={**changed, "action": action},
                                     max_redirects=0)
        assert response.status == 409, (action, response.status)
        assert "This note is signed and locked" in response.text()
    autosave = page.request.post(f"{url}/autosave", form=changed,
                                 headers={"Accept": "application/json"})
    assert autosave.status == 409, autosave.status
    assert stored_note(cast.appointment_id) == ("signed", {
        "intentions": NOTE["Intentions"], "set_and_setting": NOTE["Set and setting"],
        "concerns": NOTE["Concerns"]})


def add_addendum(page):
    addenda = page.locator("#addenda")
    expect(addenda.get_by_text("No addenda.")).to_be_visible()
    page.get_by_label("Addendum").fill("Client called the next morning: slept well, no nausea.")
    page.get_by_role("button", name="Add addendum").click()
    expect(page.get_by_text("Addendum added.")).to_be_visible()
    item = addenda.get_by_role("listitem")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("Client called the next morning: slept well, no nausea.")
    today = datetime.now(ZoneInfo("America/New_York")).strftime("%a %d %b %Y")
    expect(item).to_contain_text(re.compile(rf"{today}, \d{{1,2}}:\d\d [AP]M E[SD]T"))
    # The signed note itself is unchanged.
    expect(page.locator("#signed-note dl")).to_contain_text(NOTE["Intentions"])


def test_therapist_admits_from_dashboard_then_signs_a_note_that_only_takes_addenda(
        new_context, cast):
    dashboard = new_context().new_page()
    client_page = new_context().new_page()
    therapist_opens_dashboard(dashboard, cast)
    client_enters_waiting_room(client_page, cast)
    admit_from_dashboard(dashboard, cast)
    connected_then_ended(dashboard, client_page)
    write_and_sign_note(dashboard, cast)
    note_is_read_only(dashboard, cast)
    dashboard.reload()
    add_addendum(dashboard)
