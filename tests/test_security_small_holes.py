"""Issue 14, small holes: query and path values out of range, an unknown PORTAL_ENV, who may
publish consent documents, what the invite form reveals, and the name written into calendars.

Each test names the finding of the penetration test it closes; each refusal has its positive
control (a normal value still works, an admin can still publish, a new email is still invited).
"""
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from portal import create_app
from portal.config import Config, ProductionConfig, TestingConfig, config_from_env
from portal.core.audit_words import AUDIT_EVENTS
from portal.core.vocabulary import SessionKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.consent import ConsentDocument
from portal.models.user import Invitation
from portal.notifications import ics
from portal.notifications.appointments import send_appointment_emails
from portal.scheduling import services
from tests.conftest import Auth, csrf_from, signed_in
from tests.scheduling_helpers import complete_consultation, make_appointment, session_type
from tests.test_therapist_review import ensure_consent_documents

pytestmark = pytest.mark.usefixtures("works_every_day")

HUGE = "9" * 20  # past SQLite's and PostgreSQL's integers
HUGER = "1" * 30
NEXT_MONDAY = date.today() + timedelta(days=7 - date.today().weekday())


def soon_start():
    """A free slot's start two days from now at 15:00 UTC (10 or 11 in New York)."""
    day = datetime.now(UTC).date() + timedelta(days=2)
    return datetime(day.year, day.month, day.day, 15, tzinfo=UTC)


# --- Low: year 9999 or 0001 and 20-digit numbers gave HTTP 500 ------------------------------
def client_urls(type_id, appointment_id):
    return [f"/book/{type_id}?week={{}}", f"/book/{type_id}/confirm?start={{}}",
            f"/appointments/{appointment_id}/reschedule?week={{}}",
            f"/appointments/{appointment_id}/reschedule?start={{}}"]


STARTS = ["9999-12-31T23:30:00-05:00", "9999-12-31T23:30:00", "0001-01-01T00:00:00+05:00",
          "0001-01-01T00:00:00"]
WEEKS = ["9999-12-31", "9999-12-27", "0001-01-01", "0001-01-03"]


def test_out_of_range_dates_and_numbers_in_queries_answer_400_with_a_message(
        app, therapist, eligible_client):
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    appointment = make_appointment(eligible_client, consultation, soon_start() + timedelta(days=1))
    # the booked consultation is the client's one open consultation: book a preparation
    complete_consultation(eligible_client)
    preparation = session_type(therapist, SessionKind.PREPARATION)
    as_client, as_therapist = signed_in(app, eligible_client), signed_in(app, therapist)
    asked = []
    for template in client_urls(preparation.id, appointment.id):
        for value in STARTS if "start=" in template else WEEKS:
            asked.append((as_client, template.format(value)))
    for value in WEEKS:
        asked.append((as_therapist, f"/therapist/calendar?week={value}"))
    booking = f"/therapist/clients/{eligible_client.id}/book/{preparation.id}"
    asked += [(as_therapist, f"{booking}?week={value}") for value in WEEKS]
    asked += [(as_therapist, f"{booking}/confirm?start={value}") for value in STARTS]
    for name in ("since", "until"):
        for value in ("9999-12-31", "0001-01-01"):
            asked.append((as_therapist, f"/audit/?{name}={value}"))
    asked.append((as_therapist, f"/audit/?actor={HUGE}"))
    asked.append((as_therapist, f"/audit/?actor={2**31}"))  # past PostgreSQL's integer
    asked.append((as_therapist, f"/audit/?page={HUGE}"))
    for browser, url in asked:
        response = browser.get(url)
        assert response.status_code == 400, url
        text = response.get_data(as_text=True)
        assert "Something went wrong on our side" not in text, url
    audit = as_therapist.get("/audit/?since=0001-01-01&actor=" + HUGE).get_data(as_text=True)
    assert "Please enter a date between" in audit and "Please enter a user id" in audit
    week = as_therapist.get("/therapist/calendar?week=9999-12-31").get_data(as_text=True)
    assert "Please choose a week between" in week

    # positive controls: ordinary values still work
    monday = NEXT_MONDAY.isoformat()
    assert as_therapist.get(f"/therapist/calendar?week={monday}").status_code == 200
    assert as_client.get(f"/book/{preparation.id}?week={monday}").status_code == 200
    start = soon_start().strftime("%Y-%m-%dT%H:%M:%SZ")
    assert as_client.get(f"/book/{preparation.id}/confirm?start={start}").status_code == 200
    assert as_therapist.get(f"{booking}?week={monday}").status_code == 200
    assert as_therapist.get(f"{booking}/confirm?start={start}").status_code == 200
    assert as_therapist.get(f"/audit/?since=2020-01-01&until={date.today()}"
                            f"&actor={therapist.id}").status_code == 200


