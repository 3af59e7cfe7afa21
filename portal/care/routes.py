"""Client views: PHQ-9/GAD-7 check-ins, re-consent and "my data" (export, printable record,
access log)."""
from flask import Response, flash, json, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.care import services
from portal.care.blueprint import bp
from portal.care.consents import needs_reconsent
from portal.care.forms import CheckinForm
from portal.care.labels import SECTIONS, label_of, shown
from portal.care.queries import for_json
from portal.care.queries_access import LIMIT
from portal.core.measures import SCALES, STEM
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.intake.services import legal_name_of
from portal.intake.steps import ConsentsForm
from portal.security.access import role_required


@bp.route("/checkins/new", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def checkin():
    """Clients: answer the PHQ-9 and GAD-7 now; item 9 above 0 leads to the crisis page."""
    form = CheckinForm()
    if form.validate_on_submit():
        raised = services.record_checkin(current_user, form)
        db.session.commit()
        if raised:
            session["crisis_notice"] = True
            return redirect(url_for("main.crisis"))
        flash("Thank you for checking in. Your therapist will see your answers.", "success")
        return redirect(url_for("main.home"))
    return render_template("care/checkin.html", form=form, stem=STEM, scales=SCALES), \
        400 if form.is_submitted() else 200


@bp.get("/my-data")
@role_required(Role.CLIENT)
def my_data():
    """Clients: a printable page of everything in their record."""
    data = services.export_record(current_user, "html")
    db.session.commit()
    return render_template("care/my_data.html", data=data, sections=SECTIONS, label=label_of,
                           shown=shown)


@bp.get("/my-data/access")
@role_required(Role.CLIENT)
def access_log():
    """Clients: who else looked at or changed their record, and when (the viewing is audited)."""
    rows = services.access_log(current_user)
    db.session.commit()
    return render_template("care/access_log.html", rows=rows, limit=LIMIT)


@bp.get("/my-data.json")
@role_required(Role.CLIENT)
def my_data_json():
    """Clients: their whole record as a JSON download."""
    data = services.export_record(current_user, "json")
    db.session.commit()
    return Response(json.dumps(for_json(data), indent=2, ensure_ascii=False),
                    mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=my-record.json"})


@bp.route("/consents", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def reconsent():
    """Clients: sign new versions of consent documents they signed before."""
    documents = needs_reconsent(current_user)
    if not documents:
        return redirect(url_for("main.home"))
    form = ConsentsForm.build(None, formdata=request.form if request.method == "POST" else None,
                              documents=documents, legal_name=legal_name_of(current_user))
    if request.method == "POST" and form.validate():
        services.sign_reconsent(current_user, form)
        db.session.commit()
        flash("Thank you. Your signature is saved.", "success")
        return redirect(url_for("main.home"))
    return render_template("care/reconsent.html", form=form), \
        400 if request.method == "POST" else 200
