"""Issue 13, part 7 (lists that were wrong): the dashboard's quiet list counts clients who never
checked in, however recently they joined, and an urgent flag shows the answer the client gave
("Nearly every day") on the dashboard and on the intake review; the answer is kept encrypted."""
from datetime import timedelta

from sqlalchemy import select, text

from portal.core.time import utcnow
from portal.core.vocabulary import FlagKind
from portal.extensions import db
from portal.models.measure import MeasureResult, SafetyFlag
from tests.conftest import section, signed_in
from tests.test_care_checkin import answers, send
from tests.test_therapist_review import PHQ9, fill_intake, review_url

DASHBOARD = "/therapist/dashboard"


def dashboard(app, therapist):
    response = signed_in(app, therapist).get(DASHBOARD)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def checked_in(client, days_ago):
    db.session.add(MeasureResult(client_id=client.id, instrument="phq9", source="checkin",
                                 result={"total": 4, "band": "minimal"},
                                 taken_at=utcnow() - timedelta(days=days_ago)))
    db.session.commit()


# --- the quiet list -------------------------------------------------------------------------
def test_clients_who_never_checked_in_are_counted_however_new(app, factories, therapist):
    factories.make_client(therapist, name="New Never")  # joined today
    factories.make_client(therapist, name="Week Never", created_at=utcnow() - timedelta(days=7))
    checked_in(factories.make_client(therapist, name="Checked Yesterday"), days_ago=1)
    quiet = section(dashboard(app, therapist), "quiet")
    assert "New Never" in quiet and "Week Never" in quiet
    assert quiet.count("never checked in (joined") == 2
    assert "Checked Yesterday" not in quiet  # the positive control: a recent check-in
    assert "Every client has checked in" not in quiet


def test_the_quiet_list_is_empty_only_when_everyone_checked_in_recently(app, factories,
                                                                         therapist):
    checked_in(factories.make_client(therapist, name="Checked Today"), days_ago=0)
    quiet = section(dashboard(app, therapist), "quiet")
    assert "Every client has checked in, each within the last 14 days." in quiet
    assert "Checked Today" not in quiet


# --- the answer behind an urgent flag -------------------------------------------------------
def test_an_item9_flag_from_the_intake_shows_the_answer_given(app, therapist, client_user):
    fill_intake(client_user, phq9=[*PHQ9[:8], 3])
    browser = signed_in(app, therapist)
    flags = section(browser.get(DASHBOARD).get_data(as_text=True), "flags")
    assert "answered “Nearly every day”" in flags
    review = browser.get(review_url(client_user)).get_data(as_text=True)
    assert "Answered “Nearly every day” in the intake questionnaire." in review


def test_an_item9_flag_from_a_checkin_shows_the_answer_given(app, therapist, client_user):
    response = send(signed_in(app, client_user), answers(value=0, item9=2))
    assert response.headers["Location"].endswith("/crisis")
    flags = section(dashboard(app, therapist), "flags")
    assert "answered “More than half the days”" in flags and "from a check-in" in flags


def test_the_answer_is_kept_encrypted_on_the_flag(app, therapist, client_user):
    send(signed_in(app, client_user), answers(value=0, item9=1))
    flag = db.session.scalar(select(SafetyFlag).where(SafetyFlag.kind == FlagKind.ITEM9.value))
    assert flag.answer == "Several days"
    raw = db.session.execute(text("SELECT answer FROM safety_flags")).scalar()
    assert raw and "Several" not in raw


def test_a_flag_without_a_kept_answer_still_reads_plainly(app, therapist, client_user):
    """Flags raised before answers were kept (or by rules with no single answer)."""
    db.session.add(SafetyFlag(client_id=client_user.id, kind=FlagKind.ITEM9.value,
                              severity="urgent", code="phq9_item9", source="checkin"))
    db.session.commit()
    flags = section(dashboard(app, therapist), "flags")
    assert "PHQ-9 item 9 above 0" in flags and "answered" not in flags
