"""One join window: the client's sessions page offers the Join link exactly when the video room
lets the client in (portal.core.vocabulary.JOIN_EARLY), and says the same number of minutes."""
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from portal.core.vocabulary import JOIN_EARLY, SessionKind
from portal.extensions import db
from portal.models.schedule import Appointment
from portal.video import access
from tests.factories import DEFAULT_PASSWORD
from tests.scheduling_helpers import make_appointment, session_type

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # Wednesday, 10:00 in New York
MINUTES = int(JOIN_EARLY.total_seconds() // 60)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def person(eligible_client, works_every_day):
    """An eligible client whose therapist works every day (New York time, the default)."""
    return eligible_client




def sessions_page(client, auth, person):
    auth.login(person.email, DEFAULT_PASSWORD)
    response = client.get("/appointments")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("minutes", [MINUTES + 1, MINUTES, MINUTES - 1, 0, -20])
def test_the_join_link_shows_exactly_when_the_room_lets_the_client_in(
        frozen, client, auth, person, minutes):
    preparation = session_type(person.therapist, SessionKind.PREPARATION)
    appointment = make_appointment(person, preparation, NOW + timedelta(minutes=minutes))
    page = sessions_page(client, auth, person)
    room_open = access.refusal(person, db.session.get(Appointment, appointment.id), NOW) is None
    assert (f'href="/sessions/{appointment.id}"' in page) == room_open
    assert room_open == (minutes <= MINUTES)
    assert (f"You can join {MINUTES} minutes before the start." in page) == (not room_open)


def test_the_confirm_page_states_the_same_window(client, auth, person):
    consultation = session_type(person.therapist, SessionKind.CONSULTATION)
    auth.login(person.email, DEFAULT_PASSWORD)
    slots = client.get(f"/book/{consultation.id}").get_data(as_text=True)
    link = re.search(r'href="([^"]*/confirm[^"]*)"', slots).group(1)
    page = client.get(html.unescape(link)).get_data(as_text=True)
    assert f"a Join button appears on your sessions page {MINUTES} minutes before the start" in page
