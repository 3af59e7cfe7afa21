"""Client views of the intake: each step, autosave, review, submit and amendment requests."""
from flask import abort, flash, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.core.measures import SCALES, STEM
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.intake import services
from portal.intake.blueprint import bp
from portal.intake.forms import AmendmentForm
from portal.intake.steps import STEP_FORMS, STEP_TITLES, next_step, previous_step
from portal.models.intake import STEPS
from portal.security.access import role_required


def _render_step(intake, step, form, status=200):
    return render_template("intake/step.html", intake=intake, step=step, form=form,
                           steps=STEPS, titles=STEP_TITLES, index=STEPS.index(step),
                           done=intake.completed_steps(), previous=previous_step(step),
                           stem=STEM, scales=SCALES), status


def _valid_step(step):
    if step not in STEP_FORMS:
        abort(404)
    return step


@bp.get("/")
@role_required(Role.CLIENT)
def start():
    """Clients: continue the intake where they left off (or see it once submitted)."""
    intake = services.intake_for(current_user)
    db.session.commit()
    if intake.submitted:
        return redirect(url_for("intake.review"))
    return redirect(url_for("intake.step", step=intake.current_step))


@bp.get("/<step>")
@role_required(Role.CLIENT)
def step(step):
    """Clients: one step of the intake, filled with what they saved before."""
    intake = services.intake_for(current_user)
    db.session.commit()
    if intake.submitted:
        return redirect(url_for("intake.review"))
    step = _valid_step(step)
    return _render_step(intake, step, services.form_for(step, intake))


@bp.post("/<step>")
@role_required(Role.CLIENT)
def save_step(step):
    """Clients: save the step; "Next" also checks it and moves on, "Back" never loses answers."""
    intake = services.intake_for(current_user)
    if intake.submitted:
        return redirect(url_for("intake.review"))
    step = _valid_step(step)
    action = request.form.get("action", "next")
    form, completed = services.save_step(intake, step, action, request.form)
    db.session.commit()
    if completed:
        if step == "measures" and str(form.phq9_9.data) not in ("0", "None"):
            session["crisis_notice"] = True
            return redirect(url_for("main.crisis", next=url_for("intake.start")))
        return redirect(url_for("intake.step", step=next_step(step))
                        if next_step(step) else url_for("intake.review"))
    if action == "back" and previous_step(step):
        return redirect(url_for("intake.step", step=previous_step(step)))
    if action == "save":
        flash("Saved. You can come back any time; we keep your answers.", "success")
        return redirect(url_for("intake.step", step=step))
    return _render_step(intake, step, form, status=200 if action == "add_row" else 400)


@bp.post("/<step>/autosave")
@role_required(Role.CLIENT)
def autosave(step):
    """Clients' browsers: save the step's draft while they type (no validation, JSON answer)."""
    intake = services.intake_for(current_user)
    if step not in STEP_FORMS:
        return jsonify(error={"status": 404, "message": "Unknown step."}), 404
    if intake.submitted:
        return jsonify(error={"status": 409, "message": "Your intake is already submitted."}), 409
    services.autosave(intake, step, request.form)
    db.session.commit()
    return jsonify(saved=True, at=intake.updated_at.isoformat())


@bp.get("/review")
@role_required(Role.CLIENT)
def review():
    """Clients: every answer on one page before the final submit (read-only once submitted)."""
    intake = services.intake_for(current_user)
    db.session.commit()
    return render_template("intake/review.html", intake=intake, steps=STEPS, titles=STEP_TITLES,
                           missing=services.missing_steps(intake),
                           forms=services.review_forms(intake), amendment=AmendmentForm())


@bp.post("/submit")
@role_required(Role.CLIENT)
def submit():
    """Clients: send the finished intake to the therapist; it is read-only afterwards."""
    intake = services.intake_for(current_user)
    missing = services.missing_steps(intake)
    if missing:
        flash(f"Please finish “{STEP_TITLES[missing[0]]}” first.", "warning")
        return redirect(url_for("intake.step", step=missing[0]))
    item9 = services.submit(intake)
    db.session.commit()
    flash("Thank you. Your intake is with your therapist, who will be in touch.", "success")
    if item9:
        session["crisis_notice"] = True
        return redirect(url_for("main.crisis"))
    return redirect(url_for("intake.review"))


@bp.post("/amendment")
@role_required(Role.CLIENT)
def request_amendment():
    """Clients: ask the therapist to change something in a submitted intake."""
    intake = services.intake_for(current_user)
    form = AmendmentForm()
    if not intake.submitted or not form.validate_on_submit():
        flash("Please write what you would like to change (up to 2,000 characters).", "error")
        return redirect(url_for("intake.review"))
    services.request_amendment(intake, form.message.data)
    db.session.commit()
    flash("Your request was sent to your therapist.", "success")
    return redirect(url_for("intake.review"))
