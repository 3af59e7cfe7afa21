"""Everything the portal holds about one client, as plain data (for export and printing)."""
from sqlalchemy import select

from portal.extensions import db
from portal.intake import services
from portal.intake.steps import STEP_TITLES
from portal.models.consent import ConsentSignature
from portal.models.measure import MeasureResult


def _iso(value):
    return value.isoformat() if value else None


def client_record(client):
    intake = services.intake_for(client, create=False)
    signatures = db.session.scalars(select(ConsentSignature).where(
        ConsentSignature.client_id == client.id).order_by(ConsentSignature.signed_at)).all()
    results = db.session.scalars(select(MeasureResult).where(
        MeasureResult.client_id == client.id).order_by(MeasureResult.taken_at)).all()
    from portal.models.journal import JournalEntry
    journal = db.session.scalars(select(JournalEntry).where(
        JournalEntry.client_id == client.id).order_by(JournalEntry.written_on)).all()
    decision = intake.latest_decision if intake else None
    return {
        "account": {"name": client.name, "email": client.email, "time_zone": client.timezone,
                    "created_at": _iso(client.created_at)},
        "intake": None if intake is None else {
            "status": intake.status, "submitted_at": _iso(intake.submitted_at),
            "steps": {STEP_TITLES[row.step]: row.data for row in intake.steps
                      if row.step != "consents"},
            "decision": decision.label if decision else None,
        },
        "consents": [{"document": s.document.title, "version": s.document.version,
                      "signed_name": s.signed_name, "signed_at": _iso(s.signed_at), "ip": s.ip}
                     for s in signatures],
        "measures": [{"instrument": r.instrument, "taken_at": _iso(r.taken_at),
                      "source": r.source, **r.result} for r in results],
        "journal": [{"date": e.written_on.isoformat(), "mood": e.mood, "shared": e.shared,
                     "text": e.text} for e in journal],
    }
