"""Session notes: a template per session kind, drafts (saved and autosaved), sign and lock, then
only dated addenda. Encrypted at rest, never shown to the client, every view and change audited;
another therapist gets 404 and clients 403."""
import pytest
from sqlalchemy import select, text

from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.notes import NoteAddendum, SessionNote
from tests.conftest import csrf_from, signed_in
from tests.video_helpers import video_appointment

SECRET = "NOTE-CANARY-7d21: client described a recurring dream"


def url(appointment, tail=""):
    return f"/therapist/appointments/{appointment.id}/note{tail}"


def post_form(browser, appointment, fields, tail="", **kwargs):
    token = csrf_from(browser.get(url(appointment)).get_data(as_text=True))
    return browser.post(url(appointment, tail), data={"csrf_token": token, **fields}, **kwargs)


def stored(appointment):
    return db.session.scalar(select(SessionNote).where(
        SessionNote.appointment_id == appointment.id))


def events(name):
    return db.session.scalar(select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.event == name))


# --- templates per kind ---------------------------------------------------------------------
@pytest.mark.parametrize("kind, labels", [
    (SessionKind.CONSULTATION, ["Presenting concerns", "Next steps"]),
    (SessionKind.PREPARATION, ["Intentions", "Set and setting", "Concerns"]),
    (SessionKind.DOSING, ["Dose and route", "As recorded by the prescriber", "Blood pressure before",
                          "Pulse before", "Blood pressure after", "Pulse after", "Observations",
                          "Discharge time", "Escort"]),
    (SessionKind.INTEGRATION, ["Insights", "Emotions", "Action steps"]),
])
def test_each_session_kind_has_its_note_template(app, therapist, client_user, kind, labels):
    appointment = video_appointment(client_user, kind=kind)
    html = signed_in(app, therapist).get(url(appointment)).get_data(as_text=True)
    for label in labels:
        assert label in html
    assert "Sign and lock" in html and 'data-autosave-url="' in html


# --- drafts ---------------------------------------------------------------------------------
def test_saving_a_draft_keeps_it_editable(app, therapist, client_user):
    appointment = video_appointment(client_user, kind=SessionKind.INTEGRATION)
    browser = signed_in(app, therapist)
    response = post_form(browser, appointment, {"insights": SECRET, "action": "save"})
    assert response.status_code == 302
    note = stored(appointment)
    assert note.status == "draft" and note.content["insights"] == SECRET
    assert note.kind == "integration" and note.therapist_id == therapist.id
    again = post_form(browser, appointment, {"insights": "Revised", "action": "save"})
    assert again.status_code == 302 and stored(appointment).content["insights"] == "Revised"


def test_autosave_stores_the_draft_as_json(app, therapist, client_user):
    appointment = video_appointment(client_user, kind=SessionKind.DOSING)
    browser = signed_in(app, therapist)
    response = post_form(browser, appointment, {"bp_before": "128/84", "escort": "Sam"},
                         tail="/autosave", headers={"Accept": "application/json"})
    assert response.status_code == 200 and "saved_at" in response.get_json()
    assert stored(appointment).content["bp_before"] == "128/84"
    too_long = post_form(browser, appointment, {"bp_before": "9" * 41}, tail="/autosave",
                         headers={"Accept": "application/json"})
    assert too_long.status_code == 400 and stored(appointment).content["bp_before"] == "128/84"


# --- sign and lock --------------------------------------------------------------------------
def test_signed_note_refuses_edits_and_allows_addenda(app, therapist, client_user):
    appointment = video_appointment(client_user, kind=SessionKind.PREPARATION)
    browser = signed_in(app, therapist)
    signed = post_form(browser, appointment, {"intentions": SECRET, "action": "sign"})
    assert signed.status_code == 302
    note = stored(appointment)
    assert note.signed and note.signed_at is not None
    page = browser.get(url(appointment)).get_data(as_text=True)
    assert "Signed and locked" in page and SECRET in page and 'id="note-form"' not in page

    edit = post_form(browser, appointment, {"intentions": "Changed", "action": "save"})
    resign = post_form(browser, appointment, {"intentions": "Changed", "action": "sign"})
    autosave = post_form(browser, appointment, {"intentions": "Changed"}, tail="/autosave",
                         headers={"Accept": "application/json"})
    assert (edit.status_code, resign.status_code, autosave.status_code) == (409, 409, 409)
    assert stored(appointment).content["intentions"] == SECRET

    empty = post_form(browser, appointment, {"text": "  "}, tail="/addenda")
    assert empty.status_code == 400
    added = post_form(browser, appointment, {"text": "Client called the next day: all well."},
                      tail="/addenda")
    assert added.status_code == 302
    rows = db.session.scalars(select(NoteAddendum).where(NoteAddendum.note_id == note.id)).all()
    assert [(r.text, r.author_id) for r in rows] == [("Client called the next day: all well.",
                                                      therapist.id)]
    assert rows[0].created_at is not None
    page = browser.get(url(appointment)).get_data(as_text=True)
    assert "Client called the next day: all well." in page and therapist.name in page


