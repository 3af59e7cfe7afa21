"""The client's PCL-5 and C-SSRS pages and their own scores page: answers stored encrypted and
audited, errors next to the question, the screener asking only what its branching asks, a
moderate or high risk following the item-9 path, and the scores page showing only one's own."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.core.time import utcnow
from portal.core.vocabulary import FlagKind
from portal.extensions import db
from portal.models.audit import AuditEvent
from portal.models.measure import MeasureResult, SafetyFlag
from tests.conftest import csrf_from, signed_in


def post(browser, path, data):
    token = csrf_from(browser.get(path).get_data(as_text=True))
    return browser.post(path, data={"csrf_token": token, **data})


def results(client, instrument):
    return db.session.scalars(select(MeasureResult).where(
        MeasureResult.client_id == client.id, MeasureResult.instrument == instrument)).all()


def test_pcl5_is_scored_stored_and_audited(app, client_user):
    browser = signed_in(app, client_user)
    page = browser.get("/checkins/pcl5").get_data(as_text=True)
    assert all(f'name="pcl5_{n}"' in page for n in range(1, 21))
    response = post(browser, "/checkins/pcl5", {f"pcl5_{n}": "2" for n in range(1, 21)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/my-scores")
    (row,) = results(client_user, "pcl5")
    assert row.total == 40 and row.result["items"] == [2] * 20
    # the detail is encrypted: read through the model, compared here
    assert "pcl5 checkin" in db.session.scalars(select(AuditEvent.detail).where(
        AuditEvent.event == "measure_recorded")).all()


def test_pcl5_missing_or_out_of_range_answer_is_shown_next_to_it(app, client_user):
    data = {f"pcl5_{n}": "1" for n in range(1, 21)}
    data["pcl5_7"], data["pcl5_3"] = "", "5"
    response = post(signed_in(app, client_user), "/checkins/pcl5", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="pcl5_7-error"' in html and 'id="pcl5_3-error"' in html
    assert results(client_user, "pcl5") == []


def screener(browser, *pages):
    """Post each page's answers in turn, carrying what the previous page kept."""
    response = browser.get("/checkins/cssrs")
    for answers in pages:
        html = response.get_data(as_text=True)
        kept = dict(_hidden(html))
        response = browser.post("/checkins/cssrs", data={**kept, **answers})
    return response


def _hidden(html):
    for tag in re.findall(r"<input[^>]*>", html):
        attrs = dict(re.findall(r'([a-z_-]+)="([^"]*)"', tag))
        if attrs.get("type") == "hidden":
            yield attrs["name"], attrs.get("value", "")


def test_the_first_page_asks_only_q1_and_q2(app, client_user):
    html = signed_in(app, client_user).get("/checkins/cssrs").get_data(as_text=True)
    assert 'name="q1"' in html and 'name="q2"' in html
    assert 'name="q3"' not in html and 'name="q6"' not in html


def test_q2_no_skips_q3_to_q5_and_a_low_risk_stores_without_a_flag(app, client_user, mailbox):
    browser = signed_in(app, client_user)
    second = screener(browser, {"q1": "yes", "q2": "no"})
    html = second.get_data(as_text=True)
    assert second.status_code == 200
    assert 'type="radio"' in html and 'name="q6"' in html and 'name="q3"' not in html
    done = screener(browser, {"q1": "yes", "q2": "no"}, {"q6": "no"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/my-scores")
    (row,) = results(client_user, "cssrs")
    assert row.result["risk"] == "low" and row.result["answers"] == {
        "q1": True, "q2": False, "q6": False}
    assert db.session.scalar(select(SafetyFlag.id)) is None
    assert mailbox.to(client_user.therapist.email) == []


def test_q2_yes_asks_q3_to_q6_on_the_next_page(app, client_user):
    second = screener(signed_in(app, client_user), {"q1": "no", "q2": "yes"})
    html = second.get_data(as_text=True)
    for key in ("q3", "q4", "q5", "q6"):
        assert f'name="{key}"' in html
    assert 'name="q6_recent"' not in html


def test_q6_yes_asks_whether_it_was_recent(app, client_user):
    third = screener(signed_in(app, client_user), {"q1": "no", "q2": "no"}, {"q6": "yes"})
    assert third.status_code == 200 and 'name="q6_recent"' in third.get_data(as_text=True)
    assert results(client_user, "cssrs") == []


def test_an_unanswered_question_is_shown_next_to_it(app, client_user):
    response = screener(signed_in(app, client_user), {"q1": "yes"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="q2-error"' in html and "Please answer yes or no." in html
    assert 'id="q1-error"' not in html


@pytest.mark.parametrize("pages, risk", [
    (({"q1": "yes", "q2": "yes"}, {"q3": "yes", "q4": "no", "q5": "no", "q6": "no"}),
     "moderate"),
    (({"q1": "yes", "q2": "yes"}, {"q3": "no", "q4": "yes", "q5": "no", "q6": "no"}), "high"),
    (({"q1": "no", "q2": "no"}, {"q6": "yes"}, {"q6_recent": "no"}), "moderate"),
    (({"q1": "no", "q2": "no"}, {"q6": "yes"}, {"q6_recent": "yes"}), "high"),
])
def test_moderate_or_high_follows_the_item9_path(app, client_user, mailbox, pages, risk):
    response = screener(signed_in(app, client_user), *pages)
    assert response.status_code == 302 and response.headers["Location"].endswith("/crisis")
    flag = db.session.scalar(select(SafetyFlag).where(SafetyFlag.client_id == client_user.id))
    assert (flag.kind, flag.severity, flag.code) == (FlagKind.CSSRS.value, "urgent",
                                                     f"cssrs_{risk}")
    (email,) = mailbox.to(client_user.therapist.email)
    text = mailbox.text_of(email).lower()
    for word in ("suicid", "c-ssrs", "risk", "kill", client_user.name.lower()):
        assert word not in text and word not in email["Subject"].lower()


def test_the_crisis_page_after_the_screener_says_the_therapist_was_told(app, client_user):
    browser = signed_in(app, client_user)
    screener(browser, {"q1": "no", "q2": "no"}, {"q6": "yes"}, {"q6_recent": "yes"})
    assert "Your therapist has been notified" in browser.get("/crisis").get_data(as_text=True)


def test_my_scores_shows_own_charts_with_text_alternative_and_response(app, client_user,
                                                                       other_client):
    now = utcnow()
    for days, total in ((30, 20), (10, 12), (1, 4)):
        db.session.add(MeasureResult(client_id=client_user.id, instrument="phq9",
                                     source="checkin", taken_at=now - timedelta(days=days),
                                     result={"items": [], "total": total, "band": "x"}))
    db.session.add(MeasureResult(client_id=other_client.id, instrument="pcl5", source="checkin",
                                 result={"items": [], "total": 70, "band": "x"}))
    db.session.commit()
    response = signed_in(app, client_user).get("/my-scores")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-labelledby="mine-phq9-title mine-phq9-desc"' in html
    assert "<desc" in html and "3 scores" in html
    assert "a response (a drop of 50 % or more)" in html and "In remission (below 5)" in html
    assert "Response</span>" in html and "Remission</span>" in html
    assert "dosing-mark" not in html
    assert "PCL-5" not in html.split("Questionnaires:")[0]  # the other client's score
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.event == "measures_viewed", AuditEvent.actor_id == client_user.id))


@pytest.mark.parametrize("path", ["/my-scores", "/checkins/pcl5", "/checkins/cssrs"])
def test_therapists_cannot_open_client_pages(app, therapist, path):
    assert signed_in(app, therapist).get(path).status_code == 403
