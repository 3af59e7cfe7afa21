"""The therapist never misses a waiting client (issue 11 §6, the server side): every page on
/notify hears `waiting_changed` {count, arrival} when one of their clients enters or leaves a
waiting room, and GET /video/waiting gives a page its starting count."""
from datetime import timedelta

import pytest

from tests.video_helpers import NOTIFY, Participant, isolate_registry, video_appointment


@pytest.fixture(autouse=True)
def fresh_registry(monkeypatch):
    return isolate_registry(monkeypatch)


def changes(person):
    return person.received("waiting_changed", namespace=NOTIFY)


def arriving(person, user, appointment):
    assert person.connect() and person.join(appointment.id)["state"] == "waiting"
    return {"appointment_id": appointment.id, "first_name": user.name.split()[0],
            "url": f"/sessions/{appointment.id}"}


def test_the_therapists_pages_follow_who_waits(app, therapist, client_user, other_client):
    first = video_appointment(client_user, located=True)
    # an earlier session still open (ended 20 minutes ago): no overlap (PostgreSQL refuses it)
    second = video_appointment(other_client, starts_in=timedelta(minutes=-70), located=True)
    page = Participant(app, therapist)  # e.g. the Clients page: only /notify
    assert page.connect(NOTIFY)
    alex, sam = Participant(app, client_user), Participant(app, other_client)

    arrival = arriving(alex, client_user, first)
    assert changes(page) == [{"count": 1, "arrival": arrival}]
    arrival = arriving(sam, other_client, second)
    assert changes(page) == [{"count": 2, "arrival": arrival}]

    room = Participant(app, therapist)  # the therapist opens the first room and admits
    assert room.connect() and room.join(first.id)["ok"]
    assert room.emit("admit", appointment_id=first.id) == {"ok": True}
    assert changes(page) == [{"count": 1, "arrival": None}]

    sam.disconnect()  # closes the tab
    assert changes(page) == [{"count": 0, "arrival": None}]

    assert room.emit("send_back", appointment_id=first.id) == {"ok": True}
    assert changes(page) == [{"count": 1, "arrival": None}]
    assert alex.emit("leave", appointment_id=first.id) == {"ok": True}
    assert changes(page) == [{"count": 0, "arrival": None}]


def test_other_therapists_hear_nothing(app, client_user, other_therapist):
    appointment = video_appointment(client_user, located=True)
    other = Participant(app, other_therapist)
    assert other.connect(NOTIFY)
    arriving(Participant(app, client_user), client_user, appointment)
    assert other.received(namespace=NOTIFY) == []


def test_the_waiting_count_for_a_page_that_opens(app, therapist, client_user, other_client):
    therapist_page = Participant(app, therapist)
    assert therapist_page.http.get("/video/waiting").get_json() == {"count": 0, "waiting": []}

    appointment = video_appointment(client_user, located=True)
    expected = arriving(Participant(app, client_user), client_user, appointment)
    response = therapist_page.http.get("/video/waiting")
    assert response.status_code == 200
    assert response.get_json() == {"count": 1, "waiting": [expected]}


def test_the_waiting_count_is_for_therapists_only(app, client_user):
    client = Participant(app, client_user)
    assert client.http.get("/video/waiting").status_code == 403
    anonymous = app.test_client()
    response = anonymous.get("/video/waiting", headers={"Accept": "application/json"})
    assert response.status_code == 401


def test_a_therapists_count_covers_only_their_clients(app, client_user, other_therapist):
    appointment = video_appointment(client_user, located=True)
    arriving(Participant(app, client_user), client_user, appointment)
    other = Participant(app, other_therapist)
    assert other.http.get("/video/waiting").get_json() == {"count": 0, "waiting": []}