def test_numbers_of_hundreds_of_digits_in_the_audit_filters_answer_400(app, therapist):
    """Found by tests/test_property_requests.py: WTForms' NumberRange turns the number into a
    float, and 309 digits or more raised OverflowError (HTTP 500)."""
    browser = signed_in(app, therapist)
    for name in ("actor", "page"):
        for number in ("9" * 309, "-" + "9" * 400, "1" * 4000):
            response = browser.get(f"/audit/?{name}={number}")
            assert response.status_code == 400, (name, len(number))
    text = browser.get("/audit/?actor=" + "9" * 309).get_data(as_text=True)
    assert "Please enter a user id between 1 and" in text
    assert browser.get(f"/audit/?actor={therapist.id}&page=1").status_code == 200


def test_no_form_uses_wtforms_number_range():
    """NumberRange overflows on a number of 309 digits (above); forms use core.bounds'
    NumberBetween, so a new form cannot bring the 500 back."""
    from pathlib import Path
    portal = Path(__file__).resolve().parent.parent / "portal"
    users = [p.name for p in portal.rglob("*.py") if "NumberRange(" in p.read_text()]
    assert users == []


def test_a_json_body_or_a_file_where_a_form_expects_text_answers_400(app, client_user):
    """Found by tests/test_property_requests.py: Flask-WTF hands a JSON body's numbers and
    lists, and uploaded files, to fields that expect text (TypeError: HTTP 500 on the journal,
    sign-in, registration, invitations, ...). The portal's forms take text only."""
    from io import BytesIO
    browser = signed_in(app, client_user)
    token = csrf_from(browser.get("/journal").get_data(as_text=True))
    entry = {"text": "A calm day", "mood": "3", "written_on": date.today().isoformat()}
    for body in ({"text": 5, "written_on": 1}, {"text": ["a", "b"]}, {"text": None}, entry):
        response = browser.post("/journal", json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 400, body
        assert response.get_json()["error"]["status"] == 400
    upload = browser.post("/journal", data={**entry, "csrf_token": token,
                                            "text": (BytesIO(b"%PDF-1.4"), "a.pdf")})
    assert upload.status_code == 400
    assert "Please send this form from its page" in upload.get_data(as_text=True)
    anonymous = app.test_client()
    login_token = csrf_from(anonymous.get("/auth/login").get_data(as_text=True))
    assert anonymous.post("/auth/login", json={"email": 1, "password": 2},
                          headers={"X-CSRFToken": login_token}).status_code == 400
    # positive controls: the page's form, and the multipart text the page scripts send
    assert browser.post("/journal", data={**entry, "csrf_token": token}).status_code == 302
    multipart = browser.post("/journal", data={**entry, "csrf_token": token},
                             content_type="multipart/form-data")
    assert multipart.status_code == 302


def test_a_view_marked_as_reading_json_still_gets_it(database_url, smtp_server):
    """Positive control of the refusal above: views that read JSON themselves say so."""
    from flask import jsonify, request

    from portal.core.bounds import accepts_json
    from portal.security.access import public
    from tests.conftest import make_config
    app = create_app(make_config(database_url, smtp_server, WTF_CSRF_ENABLED=False))
    app.add_url_rule("/echo", "echo", accepts_json(public(lambda: jsonify(request.get_json()))),
                     methods=["POST"])
    app.add_url_rule("/plain", "plain", public(lambda: "ok"), methods=["POST"])
    browser = app.test_client()
    assert browser.post("/echo", json={"a": [1, None]}).get_json() == {"a": [1, None]}
    assert browser.post("/plain", json={"a": 1}).status_code == 400


def test_a_posted_start_in_year_9999_or_0001_answers_400(app, eligible_client, therapist):
    consultation = session_type(therapist, SessionKind.CONSULTATION)
    browser = Auth(signed_in(app, eligible_client))
    for start in STARTS:
        response = browser.post(f"/book/{consultation.id}", {"start": start,
                                                              "idempotency_key": "k1"},
                                form_path="/home")
        assert response.status_code == 400, start


@pytest.mark.parametrize("template", [
    "/therapist/clients/{}", "/appointments/{}/reschedule", "/appointments/{}/cancel",
    "/book/{}", "/therapist/clients/{}/measures", "/sessions/{}"])
def test_huge_ids_in_paths_answer_404(app, therapist, template):
    browser = signed_in(app, therapist)
    for number in (HUGE, HUGER, str(2**31), str(2**63)):
        assert browser.get(template.format(number)).status_code == 404, template
    assert browser.get(template.format(2**31 - 1)).status_code in (403, 404)


def test_the_largest_id_the_database_holds_is_still_routed(app, therapist, client_user):
    browser = signed_in(app, therapist)
    assert browser.get(f"/therapist/clients/{client_user.id}").status_code == 200


# --- Low: PORTAL_ENV=Production (capital P) silently gave development settings --------------
@pytest.mark.parametrize("value", ["Production", "prod", "PRODUCTION", "staging", " production", ""])
def test_an_unknown_portal_env_refuses_to_start(monkeypatch, value):
    monkeypatch.setenv("PORTAL_ENV", value)
    with pytest.raises(RuntimeError) as refused:
        config_from_env()
    message = str(refused.value)
    assert "PORTAL_ENV" in message
    for accepted in ("development", "production", "testing"):
        assert accepted in message


@pytest.mark.parametrize("value, expected", [
    ("development", Config), ("production", ProductionConfig), ("testing", TestingConfig),
    (None, Config)])
def test_the_accepted_portal_env_values_still_choose_their_settings(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("PORTAL_ENV", raising=False)
    else:
        monkeypatch.setenv("PORTAL_ENV", value)
    assert config_from_env() is expected


# --- Low: any therapist could publish the practice-wide consent documents --------------------
def consent_count():
    return db.session.scalar(select(func.count(ConsentDocument.id)))


def test_only_an_admin_publishes_consent_documents_and_therapists_read_them(app, therapist, admin):
    ensure_consent_documents()
    db.session.commit()
    before = consent_count()
    staff = Auth(signed_in(app, therapist))
    page = staff.client.get("/therapist/consents").get_data(as_text=True)
    current = next(d for d in ConsentDocument.current() if d.kind == "kap")
    assert f"version {current.version}" in page and current.title in page
    assert "Publish a new version" not in page and "Publish new version" not in page
    token = csrf_from(staff.client.get("/account").get_data(as_text=True))
    response = staff.client.post("/therapist/consents", data={
        "csrf_token": token, "kind": "kap", "title": "", "body": "Changed by a therapist."})
    assert response.status_code == 403
    assert consent_count() == before

    # positive control: the admin publishes, audited as before
    owner = Auth(signed_in(app, admin))
    assert "Publish a new version" in owner.client.get("/therapist/consents").get_data(as_text=True)
    response = owner.post("/therapist/consents", {"kind": "kap", "title": "",
                                                  "body": "Version two."})
    assert response.status_code == 302
    assert consent_count() == before + 1
    new = next(d for d in ConsentDocument.current() if d.kind == "kap")
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.event == "consent_published")).one()
    assert (event.actor_id, event.object_id) == (admin.id, str(new.id))


