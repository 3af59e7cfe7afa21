"""The safety panel, live (issue 11 §5): a client joins only after confirming where they are;
the emergency numbers follow the country of that location (portal/core/emergency.py); the
therapist's room gets the panel on joining and again whenever the client confirms or changes
their location, and the client's sockets never do."""
import pytest
from flask import template_rendered
from sqlalchemy import func, select

from portal.core import emergency
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.call import Call
from tests.conftest import csrf_from
from tests.video_helpers import Participant, isolate_registry, video_appointment


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


@pytest.fixture
def appointment(client_user):
    return video_appointment(client_user)  # the client has not confirmed a location


def confirm(person, appointment_id, **fields):
    url = f"/sessions/{appointment_id}/location"
    form = person.http.get(url).get_data(as_text=True)
    data = {"csrf_token": csrf_from(form), "location": "Portland, Oregon",
            "phone": "+1 503 555 0134", **fields}
    return person.http.post(url, data={k: v for k, v in data.items() if v is not None})


# --- the table ------------------------------------------------------------------------------
@pytest.mark.parametrize(("country", "primary", "also"), [
    ("US", "911", ["988", "741741"]), ("CA", "911", ["988"]), ("GB", "999", ["111"]),
    ("DE", "112", []), ("FR", "112", []), ("IE", "112", []), ("ES", "112", []),
    ("AU", "000", ["13 11 14"]), ("us", "911", ["988"]),
])
def test_emergency_numbers_follow_the_country(country, primary, also):
    info = emergency.emergency_for(country)
    numbers = [n["number"] for n in info["numbers"]]
    assert info["primary"] == primary and numbers[0] == primary
    assert set(also) <= set(numbers)
    assert all(n["tel"].isdigit() for n in info["numbers"])


@pytest.mark.parametrize("country", [None, "", "NZ", "JP", "other", "<script>"])
def test_elsewhere_the_panel_says_local_emergency_number(country):
    info = emergency.emergency_for(country)
    assert info["primary"] is None and info["numbers"] == [] and info["country"] is None
    assert info["local_text"] == "your local emergency number"


def test_the_table_cites_its_sources():
    for needle in ("fcc.gov", "988lifeline.org", "988.ca", "nhs.uk", "europa.eu",
                   "triplezero.gov.au", "lifeline.org.au"):
        assert needle in emergency.__doc__


@pytest.mark.parametrize(("text", "country"), [
    ("Portland, Oregon", "US"), ("Portland, OR 97201", "US"), ("Washington, DC", "US"),
    ("Toronto, ON M5V 3L9", "CA"), ("12 High St, Leeds, England", "GB"), ("London, UK", "GB"),
    ("Sydney NSW 2000", "AU"), ("4 Rue de la Paix, 75002 Paris, France", "FR"),
    ("Calle de la Paz 3, Madrid", None), ("my parents' house", None), ("", None),
])
def test_a_typed_location_gives_a_best_guess_country(text, country):
    assert emergency.country_from_text(text) == country


# --- joining needs a confirmed location -----------------------------------------------------
def test_a_client_cannot_join_before_confirming_location(app, client_user, appointment):
    client = Participant(app, client_user)
    assert client.connect()
    client.join(appointment.id)
    [error] = client.received("error")
    assert error["code"] == "location_required"
    assert error["url"] == f"/sessions/{appointment.id}/location"
    assert not client.connected

    # positive control: after the location step the same client joins the waiting room
    assert confirm(client, appointment.id).status_code == 302
    assert client.connect() and client.join(appointment.id) == {"ok": True, "state": "waiting"}


def test_the_therapist_joins_without_a_location_step(app, therapist, appointment):
    clinician = Participant(app, therapist)
    assert clinician.connect() and clinician.join(appointment.id)["state"] == "in_call"


