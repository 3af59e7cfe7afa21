"""Therapist review of a client's intake (flags, scores, answers, consents, decision), its printable
view, and safety-flag acknowledgement.

A clinician sees only their own clients (an admin sees another therapist's client only under an
active break-glass grant, read-only); another client's id gives 404. Every view and change of PHI
is audited.
"""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from portal.core.time import utcnow
from portal.core.vocabulary import CLINICIANS, DECISION_LABELS, Decision
from portal.extensions import db
from portal.models.measure import SafetyFlag
from portal.security.access import get_or_404_for, role_required
from portal.security.audit import record
from portal.security.redirects import safe_next
from portal.workspace import queries_review, services
from portal.workspace.blueprint import bp
from portal.workspace.forms import AcknowledgeForm
from portal.workspace.forms_review import DecisionForm
from portal.workspace.queries import own_client


def render_review(client, template="workspace/intake_review.html", event="intake_viewed",
                  status=200, decision_form=None, ack_forms=None):
    """The whole intake for the therapist (audited as `event`); forms only on the review page."""
    intake = queries_review.intake_of(client)
    record(event, actor=current_user, obj=("intake", intake.id) if intake else ("user", client.id))
    db.session.commit()  # before loading: a commit would expire every row the page shows
    data = queries_review.review(client, intake)
    forms = {e.open_flag.id: AcknowledgeForm(formdata=None, prefix=f"flag{e.open_flag.id}")
             for _, _, entries in data["flag_groups"] for e in entries if e.open_flag is not None}
    forms.update(ack_forms or {})
    blocking = queries_review.decision_flags(data["flag_groups"])
    decision_form = (decision_form or DecisionForm(formdata=None)).name_open_flags(blocking) \
        .list_open_flags()
    return render_template(
        template, client=client, **data, ack_forms=forms, decision_form=decision_form,
        blocking=blocking, printing=template.endswith("_print.html"), now=utcnow()), status


@bp.get("/clients/<int:client_id>/intake")
@role_required(*CLINICIANS)
def intake_review(client_id):
    """Therapists: a client's intake with flags, scores, answers, consents and the decision form."""
    return render_review(own_client(current_user, client_id))


@bp.get("/clients/<int:client_id>/intake/print")
@role_required(*CLINICIANS)
def intake_print(client_id):
    """Therapists: the whole intake as a printable page (no forms)."""
    return render_review(own_client(current_user, client_id),
                         template="workspace/intake_print.html", event="intake_printed")


@bp.post("/clients/<int:client_id>/intake/decision")
@role_required(*CLINICIANS)
def intake_decision(client_id):
    """Therapists: record eligible / needs clearance / not eligible on a submitted intake;
    "eligible" with urgent or clearance flags open only with each acknowledged or named in the
    confirmation with a reason. The client is emailed (no health details)."""
    client = own_client(current_user, client_id, write=True)
    intake = queries_review.intake_of(client)
    form = DecisionForm()
    if intake is None or not intake.submitted:
        flash("A decision can be recorded once the client has submitted their intake.", "warning")
        return render_review(client, decision_form=form, status=409)
    form.name_open_flags(queries_review.decision_flags(queries_review.flag_groups(client, intake)))
    if not form.validate_on_submit():
        return render_review(client, decision_form=form, status=400)
    services.record_decision(intake, form.values(), current_user)
    services.tell_client_of_decision(client)
    db.session.commit()
    flash(f"Decision recorded: {DECISION_LABELS[Decision(form.decision.data)]}. {client.name} "
          "has been emailed to sign in and see it.", "success")
    return redirect(url_for("workspace.intake_review", client_id=client.id, _anchor="decisions"))


@bp.post("/flags/<int:flag_id>/acknowledge")
@role_required(*CLINICIANS)
def acknowledge_flag(flag_id):
    """Therapists: acknowledge a client's safety flag with a note; it leaves the open list."""
    flag = get_or_404_for(current_user, SafetyFlag, flag_id)
    own_client(current_user, flag.client_id, write=True)
    back = safe_next(request.form.get("next"),
                     url_for("workspace.intake_review", client_id=flag.client_id, _anchor="flags"))
    form = AcknowledgeForm(prefix=f"flag{flag.id}")
    if not flag.open:
        flash("This flag was already acknowledged.", "info")
        return redirect(back)
    if not form.validate_on_submit():
        return render_review(flag.client, ack_forms={flag.id: form}, status=400)
    services.acknowledge_flag(flag, form.note.data, current_user)
    db.session.commit()
    flash("Flag acknowledged.", "success")
    return redirect(back)
