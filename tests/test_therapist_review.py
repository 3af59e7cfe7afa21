"""The therapist's review of an intake: flags by severity, scores with bands, the decision, flag
acknowledgement, the printable view, measures over time (server-side SVG) and consent versions.
Every view and change is audited; other therapists get 404 and clients 403."""
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from portal.core import chart, measures
from portal.core.vocabulary import CONSENT_TITLES, ConsentKind, FlagKind
from portal.extensions import db
from portal.intake import services
from portal.models.audit import AuditEvent
from portal.models.consent import ConsentDocument, ConsentSignature, unsigned_current
from portal.models.intake import STEPS, AmendmentRequest, ReviewDecision
from portal.models.measure import SafetyFlag
from tests.conftest import Auth
from tests.factories import DEFAULT_PASSWORD

PHQ9 = [2, 2, 2, 2, 1, 1, 1, 1, 0]  # 12: moderate
GAD7 = [1, 1, 1, 1, 1, 1, 0]  # 6: mild
PRIVATE = "PRIVATE-NOTE-3f9c: discussed with supervisor"


# --- test data ------------------------------------------------------------------------------
def ensure_consent_documents():
    """The migration seeds version 1 of each document; PostgreSQL tests truncate it away."""
    if not ConsentDocument.current():
        for kind in ConsentKind:
            db.session.add(ConsentDocument(kind=kind.value, version=1, title=CONSENT_TITLES[kind],
                                           body=f"{CONSENT_TITLES[kind]}: the text."))
        db.session.flush()
    return ConsentDocument.current()


def step_answers(phq9, gad7, documents):
    """Valid answers for every step; they raise an exclusion (pregnancy), a clearance (blood
    pressure 150/95) and cautions (benzodiazepine, alcohol in the past week)."""
    never = dict.fromkeys(["use_cannabis", "use_stimulants", "use_opioids", "use_ketamine"],
                          "never")
    no = "no"
    return {
        "about": {"legal_name": "Alex Rivera", "preferred_name": "Alex", "pronouns": "they/them",
                  "date_of_birth": "1985-04-02", "phone": "(555) 123-4567",
                  "address_line": "1 Main St", "city": "Springfield", "state": "IL",
                  "postal_code": "62701", "timezone": "America/Chicago",
                  "emergency_name": "Sam Rivera", "emergency_relation": "Sibling",
                  "emergency_phone": "(555) 765-4321"},
        "history": {"diagnoses": "Major depressive disorder", "current_therapy": "yes",
                    "treatment_details": "Sertraline for 2 years", "ect_tms": no,
                    "prior_ketamine": no, "hospitalisations": no},
        "medical": {"bp_known": "yes", "bp_systolic": "150", "bp_diastolic": "95",
                    "bp_controlled": "yes", "heart_disease": no, "arrhythmia": no, "stroke": no,
                    "pregnant": "yes", "liver_disease": no, "bladder_problems": no,
                    "hyperthyroidism": no, "intracranial_pressure": no, "glaucoma": no,
                    "ketamine_allergy": no, "weight": "160", "weight_unit": "lb"},
        "psychiatric": {"psychosis": "never", "mania": "never", "bipolar": no,
                        "dissociative": no, "family_psychosis": no, "use_alcohol": "past_week",
                        **never},
        "medications": {"medications-0-name": "Sertraline", "medications-0-dose": "100 mg",
                        "medications-0-frequency": "daily", "benzodiazepines": "yes",
                        "maoi": no, "lamotrigine": no, "opioids_rx": no, "stimulants_rx": no},
        "measures": {**{f"phq9_{n}": str(v) for n, v in enumerate(phq9, start=1)},
                     **{f"gad7_{n}": str(v) for n, v in enumerate(gad7, start=1)},
                     "phq9_difficulty": "1"},
        "goals": {"goals": "Feel less stuck", "intentions": "", "concerns": ""},
        "consents": {**{f"name_{d.kind}": "Alex Rivera" for d in documents},
                     **{f"agree_{d.kind}": "y" for d in documents}},
    }