# --- the live panel -------------------------------------------------------------------------
def test_the_therapist_gets_the_panel_on_joining_and_live_when_the_client_confirms(
        app, therapist, client_user, appointment):
    appointment_id = appointment.id
    clinician = Participant(app, therapist)
    assert clinician.connect() and clinician.join(appointment_id)["ok"]
    [before] = clinician.received("safety")
    assert before["location"] is None and before["confirmed_at"] is None
    assert before["emergency"]["primary"] is None

    client = Participant(app, client_user)
    assert confirm(client, appointment_id, location="12 High St, Leeds", country="GB"
                   ).status_code == 302
    [live] = clinician.received("safety")
    assert live["appointment_id"] == appointment_id
    assert live["location"] == "12 High St, Leeds" and live["phone"] == "+1 503 555 0134"
    assert live["confirmed_at"] is not None
    assert live["emergency"]["country"] == "GB" and live["emergency"]["primary"] == "999"

    # the client joins, then changes where they are: only the therapist hears of it
    assert client.connect() and client.join(appointment_id)["ok"]
    assert confirm(client, appointment_id, location="Dublin, Ireland", country="").status_code == 302
    [moved] = clinician.received("safety")
    assert moved["location"] == "Dublin, Ireland" and moved["emergency"]["primary"] == "112"
    assert client.received("safety") == []
    sent = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.event == "safety_panel_sent", AuditEvent.object_id == str(appointment_id)))
    assert sent == 2


def test_a_client_never_receives_the_panel(app, therapist, client_user, appointment):
    client = Participant(app, client_user)
    assert confirm(client, appointment.id).status_code == 302
    clinician = Participant(app, therapist)
    assert client.connect() and client.join(appointment.id)["ok"]
    assert clinician.connect() and clinician.join(appointment.id)["ok"]
    assert client.received("safety") == [] and len(clinician.received("safety")) == 1


@pytest.mark.parametrize(("fields", "country"), [
    ({"country": "AU"}, "AU"),
    ({"country": ""}, "US"),  # guessed from "Portland, Oregon"
    ({"country": None}, "US"),  # a page without the field: guessed too
    ({"country": "other"}, None),
])
def test_the_location_step_stores_the_country(app, client_user, appointment, fields, country):
    client = Participant(app, client_user)
    assert confirm(client, appointment.id, **fields).status_code == 302
    call = db.session.scalar(select(Call).where(Call.appointment_id == appointment.id))
    assert call.client_country == country


def test_an_unknown_country_is_refused_next_to_the_field(app, client_user, appointment):
    client = Participant(app, client_user)
    response = confirm(client, appointment.id, country="XX")
    assert response.status_code == 400
    # (the message sits next to the field once templates/video/location.html renders it)
    assert "Please check the field marked below" in response.get_data(as_text=True)
    call = db.session.scalar(select(Call).where(Call.appointment_id == appointment.id))
    assert call.location_confirmed_at is None


def test_the_room_page_is_given_the_countrys_numbers(app, therapist, client_user, appointment):
    """What room.html receives (the front end renders it: /work/briefs/room-contract.md §6)."""
    client = Participant(app, client_user)
    assert confirm(client, appointment.id, location="Melbourne, Australia",
                   country="AU").status_code == 302
    seen = []

    def remember(sender, template, context, **extra):
        if template.name == "video/room.html":
            seen.append(context)
    with template_rendered.connected_to(remember, app):
        for user in (therapist, client_user):
            assert Participant(app, user).http.get(f"/sessions/{appointment.id}").status_code == 200
    therapist_page, client_page = seen
    for context in seen:
        assert context["emergency"]["primary"] == "000"
        assert context["urls"]["location"] == f"/sessions/{appointment.id}/location"
    assert therapist_page["safety"]["emergency"]["primary"] == "000"
    assert therapist_page["safety"]["emergency_number"] == "000"
    assert therapist_page["urls"]["end"] == f"/therapist/appointments/{appointment.id}/note"
    assert client_page["safety"] is None
    assert client_page["urls"]["end"] == "/checkins/new"
