"""Session notes for therapists: write a draft from the session kind's template (autosaved),
sign and lock it, then add dated addenda. Never shown to clients (therapist and admin roles only);
another therapist's appointment gives 404. Every view and change is audited."""
from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.time import utcnow
from portal.core.vocabulary import CLINICIANS
from portal.extensions import db
from portal.models.notes import NoteLocked
from portal.security.access import role_required
from portal.security.audit import record
from portal.workspace import services_notes
from portal.workspace.blueprint import bp
from portal.workspace.forms import AddendumForm, content_of, labels, note_form_class
from portal.workspace.queries import note_appointment, note_of

LOCKED = "This note is signed and locked. Add an addendum instead."


def render_note(appointment, note, form=None, addendum_form=None, status=200):
    """The note page: the draft's form, or the signed note with its addenda."""
    if form is None:
        form = note_form_class(appointment.kind)(formdata=None,
                                                 data=note.content if note else None)
    return render_template("workspace/note.html", appointment=appointment, note=note,
                           form=form, labels=labels(appointment.kind),
                           addendum_form=addendum_form or AddendumForm(formdata=None)), status


@bp.get("/appointments/<int:appointment_id>/note")
@role_required(*CLINICIANS)
def note(appointment_id):
    """Therapists: the session note of their appointment (audited)."""
    appointment = note_appointment(current_user, appointment_id)
    found = note_of(appointment)
    record("note_viewed", actor=current_user,
           obj=("session_note", found.id) if found else ("appointment", appointment.id))
    db.session.commit()
    return render_note(appointment, found)


@bp.post("/appointments/<int:appointment_id>/note")
@role_required(*CLINICIANS)
def save_note(appointment_id):
    """Therapists: save the draft, or (action=sign) save it and sign and lock it."""
    appointment = note_appointment(current_user, appointment_id, write=True)
    found = note_of(appointment)
    if found is not None and found.signed:
        flash(LOCKED, "warning")
        return render_note(appointment, found, status=409)
    form = note_form_class(appointment.kind)()
    if not form.validate_on_submit():
        return render_note(appointment, found, form=form, status=400)
    content = content_of(form, appointment.kind)
    if request.form.get("action") == "sign":
        services_notes.sign(appointment, content, current_user)
        flash("Note signed and locked. Later changes can be added as addenda.", "success")
    else:
        services_notes.save_draft(appointment, content, current_user)
        flash("Draft saved.", "success")
    db.session.commit()
    return redirect(url_for("workspace.note", appointment_id=appointment.id))


@bp.post("/appointments/<int:appointment_id>/note/autosave")
@role_required(*CLINICIANS)
def autosave_note(appointment_id):
    """Therapists' note page script: keep the draft while they type (JSON)."""
    appointment = note_appointment(current_user, appointment_id, write=True)
    form = note_form_class(appointment.kind)()
    if not form.validate_on_submit():
        return jsonify(error={"status": 400, "message": "Not saved: please check the fields.",
                              "fields": sorted(form.errors)}), 400
    try:
        services_notes.save_draft(appointment, content_of(form, appointment.kind), current_user,
                         event="note_autosaved")
    except NoteLocked:
        db.session.rollback()
        return jsonify(error={"status": 409, "message": LOCKED}), 409
    db.session.commit()
    return jsonify(saved_at=utcnow().isoformat())


@bp.post("/appointments/<int:appointment_id>/note/addenda")
@role_required(*CLINICIANS)
def add_addendum(appointment_id):
    """Therapists: add a dated addendum to a signed note."""
    appointment = note_appointment(current_user, appointment_id, write=True)
    found = note_of(appointment)
    if found is None or not found.signed:
        flash("Addenda are added to signed notes; edit the draft instead.", "warning")
        return render_note(appointment, found, status=409)
    form = AddendumForm()
    if not form.validate_on_submit():
        return render_note(appointment, found, addendum_form=form, status=400)
    services_notes.add_addendum(found, form.text.data, current_user)
    db.session.commit()
    flash("Addendum added.", "success")
    return redirect(url_for("workspace.note", appointment_id=appointment.id, _anchor="addenda"))
