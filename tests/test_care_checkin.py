"""The client's PHQ-9/GAD-7 check-in: every item of both scales is asked, answers are scored
and stored (audited), a missing answer is shown next to its question, and item 9 above 0 leads
to the crisis page with an urgent flag for the therapist."""
import pytest
from sqlalchemy import select

from portal.core.measures import SCALES
from portal.core.vocabulary import FlagKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.measure import MeasureResult, SafetyFlag
from tests.conftest import csrf_from, signed_in


@pytest.fixture
def client_details():
    return {"name": "Jo Client"}




def answers(value=1, item9=0):
    data = {f"{key}_{n}": str(value) for key, scale in SCALES.items()
            for n in range(1, len(scale.items) + 1)}
    return {**data, "phq9_9": str(item9), "phq9_difficulty": "1"}


def send(browser, data):
    token = csrf_from(browser.get("/checkins/new").get_data(as_text=True))
    return browser.post("/checkins/new", data={"csrf_token": token, **data})


def test_the_page_asks_every_item_of_both_scales(app, client_user):
    page = signed_in(app, client_user).get("/checkins/new").get_data(as_text=True)
    for key, scale in SCALES.items():
        assert f"({scale.name})" in page
        for n in range(1, len(scale.items) + 1):
            assert f'name="{key}_{n}"' in page
    assert 'name="phq9_difficulty"' in page


def test_a_checkin_is_scored_stored_and_audited(app, client_user):
    response = send(signed_in(app, client_user), answers(value=1))
    assert response.status_code == 302 and response.headers["Location"].endswith("/home")
    results = {r.instrument: r.result for r in db.session.scalars(
        select(MeasureResult).where(MeasureResult.client_id == client_user.id))}
    assert results["phq9"]["total"] == 8 and results["phq9"]["difficulty"] == 1
    assert results["gad7"]["total"] == 7 and results["gad7"]["band"] == "mild"
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.event == "measure_recorded", AuditEvent.actor_id == client_user.id))


def test_a_missing_answer_is_shown_and_nothing_is_stored(app, client_user):
    data = answers()
    del data["gad7_3"]
    response = send(signed_in(app, client_user), data)
    assert response.status_code == 400
    assert "Please choose one answer." in response.get_data(as_text=True)
    assert db.session.scalar(select(MeasureResult.id)) is None


def test_item_9_above_0_leads_to_the_crisis_page_and_flags(app, client_user):
    response = send(signed_in(app, client_user), answers(value=0, item9=1))
    assert response.status_code == 302 and response.headers["Location"].endswith("/crisis")
    assert db.session.scalar(select(SafetyFlag.id).where(
        SafetyFlag.client_id == client_user.id, SafetyFlag.kind == FlagKind.ITEM9.value))
