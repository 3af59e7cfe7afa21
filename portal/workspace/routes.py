"""Therapist views of the practice: the list of their clients (search, arc-of-care filter, latest
scores, next session), client invitations, and the consent documents (an admin publishes a new
version)."""
from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from portal.core.vocabulary import CLINICIANS, STAGE_LABELS, Role
from portal.extensions import db
from portal.models.consent import ConsentDocument
from portal.security.access import role_required
from portal.workspace import queries_clients, services
from portal.workspace.blueprint import bp
from portal.workspace.forms import InviteForm, PublishConsentForm

SEARCH_LIMIT = 100


def _render_clients(form):
    search = request.args.get("q", "").strip()[:SEARCH_LIMIT]
    status = request.args.get("status", "all")
    status = status if status in STAGE_LABELS else "all"
    rows = queries_clients.client_rows(current_user, datetime.now(UTC), search=search,
                                       status=status)
    total = queries_clients.client_count(current_user) if search or status != "all" else None
    return render_template("workspace/clients.html", rows=rows, form=form, search=search,
                           invites=queries_clients.open_invitations(current_user),
                           status=status, statuses=STAGE_LABELS, total=total)


@bp.get("/clients")
@role_required(*CLINICIANS)
def clients():
    """Therapists: their clients (searchable, filtered by arc status) and open invitations."""
    return _render_clients(InviteForm())


@bp.post("/clients/invite")
@role_required(*CLINICIANS)
def invite():
    """Therapists: email a client a link to register as their client (the answer is the same
    whether or not the email has an account; see services.invite_client)."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _render_clients(form), 400
    services.invite_client(form.email.data, current_user)
    db.session.commit()
    flash("Invitation sent.", "success")
    return redirect(url_for("workspace.clients"))


def _render_consents(form, status=200):
    documents = ConsentDocument.current()
    start = next((d for d in documents if d.kind == request.args.get("kind")), None)
    if start is not None and not form.is_submitted():
        form.kind.data, form.title.data, form.body.data = start.kind, start.title, start.body
    return render_template("workspace/consents.html", documents=documents, form=form), status


@bp.get("/consents")
@role_required(*CLINICIANS)
def consents():
    """Therapists and admins: the current consent documents; admins also the publishing form."""
    return _render_consents(PublishConsentForm())


# The documents are practice-wide: a new version makes every therapist's clients sign again, so
# only the practice's administrator publishes one (least privilege, ASVS V4.1.3).
@bp.post("/consents")
@role_required(Role.ADMIN)
def publish_consent():
    """Admins: publish a new version of a consent document (clients who signed must re-sign)."""
    form = PublishConsentForm()
    if not form.validate_on_submit():
        return _render_consents(form, 400)
    try:
        doc = services.publish_consent(form.kind.data, form.title.data, form.body.data,
                                       current_user)
        db.session.commit()
    except IntegrityError:  # someone published the same version number at the same moment
        db.session.rollback()
        flash("Someone else published a new version at the same moment. Please check the "
              "current version below and publish again if needed.", "warning")
        return redirect(url_for("workspace.consents"))
    flash(f"Published “{doc.title}” version {doc.version}. Clients who signed an earlier "
          f"version will be asked to sign it.", "success")
    return redirect(url_for("workspace.consents"))
