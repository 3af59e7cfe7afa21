"""The client's PCL-5 and C-SSRS screener, each stored encrypted like the PHQ-9/GAD-7 (one
MeasureResult, audited; the caller commits once).

A moderate or high C-SSRS risk follows the PHQ-9 item-9 path: an urgent flag, the therapist's
email without health details (portal.intake.services.notify_therapist) and the crisis page.
"""
from portal.care import queries_measures
from portal.core import cssrs, measures
from portal.core.time import utcnow
from portal.core.vocabulary import FlagKind, Severity, Source
from portal.extensions import db
from portal.intake import services as intake_services
from portal.models.measure import MeasureResult, SafetyFlag
from portal.security.audit import record


def record_pcl5(client, form):
    """Store a valid PCL-5 (items, total, band)."""
    items = measures.items_from(form.data, "pcl5")
    return intake_services.store_measure(client, measures.score("pcl5", items), items,
                                         source=Source.CHECKIN)


def record_cssrs(client, answers):
    """Store the screener's asked answers and risk; True when it raised the safety path."""
    result = cssrs.score(answers)
    row = MeasureResult(client_id=client.id, instrument=cssrs.KEY, source=Source.CHECKIN,
                        result={"answers": result.answers, "risk": result.risk,
                                "total": sum(result.answers.values()),
                                "band": cssrs.RISK_LABELS[result.risk].lower()})
    db.session.add(row)
    db.session.flush()
    record("measure_recorded", actor=client, obj=("measure_result", row.id),
           detail=f"{cssrs.KEY} {Source.CHECKIN}")
    if not result.raises_flag:
        return False
    flag = SafetyFlag(client_id=client.id, kind=FlagKind.CSSRS.value,
                      severity=Severity.URGENT.value, code=f"cssrs_{result.risk}",
                      source=Source.CHECKIN.value)
    db.session.add(flag)
    db.session.flush()
    record("safety_flag_raised", actor=client, obj=("safety_flag", flag.id), detail="cssrs")
    intake_services.notify_therapist(client, "urgent_flag")
    return True


def view_scores(client):
    """The client's own scores page; the viewing is audited."""
    data = queries_measures.my_scores(client, queries_measures.waiting(client, utcnow()))
    record("measures_viewed", actor=client, obj=("user", client.id))
    return data