def fill_intake(client, phq9=PHQ9, gad7=GAD7, submit=True):
    """Every step completed through the intake service, consents signed, then submitted."""
    documents = ensure_consent_documents()
    intake = services.intake_for(client)
    answers = step_answers(phq9, gad7, documents)
    for step in STEPS:
        services.save_draft(intake, step, answers[step], complete=True)
    for doc in documents:
        db.session.add(ConsentSignature(client_id=client.id, document_id=doc.id,
                                        signed_name="Alex Rivera", ip="203.0.113.7"))
    if phq9[8] > 0:
        services.check_item9(client, phq9[8], source="intake")
    if submit:
        services.submit(intake)
    db.session.commit()
    return intake


def sign_in(app, user):
    """A fresh browser signed in as `user` (therapists with their TOTP code)."""
    browser = Auth(app.test_client())
    browser.login(user.email, DEFAULT_PASSWORD, totp_secret=getattr(user, "totp_secret", None))
    return browser


def review_url(client):
    return f"/therapist/clients/{client.id}/intake"


def decide(browser, client, **data):
    return browser.post(f"{review_url(client)}/decision", data, form_path=review_url(client))


def acknowledge(browser, client, flag, note, next_url=None):
    token = browser.csrf(review_url(client))
    data = {f"flag{flag.id}-csrf_token": token, f"flag{flag.id}-note": note}
    if next_url is not None:
        data["next"] = next_url
    return browser.client.post(f"/therapist/flags/{flag.id}/acknowledge", data=data)


def audit(event):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == event)
                              .order_by(AuditEvent.id)).all()


def open_flags(client, kind=None):
    query = select(SafetyFlag).where(SafetyFlag.client_id == client.id,
                                     SafetyFlag.acknowledged_at.is_(None))
    if kind:
        query = query.where(SafetyFlag.kind == kind)
    return db.session.scalars(query).all()


# --- the review page ------------------------------------------------------------------------
def test_review_page_lists_flags_by_severity_then_scores_with_bands(app, therapist, client_user):
    fill_intake(client_user, phq9=[*PHQ9[:8], 1])  # item 9 positive: 13, moderate
    page = sign_in(app, therapist).client.get(review_url(client_user))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    order = [html.index(f'id="flags-{key}"')
             for key in ("urgent", "exclude", "needs_clearance", "caution")]
    assert order == sorted(order)
    assert html.index('id="flags-caution"') < html.index('id="scores-title"')
    for title in ("Pregnant, trying to conceive or breastfeeding",
                  "Blood pressure needs a medical check", "Takes a benzodiazepine",
                  "Recent alcohol use", "PHQ-9 item 9 above 0"):
        assert title in html
    assert re.search(r"PHQ-9</th><td>13 of 27</td><td>Moderate</td>", html)
    assert re.search(r"GAD-7</th><td>6 of 21</td><td>Mild</td>", html)


def test_review_page_shows_answers_by_step_consents_and_amendments(app, therapist, client_user):
    intake = fill_intake(client_user)
    db.session.add(AmendmentRequest(intake_id=intake.id, message="My weight is 150 lb <b>now</b>"))
    db.session.commit()
    html = sign_in(app, therapist).client.get(review_url(client_user)).get_data(as_text=True)
    assert "Are you pregnant, trying to become pregnant, or breastfeeding?</dt>\n        <dd>Yes" \
        in html
    assert "Sertraline, 100 mg, daily" in html
    assert "Feeling down, depressed, or hopeless</dt>" in html
    assert "More than half the days (2)" in html  # the chosen choice's label, and its score
    assert "Telehealth consent" in html and "203.0.113.7" in html
    assert "My weight is 150 lb &lt;b&gt;now&lt;/b&gt;" in html
    assert 'id="decisions"' in html and 'name="decision"' in html