# --- Info: the invite form revealed whether an email had an account -------------------------
def invite(browser, email):
    response = browser.post("/therapist/clients/invite", {"email": email},
                            form_path="/therapist/clients")
    follow = browser.client.get(response.headers.get("Location", "/therapist/clients"))
    return response.status_code, response.headers.get("Location"), follow.get_data(as_text=True)


def test_the_invite_form_answers_alike_whether_or_not_the_email_has_an_account(
        app, therapist, other_therapist, factories, mailbox):
    existing = factories.make_client(other_therapist)
    staff = Auth(signed_in(app, therapist))
    new = invite(staff, "brand.new@example.com")
    known = invite(staff, existing.email)
    assert new[:2] == known[:2] == (302, "/therapist/clients")
    assert "Invitation sent." in new[2] and "Invitation sent." in known[2]
    assert "already" not in known[2]
    # both are listed alike on the clients page
    assert "brand.new@example.com" in known[2] and existing.email in known[2]
    assert db.session.scalar(select(func.count(Invitation.id))) == 2
    # the new email gets its link; the account owner a neutral note, with no invitation link
    [invitation] = mailbox.to("brand.new@example.com")
    assert invitation["Subject"] == "You are invited to create your portal account"
    [note] = mailbox.to(existing.email)
    assert "/auth/invite/" not in mailbox.text_of(note)
    assert "already have an account" in mailbox.text_of(note)
    # what the inviting therapist may read of the audit trail is alike too
    # (names are opaque codes: LIKE cannot see into them, so the matching names are listed)
    invites = [name for name in AUDIT_EVENTS if "invite" in name]
    mine = db.session.scalars(select(AuditEvent.event).where(
        AuditEvent.actor_id == therapist.id, AuditEvent.event.in_(invites))).all()
    assert mine == ["client_invited", "client_invited"]