def test_addenda_need_a_signed_note(app, therapist, client_user):
    appointment = video_appointment(client_user, kind=SessionKind.PREPARATION)
    browser = signed_in(app, therapist)
    assert post_form(browser, appointment, {"text": "Too early"}, tail="/addenda").status_code \
        == 409
    post_form(browser, appointment, {"intentions": "Draft", "action": "save"})
    assert post_form(browser, appointment, {"text": "Too early"}, tail="/addenda").status_code \
        == 409
    assert db.session.scalar(select(db.func.count()).select_from(NoteAddendum)) == 0


# --- access ---------------------------------------------------------------------------------
def test_another_therapist_gets_404(app, client_user, other_therapist):
    appointment = video_appointment(client_user)
    browser = signed_in(app, other_therapist)
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    assert browser.get(url(appointment)).status_code == 404
    for tail, data in (("", {"intentions": "x", "action": "save"}), ("/autosave", {}),
                       ("/addenda", {"text": "x"})):
        assert browser.post(url(appointment, tail),
                            data={"csrf_token": token, **data}).status_code == 404
    assert stored(appointment) is None
    assert browser.get("/therapist/appointments/999999/note").status_code == 404


def test_the_client_gets_403_and_never_sees_the_note(app, therapist, client_user):
    appointment = video_appointment(client_user)
    post_form(signed_in(app, therapist), appointment, {"intentions": SECRET, "action": "sign"})
    browser = signed_in(app, client_user)
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    assert browser.get(url(appointment)).status_code == 403
    for tail in ("", "/autosave", "/addenda"):
        assert browser.post(url(appointment, tail),
                            data={"csrf_token": token, "text": "x"}).status_code == 403
    for page in ("/home", "/appointments"):
        assert SECRET not in browser.get(page, follow_redirects=True).get_data(as_text=True)


# --- audit and encryption -------------------------------------------------------------------
def test_every_view_and_change_is_audited(app, therapist, client_user):
    appointment = video_appointment(client_user)
    browser = signed_in(app, therapist)
    browser.get(url(appointment))
    post_form(browser, appointment, {"intentions": "a"}, tail="/autosave")
    post_form(browser, appointment, {"intentions": "b", "action": "save"})
    post_form(browser, appointment, {"intentions": "c", "action": "sign"})
    post_form(browser, appointment, {"text": "later"}, tail="/addenda")
    assert events("note_viewed") >= 5
    for name in ("note_autosaved", "note_saved", "note_signed", "note_addendum_added"):
        assert events(name) >= 1, name
    details = db.session.scalars(select(AuditEvent.detail)).all()
    assert not any(d and ("later" in d or SECRET in d) for d in details)


def test_note_and_addenda_are_encrypted_at_rest(app, therapist, client_user):
    appointment = video_appointment(client_user)
    browser = signed_in(app, therapist)
    post_form(browser, appointment, {"intentions": SECRET, "action": "sign"})
    post_form(browser, appointment, {"text": SECRET}, tail="/addenda")
    raw = [db.session.execute(text("SELECT content FROM session_notes")).scalar_one(),
           db.session.execute(text("SELECT text FROM note_addenda")).scalar_one()]
    assert all(value and SECRET not in value and "NOTE-CANARY" not in value for value in raw)


def test_an_admin_without_break_glass_gets_404(app, therapist, client_user, admin):
    appointment = video_appointment(client_user)
    post_form(signed_in(app, therapist), appointment, {"intentions": SECRET, "action": "save"})
    browser = signed_in(app, admin)
    token = csrf_from(browser.get("/account").get_data(as_text=True))
    assert browser.get(url(appointment)).status_code == 404
    assert browser.post(url(appointment), data={"csrf_token": token, "intentions": "x",
                                                "action": "save"}).status_code == 404
    assert stored(appointment).content["intentions"] == SECRET