def test_draft_intake_shows_computed_scores_and_refuses_a_decision(app, therapist, client_user):
    fill_intake(client_user, submit=False)
    browser = sign_in(app, therapist)
    html = browser.client.get(review_url(client_user)).get_data(as_text=True)
    assert "12 of 27" in html and "Computed from the saved answers" in html
    assert 'name="decision"' not in html
    response = decide(browser, client_user, decision="eligible")
    assert response.status_code == 409
    assert db.session.scalar(select(func.count(ReviewDecision.id))) == 0


# --- audit ----------------------------------------------------------------------------------
def test_every_view_and_change_is_audited_without_the_note(app, therapist, client_user):
    intake = fill_intake(client_user, phq9=[*PHQ9[:8], 2])
    flag = open_flags(client_user, FlagKind.ITEM9)[0]
    browser = sign_in(app, therapist)
    browser.client.get(review_url(client_user))
    browser.client.get(f"{review_url(client_user)}/print")
    browser.client.get(f"/therapist/clients/{client_user.id}/measures")
    assert decide(browser, client_user, decision="needs_clearance", clearance_needed="An ECG",
                  private_note=PRIVATE).status_code == 302
    assert acknowledge(browser, client_user, flag, "Called the client; safety plan in place."
                       ).status_code == 302
    viewed = [e for e in audit("intake_viewed") if e.actor_id == therapist.id]
    assert viewed and all(e.object_type == "intake" and e.object_id == str(intake.id)
                          for e in viewed)
    for event, object_type, object_id in [("intake_printed", "intake", intake.id),
                                          ("measures_viewed", "user", client_user.id),
                                          ("intake_decision", "intake", intake.id),
                                          ("safety_flag_acknowledged", "safety_flag", flag.id)]:
        rows = audit(event)
        assert len(rows) == 1, event
        assert (rows[0].actor_id, rows[0].object_type, rows[0].object_id) == \
            (therapist.id, object_type, str(object_id))
    assert audit("intake_decision")[0].detail == "needs_clearance"
    details = db.session.scalars(select(AuditEvent.detail)).all()
    assert not any(d and ("PRIVATE-NOTE" in d or "ECG" in d or "safety plan" in d)
                   for d in details)


# --- access ---------------------------------------------------------------------------------
def test_another_therapist_gets_404_on_every_route_for_a_client_not_theirs(app, client_user,
                                                                           other_therapist):
    fill_intake(client_user, phq9=[*PHQ9[:8], 1])
    flag = open_flags(client_user, FlagKind.ITEM9)[0]
    browser = sign_in(app, other_therapist)
    for path in (review_url(client_user), f"{review_url(client_user)}/print",
                 f"/therapist/clients/{client_user.id}/measures"):
        assert browser.client.get(path).status_code == 404, path
    assert decide(browser, client_user, decision="eligible").status_code == 404
    assert acknowledge(browser, client_user, flag, "Not mine").status_code == 404
    assert db.session.scalar(select(func.count(ReviewDecision.id))) == 0
    assert open_flags(client_user, FlagKind.ITEM9)
    assert not [e for e in audit("intake_viewed") + audit("measures_viewed")
                if e.actor_id == other_therapist.id]


def test_an_admin_sees_their_own_clients_and_others_only_by_break_glass(app, factories,
                                                                        client_user, admin):
    """Break-glass is off unless used (tests/test_break_glass.py covers the grant)."""
    fill_intake(client_user)
    own = factories.make_client(therapist=admin)
    fill_intake(own)
    browser = sign_in(app, admin)
    for client, status in ((own, 200), (client_user, 404)):
        for path in (review_url(client), f"{review_url(client)}/print",
                     f"/therapist/clients/{client.id}/measures"):
            assert browser.client.get(path).status_code == status, path
    assert browser.client.get("/therapist/consents").status_code == 200


def test_a_therapist_cannot_review_a_therapist_or_unknown_id(app, factories, therapist):
    browser = sign_in(app, therapist)
    assert browser.client.get(review_url(therapist)).status_code == 404
    assert browser.client.get("/therapist/clients/999999/intake").status_code == 404


