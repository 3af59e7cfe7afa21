"""The dosing-day record for therapists (/therapist/dosing/<appointment id>): the page beside the
client, its printable view, signing, and addenda once signed. The sections' saves are in
routes_sections.py. Therapists of the session only; an admin reads another therapist's record
under break-glass (read-only); anyone else gets 404 (clients 403). Every view is audited.
"""
from flask import flash, redirect, url_for
from flask_login import current_user

from portal.core.vocabulary import CLINICIANS
from portal.dosing import queries, services
from portal.dosing.blueprint import bp
from portal.dosing.forms import AddendumForm
from portal.dosing.pages import LOCKED, render_record
from portal.extensions import db
from portal.models.dosing import RecordLocked
from portal.security.access import role_required


@bp.get("/<int:appointment_id>")
@role_required(*CLINICIANS)
def record(appointment_id):
    """Therapists: the dosing-day record of their in-person dosing session (audited)."""
    return render_record(queries.dosing_appointment(current_user, appointment_id))


@bp.get("/<int:appointment_id>/print")
@role_required(*CLINICIANS)
def print_record(appointment_id):
    """Therapists: the record as a printable page, no forms (print or save as PDF; audited)."""
    return render_record(queries.dosing_appointment(current_user, appointment_id), printing=True)


@bp.post("/<int:appointment_id>/sign")
@role_required(*CLINICIANS)
def sign(appointment_id):
    """Therapists: sign and lock a complete record; an incomplete one is refused with the list
    of what is missing."""
    appointment = queries.dosing_appointment(current_user, appointment_id, write=True)
    try:
        services.sign(appointment, current_user)
    except services.Incomplete as exc:
        db.session.rollback()
        return render_record(appointment, errors={"sign": exc.missing}, status=409)
    except RecordLocked:
        db.session.rollback()
        flash(LOCKED, "warning")
        return render_record(appointment, status=409)
    db.session.commit()
    flash("Dosing record signed and locked. Later changes can be added as addenda.", "success")
    return redirect(url_for("dosing.record", appointment_id=appointment.id, _anchor="signature"))


@bp.post("/<int:appointment_id>/addenda")
@role_required(*CLINICIANS)
def add_addendum(appointment_id):
    """Therapists: add a dated addendum to a signed record."""
    appointment = queries.dosing_appointment(current_user, appointment_id, write=True)
    found = queries.record_of(appointment)
    if found is None or not found.signed:
        flash("Addenda are added to signed records; change the record itself instead.",
              "warning")
        return render_record(appointment, status=409)
    form = AddendumForm()
    if not form.validate_on_submit():
        return render_record(appointment, forms={"addendum": form}, status=400)
    services.add_addendum(found, form.text.data, current_user)
    db.session.commit()
    flash("Addendum added.", "success")
    return redirect(url_for("dosing.record", appointment_id=appointment.id, _anchor="addenda"))
