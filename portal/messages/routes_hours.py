"""The therapist's response hours for messages (/messages/hours): the days and times they
answer, in their own zone; clients writing outside them are told when to expect an answer."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.core.vocabulary import CLINICIANS
from portal.extensions import db
from portal.messages import queries, services
from portal.messages.blueprint import bp
from portal.messages.forms import HoursForm
from portal.messages.hours import describe
from portal.security.access import role_required


@bp.route("/hours", methods=["GET", "POST"])
@role_required(*CLINICIANS)
def hours():
    """Therapists: state the days and times they answer messages."""
    current = queries.hours_of(current_user)
    form = HoursForm(data={"weekdays": list(current.days), "starts": current.starts,
                           "ends": current.ends})
    if form.validate_on_submit():
        services.save_hours(current_user, form.weekdays.data, form.starts.data, form.ends.data)
        db.session.commit()
        flash("Your response hours are saved.", "success")
        return redirect(url_for("messages.hours"))
    return render_template("messages/hours.html", form=form, hours=describe(current)), \
        400 if form.is_submitted() else 200