def test_clients_get_403_on_every_review_route(app, client_user):
    fill_intake(client_user, phq9=[*PHQ9[:8], 1])
    flag = open_flags(client_user, FlagKind.ITEM9)[0]
    browser = Auth(app.test_client())
    browser.login(client_user.email, DEFAULT_PASSWORD)
    for path in (review_url(client_user), f"{review_url(client_user)}/print",
                 f"/therapist/clients/{client_user.id}/measures", "/therapist/consents"):
        assert browser.client.get(path).status_code == 403, path
    token = browser.csrf("/intake/review")
    for path in (f"{review_url(client_user)}/decision", f"/therapist/flags/{flag.id}/acknowledge",
                 "/therapist/consents"):
        assert browser.client.post(path, data={"csrf_token": token}).status_code == 403, path


# --- the decision ---------------------------------------------------------------------------
@pytest.mark.parametrize("data, field, message", [
    ({}, "decision", "Please choose a decision."),
    ({"decision": "maybe"}, "decision", "Not a valid choice"),
    ({"decision": "needs_clearance", "clearance_needed": "   "}, "clearance_needed",
     "Please say what medical clearance is needed."),
    ({"decision": "not_eligible", "referral": "Local clinic"}, "reason",
     "Please give the reason the client is not eligible."),
    ({"decision": "not_eligible", "reason": "Active psychosis"}, "referral",
     "Please add a referral"),
    ({"decision": "eligible", "private_note": "x" * 2001}, "private_note",
     "Please shorten this to 2,000 characters or fewer."),
])
def test_decision_is_validated_with_messages_next_to_the_fields(app, therapist, client_user, data,
                                                                field, message):
    fill_intake(client_user)
    response = decide(sign_in(app, therapist), client_user, **data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    assert error and message in error.group(1)
    assert db.session.scalar(select(func.count(ReviewDecision.id))) == 0


def test_client_sees_the_decision_label_but_not_the_private_note(app, therapist, client_user):
    fill_intake(client_user)
    therapist_browser = sign_in(app, therapist)
    response = decide(therapist_browser, client_user, decision="not_eligible",
                      reason="Pregnancy", referral="Perinatal psychiatry at County Hospital",
                      private_note=PRIVATE, clearance_needed="ignored for this decision")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(review_url(client_user))
    row = db.session.scalars(select(ReviewDecision)).one()
    assert (row.decision, row.therapist_id, row.private_note) == ("not_eligible", therapist.id,
                                                                  PRIVATE)
    assert row.clearance_needed is None
    therapist_view = therapist_browser.client.get(review_url(client_user)).get_data(as_text=True)
    assert PRIVATE in therapist_view and "Perinatal psychiatry" in therapist_view
    browser = Auth(app.test_client())
    browser.login(client_user.email, DEFAULT_PASSWORD)
    html = browser.client.get("/intake/review").get_data(as_text=True)
    assert "Not eligible at this time" in html
    assert "PRIVATE-NOTE" not in html and "Perinatal psychiatry" not in html


# --- safety flags ---------------------------------------------------------------------------
def test_acknowledging_a_flag_needs_a_note_and_then_clears_it(app, therapist, client_user):
    fill_intake(client_user, phq9=[*PHQ9[:8], 3])
    flag = open_flags(client_user, FlagKind.ITEM9)[0]
    browser = sign_in(app, therapist)
    refused = acknowledge(browser, client_user, flag, "   ")
    assert refused.status_code == 400
    assert f'id="flag{flag.id}-note-error"' in refused.get_data(as_text=True)
    assert db.session.get(SafetyFlag, flag.id).acknowledged_at is None
    done = acknowledge(browser, client_user, flag, "Spoke with the client; no plan or intent.",
                       next_url="https://evil.example/phish")
    assert done.status_code == 302
    assert done.headers["Location"].startswith(review_url(client_user))
    flag = db.session.get(SafetyFlag, flag.id)
    assert flag.acknowledged_at is not None and flag.acknowledged_by_id == therapist.id
    assert flag.acknowledgement_note == "Spoke with the client; no plan or intent."
    html = browser.client.get(review_url(client_user)).get_data(as_text=True)
    assert 'id="flags-urgent"' not in html and 'id="flags-exclude"' in html


def test_acknowledging_follows_a_local_next(app, therapist, client_user):
    fill_intake(client_user, phq9=[*PHQ9[:8], 1])
    flag = open_flags(client_user, FlagKind.ITEM9)[0]
    response = acknowledge(sign_in(app, therapist), client_user, flag, "Seen", next_url="/therapist/clients")
    assert response.headers["Location"] == "/therapist/clients"


# --- consents -------------------------------------------------------------------------------
def test_publishing_a_new_consent_version_asks_the_client_to_sign_again(app, admin, client_user):
    """The practice's admin publishes (tests/test_security_small_holes.py: not a therapist)."""
    fill_intake(client_user)
    assert unsigned_current(client_user.id) == []
    old = next(d for d in ConsentDocument.current() if d.kind == "kap")
    browser = sign_in(app, admin)
    page = browser.client.get("/therapist/consents?kind=kap").get_data(as_text=True)
    assert f"version {old.version}" in page and "Publish a new version" in page
    response = browser.post("/therapist/consents", {"kind": "kap", "title": "",
                                                    "body": "Version two: fasting for 4 hours."})
    assert response.status_code == 302
    new = next(d for d in ConsentDocument.current() if d.kind == "kap")
    assert (new.version, new.title, new.published_by_id) == (old.version + 1, old.title,
                                                             admin.id)
    assert [d.id for d in unsigned_current(client_user.id)] == [new.id]
    event = audit("consent_published")[0]
    assert (event.object_id, event.detail) == (str(new.id), f"kap v{new.version}")


@pytest.mark.parametrize("data, message", [
    ({"kind": "kap", "body": ""}, "Please enter the text of the document."),
    ({"kind": "kap", "body": "x" * 20_001}, "20,000 characters or fewer"),
    ({"kind": "other", "body": "Text"}, "Not a valid choice"),
])
def test_publishing_a_consent_is_validated(app, admin, data, message):
    ensure_consent_documents()
    db.session.commit()
    before = db.session.scalar(select(func.count(ConsentDocument.id)))
    response = sign_in(app, admin).post("/therapist/consents", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ConsentDocument.id))) == before


