""""My record" covers everything the portal keeps about a client (issue 13, section 6).

The export-completeness test walks db.Model's mappers: every model with a column referring to
the client (users.id through client_id or user_id, or appointments.id: an appointment of the
client) must be covered by a key of the export (portal/care/queries_record.COVERS) or excluded
with a reason (EXCLUDED). A new table therefore fails here until someone decides.
"""
import json
from datetime import timedelta

from portal.care.queries_record import COVERS, EXCLUDED
from portal.core.time import utcnow
from portal.core.vocabulary import AppointmentStatus, SessionKind
from portal.extensions import db
from tests.conftest import signed_in
from tests.message_helpers import start_thread
from tests.scheduling_helpers import make_appointment, open_item9_flag, session_type


def _refers_to_the_client(table):
    for column in table.columns:
        for fk in column.foreign_keys:
            target = fk.target_fullname
            if column.name in ("client_id", "user_id") and target == "users.id":
                return True
            if column.name == "appointment_id" and target == "appointments.id":
                return True
    return table.name == "users"


def models_about_a_client():
    return {mapper.class_.__name__ for mapper in db.Model.registry.mappers
            if _refers_to_the_client(mapper.local_table)}


def test_every_model_that_refers_to_a_client_is_exported_or_excluded_with_a_reason(app):
    about = models_about_a_client()
    assert {"Appointment", "MessageThread", "DosingRecord", "SafetyFlag"} <= about  # the walk works
    forgotten = about - set(COVERS) - set(EXCLUDED)
    assert not forgotten, f"add these to the export (COVERS) or to EXCLUDED with a reason: " \
                          f"{sorted(forgotten)}"
    assert all(len(reason) > 20 for reason in EXCLUDED.values())
    assert not set(COVERS) & set(EXCLUDED)
    known = {mapper.class_.__name__ for mapper in db.Model.registry.mappers}
    assert set(COVERS) | set(EXCLUDED) <= known  # no stale names


def test_the_json_has_every_covered_key_with_local_words_on_the_page(app, therapist,
                                                                    client_user):
    dosing = session_type(therapist, SessionKind.DOSING)
    make_appointment(client_user, dosing, utcnow() - timedelta(days=2),
                     status=AppointmentStatus.COMPLETED)
    open_item9_flag(client_user)
    from portal.intake import services
    intake = services.intake_for(client_user)
    services.save_draft(intake, "medications", {"medications-0-name": "Sertraline",
                                                "medications-0-dose": "100 mg"})
    db.session.commit()
    browser = signed_in(app, client_user)
    start_thread(browser, "A question", "Hello there")
    data = json.loads(browser.get("/my-data.json").get_data(as_text=True))
    assert set(COVERS.values()) <= set(data)
    assert data["messages"][0]["messages"][0]["text"] == "Hello there"
    assert data["appointments"][0]["starts_at"].endswith("+00:00")  # ISO-8601 UTC
    assert data["intake"]["steps"]["Current medications"]["medications-0-dose"] == "100 mg"
    page = browser.get("/my-data").get_data(as_text=True)
    assert "Medication 1: dose" in page and "medications-0-dose" not in page
    assert "Dosing session" in page and "Hello there" in page
    assert "thoughts of being better off dead or of self-harm" in page  # a flag in words
    assert "phq9_item9" not in page
    assert "+00:00" not in page and (" EST" in page or " EDT" in page)  # New York time
