"""Issue 13, part 1: "eligible" is not one click away while urgent, exclusion or clearance flags
are open. Each open flag is acknowledged with a note first, or the decision names the open
flags in an explicit confirmation with a reason; both are kept and audited. Caution flags and
other decisions are not held back (the positive controls)."""
import re

from sqlalchemy import func, select

from portal.core.vocabulary import DECISION_SEVERITIES, FlagKind
from portal.extensions import db
from portal.intake import services as intake_services
from portal.models.audit import AuditEvent
from portal.models.intake import ReviewDecision
from portal.models.measure import SafetyFlag
from tests.test_therapist_review import (
    PHQ9,
    acknowledge,
    decide,
    fill_intake,
    open_flags,
    review_url,
    sign_in,
)

ITEM9_AT_3 = [*PHQ9[:8], 3]
REASON = "Cardiologist's letter on file; pregnancy test negative on 2 Dec."


def blocking(client):
    """The open flags that hold back "eligible" (item 9, the exclusion, the clearance)."""
    return [f for f in open_flags(client)
            if f.kind == FlagKind.ITEM9 or f.severity in DECISION_SEVERITIES]


def listed_on(html):
    return re.search(r'name="flags_listed" type="hidden" value="([^"]*)"', html).group(1)


def error_of(html, field):
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return found.group(1) if found else None


def decisions():
    return db.session.scalars(select(ReviewDecision).order_by(ReviewDecision.id)).all()


def audit(event):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.event == event)).all()


def test_eligible_is_refused_while_urgent_and_clearance_flags_are_open(app, therapist,
                                                                       client_user):
    fill_intake(client_user, phq9=ITEM9_AT_3)
    assert len(blocking(client_user)) == 3  # item 9, pregnancy (exclusion), blood pressure
    response = decide(sign_in(app, therapist), client_user, decision="eligible")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "still open" in error_of(html, "confirm_flags")
    confirm = re.search(r'<fieldset[^>]*id="open-flags-confirm".*?</fieldset>', html, re.S).group(0)
    label = re.search(r'<label for="confirm_flags">([^<]*)</label>', confirm).group(1)
    for title in ("PHQ-9 item 9 above 0", "Pregnant, trying to conceive or breastfeeding",
                  "Blood pressure needs a medical check"):
        assert title in label  # the confirmation names every open flag
    assert "Takes a benzodiazepine" not in label  # a caution flag does not hold it back
    assert decisions() == []


def test_eligible_goes_through_once_each_open_flag_is_acknowledged(app, therapist, client_user,
                                                                   mailbox):
    fill_intake(client_user, phq9=ITEM9_AT_3)
    browser = sign_in(app, therapist)
    for flag in blocking(client_user):
        assert acknowledge(browser, client_user, flag, "Seen and discussed.").status_code == 302
    assert open_flags(client_user)  # the caution flags are still open, and do not matter
    html = browser.client.get(review_url(client_user)).get_data(as_text=True)
    assert 'id="open-flags-confirm"' not in html
    assert decide(browser, client_user, decision="eligible").status_code == 302
    [row] = decisions()
    assert (row.decision, row.flags_confirmed, row.confirm_reason) == ("eligible", None, None)
    assert len(audit("safety_flag_acknowledged")) == 3
    assert [e.detail for e in audit("intake_decision")] == ["eligible"]
    assert audit("decision_with_open_flags") == []


def test_the_confirmation_names_the_open_flags_and_needs_a_reason(app, therapist, client_user,
                                                                  mailbox):
    fill_intake(client_user, phq9=ITEM9_AT_3)
    browser = sign_in(app, therapist)
    listed = listed_on(browser.client.get(review_url(client_user)).get_data(as_text=True))
    assert set(listed.split(",")) == {str(f.id) for f in blocking(client_user)}

    no_reason = decide(browser, client_user, decision="eligible", confirm_flags="y",
                       flags_listed=listed)
    assert no_reason.status_code == 400
    assert "give your reason" in error_of(no_reason.get_data(as_text=True), "confirm_reason")
    no_tick = decide(browser, client_user, decision="eligible", confirm_reason=REASON,
                     flags_listed=listed)
    assert no_tick.status_code == 400 and error_of(no_tick.get_data(as_text=True), "confirm_flags")
    assert decisions() == []

    done = decide(browser, client_user, decision="eligible", confirm_flags="y",
                  confirm_reason=REASON, flags_listed=listed)
    assert done.status_code == 302
    [row] = decisions()
    assert row.decision == "eligible" and row.confirm_reason == REASON
    assert {f["id"] for f in row.flags_confirmed} == {f.id for f in blocking(client_user)}
    assert "PHQ-9 item 9 above 0: thoughts of being better off dead or of self-harm" in [
        f["title"] for f in row.flags_confirmed]
    [event] = audit("decision_with_open_flags")
    assert (event.actor_id, event.object_type, event.object_id) == (therapist.id,
                                                                    "review_decision", str(row.id))
    assert event.detail == "safety_flag " + ",".join(
        str(f["id"]) for f in row.flags_confirmed)
    assert len(blocking(client_user)) == 3  # confirming is not acknowledging: they stay open
    page = browser.client.get(review_url(client_user)).get_data(as_text=True)
    assert "Recorded with flags open" in page and REASON.replace("'", "&#39;") in page
    details = " ".join(d or "" for d in db.session.scalars(select(AuditEvent.detail)))
    assert "Cardiologist" not in details and "Pregnant" not in details


def test_a_flag_raised_after_the_page_was_shown_is_not_confirmed_unseen(app, therapist,
                                                                        client_user, mailbox):
    fill_intake(client_user)  # the exclusion and the clearance flag
    browser = sign_in(app, therapist)
    listed = listed_on(browser.client.get(review_url(client_user)).get_data(as_text=True))
    intake_services.check_item9(client_user, 2, source="checkin")  # meanwhile, a check-in
    db.session.commit()
    stale = decide(browser, client_user, decision="eligible", confirm_flags="y",
                   confirm_reason=REASON, flags_listed=listed)
    assert stale.status_code == 400
    html = stale.get_data(as_text=True)
    assert "A new flag was raised" in error_of(html, "confirm_flags")
    assert "PHQ-9 item 9 above 0" in html and decisions() == []
    again = decide(browser, client_user, decision="eligible", confirm_flags="y",
                   confirm_reason=REASON, flags_listed=listed_on(html))
    assert again.status_code == 302 and len(decisions()[0].flags_confirmed) == 3


def test_other_decisions_are_not_held_back_by_open_flags(app, therapist, client_user, mailbox):
    fill_intake(client_user, phq9=ITEM9_AT_3)
    browser = sign_in(app, therapist)
    assert decide(browser, client_user, decision="needs_clearance",
                  clearance_needed="An ECG and a blood-pressure check").status_code == 302
    assert decide(browser, client_user, decision="not_eligible", reason="Pregnancy",
                  referral="Perinatal psychiatry").status_code == 302
    assert [d.flags_confirmed for d in decisions()] == [None, None]


def test_a_client_without_open_flags_is_found_eligible_in_one_step(app, therapist, client_user,
                                                                   mailbox):
    from tests.scheduling_helpers import submit_intake
    submit_intake(client_user)  # no answers, so no flag at all
    browser = sign_in(app, therapist)
    html = browser.client.get(review_url(client_user)).get_data(as_text=True)
    assert 'id="open-flags-confirm"' not in html
    assert decide(browser, client_user, decision="eligible").status_code == 302
    assert db.session.scalar(select(func.count(SafetyFlag.id))) == 0
    assert [d.decision for d in decisions()] == ["eligible"]
