"""The record page and its printable view, shared by the views: the forms of every section
filled from the record (or, after a refused save, the one the therapist sent back with its
errors), rendered after the view's audit row is committed."""
from flask import render_template
from flask_login import current_user

from portal.core.time import utcnow, viewer_zone
from portal.core.vocabulary import DosingCheck
from portal.dosing import queries, rules
from portal.dosing.forms import (
    AddendumForm,
    DischargeForm,
    DoseForm,
    MonitorForm,
    ObservationsForm,
    OverrideForm,
    VitalsForm,
)
from portal.extensions import db
from portal.security.audit import record as audit
from portal.workspace.forms import AcknowledgeForm

LOCKED = "This record is signed and locked. Add an addendum instead."


def next_check(record):
    """The check a new reading most likely is: the first of the timed checks not done yet."""
    vitals = record.vitals or []
    for check in (DosingCheck.PRE_DOSE, DosingCheck.PLUS_40, DosingCheck.DISCHARGE):
        if rules.latest(vitals, check)[1] is None and (check == DosingCheck.PRE_DOSE
                                                      or record.dose):
            return check.value
    return DosingCheck.OTHER.value


def section_forms(record, zone, now):
    """Every section's form with the record's values (times as the viewer's wall clock)."""
    clock = now.astimezone(zone).time().replace(second=0, microsecond=0)
    dose = dict(record.dose or {})
    given = rules.when(dose.get("given_at"))
    dose["given_at"] = given.astimezone(zone).time() if given else clock
    observations = dict(record.observations or {})
    if observations.get("intensity") is not None:
        observations["intensity"] = str(observations["intensity"])
    return {
        "vitals": VitalsForm(formdata=None, data={"check": next_check(record), "taken_at": clock}),
        "monitor": MonitorForm(formdata=None, data={"monitor_name": record.monitor_name}),
        "override": OverrideForm(formdata=None),
        "dose": DoseForm(formdata=None, data=dose),
        "observations": ObservationsForm(formdata=None, data=observations),
        "discharge": DischargeForm(formdata=None, data=record.discharge or {}),
        "addendum": AddendumForm(formdata=None),
    }


def render_record(appointment, forms=None, errors=None, status=200, printing=False):
    """The record page (audited as one view per render; the printable view as one print)."""
    found = queries.record_of(appointment)
    audit("dosing_record_printed" if printing else "dosing_record_viewed", actor=current_user,
          obj=("dosing_record", found.id) if found else ("appointment", appointment.id))
    db.session.commit()  # before loading: a commit would expire every row the page shows
    now, zone = utcnow(), viewer_zone()
    data = queries.page(appointment, now)
    shown = section_forms(data["record"], zone, now)
    shown.update(forms or {})
    ack_forms = {flag.id: AcknowledgeForm(formdata=None, prefix=f"flag{flag.id}")
                 for flag, _ in data["open_concerns"]}
    can_write = appointment.therapist_id == current_user.id and not printing
    return render_template("dosing/print.html" if printing else "dosing/record.html", **data,
                           forms=shown, errors=errors or {}, ack_forms=ack_forms, now=now,
                           can_write=can_write, printing=printing,
                           countdown=rules.countdown), status