# --- Info: the practice name in every .ics revealed the treatment ---------------------------
def test_calendars_and_subjects_use_the_neutral_calendar_name(app, therapist, eligible_client,
                                                              mailbox, no_gates):
    assert app.config["PRACTICE_CALENDAR_NAME"] == "Appointment"
    practice = app.config["PRACTICE_NAME"]
    dosing = session_type(therapist, SessionKind.DOSING)
    start = soon_start() + timedelta(days=3)
    appointment = services.book(eligible_client, dosing, start, idempotency_key="ics",
                                now=datetime.now(UTC))
    db.session.commit()
    send_appointment_emails(appointment, "booked")
    assert len(mailbox.messages) == 2
    for message in mailbox.messages:
        assert practice not in message["Subject"]
        [part] = [p for p in message.iter_attachments()
                  if p.get_content_type() == "text/calendar"]
        data = part.get_payload(decode=True).decode()
        # The UID keeps "@kap-portal" (apps match updates by it, and do not show it).
        shown = data.replace(appointment.uid, "").lower()
        assert "kap" not in shown and "ketamine" not in shown and practice.lower() not in shown
        event = Calendar.from_ical(data).walk("VEVENT")[0]
        assert str(event["SUMMARY"]) == "Appointment"
    feed = ics.feed([appointment]).decode()
    assert "kap" not in feed.replace(appointment.uid, "").lower()
    assert "X-WR-CALNAME:Appointment" in feed


@pytest.mark.parametrize("app_config", [{"PRACTICE_CALENDAR_NAME": "Dr Lee"}])
def test_the_calendar_name_is_a_setting(app, therapist, client_user):
    appointment = make_appointment(client_user, session_type(therapist, SessionKind.CONSULTATION),
                                   soon_start())
    _, data = ics.invitation(appointment, client_user.email)
    assert "SUMMARY:Dr Lee" in data.decode()
