"""Client views for measurement-based care: the PCL-5 and the C-SSRS screener (its branching in
server-side pages), and the client's own scores over time."""
from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user

from portal.care import forms_measures as forms
from portal.care import services_measures
from portal.care.blueprint import bp
from portal.core import cssrs
from portal.core.measures import PCL5, PCL5_STEM
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.security.access import role_required

THANKS = "Thank you for checking in. Your therapist will see your answers."


@bp.route("/checkins/pcl5", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def pcl5():
    """Clients: answer the PCL-5 (20 questions about a very stressful experience)."""
    form = forms.Pcl5Form()
    if form.validate_on_submit():
        services_measures.record_pcl5(current_user, form)
        db.session.commit()
        flash(THANKS, "success")
        return redirect(url_for("care.my_scores"))
    return render_template("care/pcl5.html", form=form, scale=PCL5, stem=PCL5_STEM), \
        400 if form.is_submitted() else 200


@bp.route("/checkins/cssrs", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def cssrs_screener():
    """Clients: the C-SSRS screener, a page at a time (only the questions its branching asks);
    a moderate or high risk leads to the crisis page."""
    form = forms.CssrsForm()
    valid = form.validate_on_submit()
    answers = forms.cssrs_answers(form) if valid else {}
    shown = forms.cssrs_shown(form) if valid else []
    unanswered = [key for key in shown if key not in answers]
    for key in unanswered:
        form[key].errors = ["Please answer yes or no."]
    if valid and answers and not unanswered and not forms.cssrs_page(answers):
        raised = services_measures.record_cssrs(current_user, answers)
        db.session.commit()
        if raised:
            session["crisis_notice"] = True
            return redirect(url_for("main.crisis"))
        flash(THANKS, "success")
        return redirect(url_for("care.my_scores"))
    page = unanswered or forms.cssrs_page(answers)
    form.shown.data = ",".join(page)
    return render_template("care/cssrs.html", form=form, page=page, stem=cssrs.STEM,
                           kept={k: v for k, v in answers.items() if k not in page}), \
        400 if unanswered or (form.is_submitted() and not valid) else 200


@bp.get("/my-scores")
@role_required(Role.CLIENT)
def my_scores():
    """Clients: their own scores over time, with the charts' text versions (audited)."""
    data = services_measures.view_scores(current_user)
    db.session.commit()
    return render_template("care/my_scores.html", **data)
