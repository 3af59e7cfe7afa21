"""Client view: the short check-in the day after a dosing session (one per session)."""
from datetime import UTC, datetime

from flask import flash, redirect, render_template, session, url_for
from flask_login import current_user

from portal.care import queries, services
from portal.care.blueprint import bp
from portal.care.forms import PostDosingForm
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.security.access import role_required


def _thanks():
    return render_template("care/post_dosing.html", form=None, sent=True)


@bp.route("/checkins/after-dosing/<int:appointment_id>", methods=["GET", "POST"])
@role_required(Role.CLIENT)
def post_dosing(appointment_id):
    """The client of an ended dosing session: how they are the day after (worrying answers flag)."""
    appointment = queries.ended_dosing(current_user, appointment_id, datetime.now(UTC))
    if queries.post_dosing_sent(appointment):
        db.session.commit()
        return _thanks()
    form = PostDosingForm()
    if form.validate_on_submit():
        reasons = services.submit_post_dosing(current_user, appointment, form.answers())
        if reasons is None:  # a second submit won the race a moment ago
            return _thanks()
        db.session.commit()
        if reasons:
            session["crisis_notice"] = True
            return redirect(url_for("main.crisis"))
        flash("Thank you for telling us how you are. Your therapist will see your answers.",
              "success")
        return redirect(url_for("main.home"))
    db.session.commit()
    return render_template("care/post_dosing.html", form=form, sent=False,
                           appointment=appointment), 400 if form.is_submitted() else 200
