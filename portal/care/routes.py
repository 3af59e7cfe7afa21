"""Client views: PHQ-9/GAD-7 check-ins and "my data" (export, printable record, access log)."""
from flask import Response, flash, json, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.care.blueprint import bp
from portal.care.forms import CheckinForm
from portal.care.records import client_record
from portal.core import measures
from portal.core.measures import GAD7_ITEMS, PHQ9_DIFFICULTY, PHQ9_ITEMS, STEM
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.intake import services
from portal.security.access import role_required
from portal.security.audit import record


@bp.route("/checkins/new", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def checkin():
    """Clients: answer the PHQ-9 and GAD-7 now; item 9 above 0 leads to the crisis page."""
    form = CheckinForm()
    if form.validate_on_submit():
        results = {}
        for instrument in ("phq9", "gad7"):
            items = measures.items_from(form.data, instrument)
            results[instrument] = measures.score(instrument, items)
            services.store_measure(current_user, results[instrument], items, source="checkin",
                                  difficulty=form.phq9_difficulty.data)
        raised = services.check_item9(current_user, form.phq9_9.data, source="checkin")
        db.session.commit()
        if raised:
            session["crisis_notice"] = True
            return redirect(url_for("main.crisis"))
        flash("Thank you for checking in. Your therapist will see your answers.", "success")
        return redirect(url_for("main.home"))
    return render_template("care/checkin.html", form=form, stem=STEM, phq9=PHQ9_ITEMS,
                           gad7=GAD7_ITEMS, difficulty=PHQ9_DIFFICULTY[0]), \
        400 if form.is_submitted() else 200


@bp.get("/my-data")
@role_required(Role.CLIENT)
def my_data():
    """Clients: a printable page of everything in their record."""
    data = client_record(current_user)
    record("record_exported", actor=current_user, obj=("user", current_user.id), detail="html")
    db.session.commit()
    return render_template("care/my_data.html", data=data)


@bp.get("/my-data/access")
@role_required(Role.CLIENT)
def access_log():
    """Clients: who else looked at or changed their record, and when (the viewing is audited)."""
    from portal.care.access_log import LIMIT, accesses
    rows = accesses(current_user)
    record("access_log_viewed", actor=current_user, obj=("user", current_user.id))
    db.session.commit()
    return render_template("care/access_log.html", rows=rows, limit=LIMIT)


@bp.get("/my-data.json")
@role_required(Role.CLIENT)
def my_data_json():
    """Clients: their whole record as a JSON download."""
    data = client_record(current_user)
    record("record_exported", actor=current_user, obj=("user", current_user.id), detail="json")
    db.session.commit()
    return Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": "attachment; filename=my-record.json"})


@bp.route("/consents", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def reconsent():
    """Clients: sign new versions of consent documents they signed before."""
    from portal.care.consents import needs_reconsent
    from portal.intake.steps import ConsentsForm
    documents = needs_reconsent(current_user)
    if not documents:
        return redirect(url_for("main.home"))
    form = ConsentsForm.build(None, formdata=request.form if request.method == "POST" else None,
                              documents=documents)
    if request.method == "POST" and form.validate():
        services.sign_consents(current_user, form)
        db.session.commit()
        flash("Thank you. Your signature is saved.", "success")
        return redirect(url_for("main.home"))
    return render_template("care/reconsent.html", form=form), \
        400 if request.method == "POST" else 200
