"""Dosing records in the client's record: on the arc-of-care timeline (signed or not, linked),
linked from the appointments and the dashboard, and marking the measures charts (client page
and scores page) with a dashed line and words in the chart's text alternative."""
from datetime import timedelta

from portal.core import chart
from portal.core.time import utcnow
from portal.extensions import db
from portal.models.measure import MeasureResult
from tests.conftest import section, signed_in
from tests.dosing_helpers import dosing_session, fill_everything, post, url


def scores(client, *days_ago):
    for days in days_ago:
        db.session.add(MeasureResult(client_id=client.id, instrument="phq9", source="checkin",
                                     result={"items": [1] * 9, "total": 9, "band": "mild"},
                                     taken_at=utcnow() - timedelta(days=days)))
    db.session.commit()


def test_a_dosing_record_is_on_the_timeline_and_marks_the_charts(app, therapist, client_user):
    scores(client_user, 20, 1)
    session = dosing_session(client_user, start=utcnow().replace(microsecond=0)
                             - timedelta(days=5))
    browser = signed_in(app, therapist)
    page = f"/therapist/clients/{client_user.id}"
    before = browser.get(page).get_data(as_text=True)
    assert "Dosing record</strong>" not in section(before, "timeline")
    assert 'class="dosing-mark"' not in before

    fill_everything(browser, session)
    html = browser.get(page).get_data(as_text=True)
    timeline = section(html, "timeline")
    assert "<strong>Dosing record</strong>: <span class=\"note-text\">Not signed yet" in timeline
    assert url(session) in timeline and url(session) in section(html, "appointments")
    measures = section(html, "measures")
    assert measures.count('class="dosing-mark"') == 1  # PHQ-9 (GAD-7 has no scores)
    assert "Dosing sessions: " in measures

    post(browser, session, "/sign")
    assert "Dosing record</strong>: <span class=\"note-text\">Signed" in section(
        browser.get(page).get_data(as_text=True), "timeline")
    scores_page = browser.get(f"{page}/measures").get_data(as_text=True)
    assert 'class="dosing-mark"' in scores_page


def test_the_chart_stretches_its_time_axis_to_show_a_dosing_after_the_last_score():
    now = utcnow()
    points = [(now - timedelta(days=10), 12, False), (now - timedelta(days=5), 9, False)]
    svg = chart.svg_chart(points, "phq9", marks=[now])
    assert svg.count('class="dosing-mark"') == 1
    x = float(svg.split('class="dosing-mark" x1="')[1].split('"')[0])
    assert chart.LEFT < x <= chart.WIDTH - chart.RIGHT
    assert "Dosing sessions: " in chart.describe("phq9", points, marks=[now])
    assert 'class="dosing-mark"' not in chart.svg_chart([], "phq9", marks=[now])  # no axis
    assert chart.svg_chart(points, "phq9") == chart.svg_chart(points, "phq9", marks=())