# --- measures over time ---------------------------------------------------------------------
def add_scores(client, instrument, totals_and_items, start):
    """Stored results `days` apart; each entry is a list of item answers."""
    for n, items in enumerate(totals_and_items):
        row = services.store_measure(client, measures.score(instrument, items), items,
                                    source="checkin")
        row.taken_at = start + timedelta(days=7 * n)
    db.session.commit()


def test_measures_page_charts_both_instruments_with_bands_item9_and_big_changes(app, therapist,
                                                                                 client_user):
    start = datetime(2025, 1, 6, 15, tzinfo=UTC)
    add_scores(client_user, "phq9", [[1, 1, 1, 1, 1, 1, 0, 0, 0],   # 6
                                 [2, 2, 2, 2, 2, 1, 1, 1, 1],   # 14, item 9
                                 [1, 1, 1, 1, 1, 1, 1, 1, 0]], start)  # 8
    add_scores(client_user, "gad7", [[1, 1, 1, 1, 1, 0, 0], [2, 2, 2, 2, 2, 2, 0]], start)
    response = sign_in(app, therapist).client.get(f"/therapist/clients/{client_user.id}/measures")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 2
    assert html.count('class="band"') == 5 + 4
    assert html.count('class="item9-marker"') == 1
    assert html.count('class="change-highlight"') == 2  # +8 and -6 on PHQ-9; GAD-7 not marked
    assert "+8 (worse)" in html and "-6 (better)" in html
    assert "<caption class=\"visually-hidden\">All PHQ-9 scores" in html
    assert " style=" not in html
    assert audit("measures_viewed")[0].object_id == str(client_user.id)


# --- chart.py -------------------------------------------------------------------------------
def points(*totals, item9=(), start=datetime(2025, 3, 3, 9, tzinfo=UTC)):
    return [(start + timedelta(days=14 * n), total, n in item9) for n, total in enumerate(totals)]


def parse(svg):
    return ET.fromstring(str(svg))  # noqa: S314 (our own markup, not untrusted input)


NS = "{http://www.w3.org/2000/svg}"


def test_chart_is_an_accessible_svg_with_the_phq9_bands_shaded():
    svg = chart.svg_chart(points(6, 14, 10), "phq9")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.find(f"{NS}title").text == "PHQ-9 scores over time"
    desc = root.find(f"{NS}desc").text
    assert "3 scores" in desc and "latest 10 (moderate)" in desc
    assert root.get("aria-labelledby") == "chart-phq9-title chart-phq9-desc"
    bands = [r for r in root.iter(f"{NS}rect") if r.get("class") == "band"]
    assert [b.find(f"{NS}title").text for b in bands] == [
        "Minimal: 0–4", "Mild: 5–9", "Moderate: 10–14", "Moderately severe: 15–19",
        "Severe: 20–27"]
    heights = [float(b.get("height")) for b in bands]
    assert heights[4] / heights[0] == pytest.approx(7 / 5, rel=0.01)  # 20–27 vs 0–(5)
    assert "style=" not in svg


def test_chart_shades_the_four_gad7_bands_and_never_marks_gad7_changes():
    root = parse(chart.svg_chart(points(2, 20, 3), "gad7"))
    assert len([r for r in root.iter(f"{NS}rect") if r.get("class") == "band"]) == 4
    assert not [e for e in root.iter() if e.get("class") == "change-highlight"]


def test_chart_rings_item9_positive_points_with_a_title():
    root = parse(chart.svg_chart(points(6, 14, 8, item9={1}), "phq9"))
    rings = [c for c in root.iter(f"{NS}circle") if c.get("class") == "item9-marker"]
    assert len(rings) == 1
    assert rings[0].get("fill") == "none" and rings[0].get("stroke") == chart.ALERT
    assert "item 9 answered above 0" in rings[0].find(f"{NS}title").text
    assert len([c for c in root.iter(f"{NS}circle") if c.get("class") == "point"]) == 3


def test_chart_highlights_changes_of_five_phq9_points_or_more():
    data = points(6, 11, 7, 3, 3)  # +5, -4, -4, 0
    root = parse(chart.svg_chart(data, "phq9"))
    highlighted = [e for e in root.iter(f"{NS}line") if e.get("class") == "change-highlight"]
    assert len(highlighted) == 1
    assert highlighted[0].find(f"{NS}title").text == "Change of +5 points (6 to 11)"
    assert float(highlighted[0].get("stroke-width")) > 2
    assert len([e for e in root.iter(f"{NS}line") if e.get("class") == "segment"]) == 3
    assert [c.delta for c in chart.large_changes(data)] == [5]
    assert [c.delta for c in chart.large_changes(points(20, 9, 15))] == [-11, 6]


def test_chart_orders_points_by_time_and_places_higher_scores_higher():
    data = points(4, 20)
    root = parse(chart.svg_chart(list(reversed(data)), "phq9"))
    low, high = [c for c in root.iter(f"{NS}circle") if c.get("class") == "point"]
    assert float(low.get("cx")) < float(high.get("cx"))
    assert float(low.get("cy")) > float(high.get("cy"))


def test_chart_escapes_its_text_and_handles_no_or_one_point():
    svg = chart.svg_chart([], "phq9", id_prefix='x"><script>alert(1)</script>')
    assert "<script>" not in svg
    root = parse(svg)
    assert "No PHQ-9 scores yet" in root.find(f"{NS}desc").text
    single = parse(chart.svg_chart(points(27), "phq9"))
    point = [c for c in single.iter(f"{NS}circle") if c.get("class") == "point"][0]
    assert float(point.get("cy")) == chart.TOP  # the maximum sits on the top edge
