"""Therapist review of a client's intake (flags, scores, answers, consents, decision), its printable
view, safety-flag acknowledgement, measures over time and publishing consent documents.

A clinician sees only their own clients (an admin sees another therapist's client only under an
active break-glass grant, read-only); another client's id gives 404. Every view and change of PHI
is audited.
"""
from typing import NamedTuple

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.core import measures
from portal.core.time import utcnow, viewer_zone
from portal.core.vocabulary import CONSENT_TITLES, DECISION_LABELS, ConsentKind, Decision, FlagKind, Role
from portal.extensions import db
from portal.intake import rules, services
from portal.intake.steps import STEP_TITLES
from portal.models.breakglass import BreakGlassGrant
from portal.models.consent import ConsentDocument, ConsentSignature, unsigned_current
from portal.models.intake import STEPS, AmendmentRequest, ReviewDecision
from portal.models.measure import MeasureResult, SafetyFlag
from portal.models.user import User
from portal.security.access import get_or_404_for, role_required
from portal.security.audit import record
from portal.security.redirects import safe_next
from portal.workspace import chart
from portal.workspace.blueprint import bp
from portal.workspace.forms_review import AcknowledgeForm, DecisionForm, PublishConsentForm

CLINICIANS = (Role.THERAPIST, Role.ADMIN)
URGENT = "urgent"
GROUP_ORDER = (URGENT, *rules.SEVERITY_ORDER)
GROUP_LABELS = {URGENT: "Urgent", **rules.SEVERITY_LABELS}
ITEM9_TITLE = "PHQ-9 item 9 above 0: thoughts of being better off dead or of self-harm"
SOURCES = {"intake": "the intake questionnaire", "checkin": "a check-in",
           "post_dosing": "the check-in after a dosing session"}


class FlagEntry(NamedTuple):
    severity: str
    title: str
    detail: str
    open_flag: SafetyFlag | None


class IntakeScore(NamedTuple):
    name: str
    total: int
    maximum: int
    band: str
    item9_positive: bool
    recorded: bool  # False when computed from the answers (no stored result)


def own_client(client_id, write=False):
    """The client with this id if they are the current clinician's; else 404.

    An admin who is not the client's therapist may read (never write) under an active
    break-glass grant; each such read is audited with outcome "break_glass".
    """
    client = db.session.get(User, client_id)
    if client is None or not client.is_client:
        abort(404)
    if client.therapist_id == current_user.id:
        return client
    grants = [] if write or not current_user.is_admin else BreakGlassGrant.active_for(
        current_user.id, client.id)
    if not grants:
        abort(404)
    record("break_glass_read", actor=current_user, obj=("user", client.id),
           outcome="break_glass", detail=f"grant {grants[0].id} {request.endpoint}")
    return client


def flag_groups(client, intake):
    """[(severity, label, [FlagEntry])], most urgent first: open item-9 flags, then the rules'
    flags for the answers (each with its open SafetyFlag, if any), then other open flags."""
    open_flags = db.session.scalars(select(SafetyFlag).where(
        SafetyFlag.client_id == client.id, SafetyFlag.acknowledged_at.is_(None))
        .order_by(SafetyFlag.created_at, SafetyFlag.id)).all()
    groups = {key: [] for key in GROUP_ORDER}
    unmatched = []
    for flag in open_flags:
        if flag.kind == FlagKind.ITEM9:
            groups[URGENT].append(FlagEntry(URGENT, ITEM9_TITLE, f"Answered above 0 in "
                                            f"{SOURCES.get(flag.source, flag.source)}.", flag))
        else:
            unmatched.append(flag)
    for found in rules.evaluate(intake.all_answers()) if intake else []:
        row = next((f for f in unmatched if f.code == found.code), None)
        if row is not None:
            unmatched.remove(row)
        groups[found.severity].append(FlagEntry(found.severity, found.title, found.detail, row))
    for flag in unmatched:
        severity = flag.severity if flag.severity in groups else URGENT
        groups[severity].append(FlagEntry(severity, flag.code.replace("_", " ").capitalize(),
                                          f"Raised from {SOURCES.get(flag.source, flag.source)}.",
                                          flag))
    return [(key, GROUP_LABELS[key], groups[key]) for key in GROUP_ORDER if groups[key]]


def intake_scores(client, intake):
    """PHQ-9 and GAD-7 at intake: the stored results, else computed from the answers."""
    rows = db.session.scalars(select(MeasureResult).where(
        MeasureResult.client_id == client.id, MeasureResult.source == "intake")
        .order_by(MeasureResult.taken_at, MeasureResult.id)).all()
    latest = {row.instrument: row for row in rows}
    answers = intake.answers("measures") if intake else {}
    scores = []
    for instrument, name in ((s.key, s.name) for s in measures.SCALES.values()):
        maximum = measures.SCALES[instrument].max_score
        if instrument in latest:
            row = latest[instrument]
            scores.append(IntakeScore(name, row.total, maximum, row.band, row.item9_positive, True))
            continue
        try:
            s = measures.score(instrument, measures.items_from(answers, instrument))
        except (KeyError, TypeError, ValueError):
            continue  # not answered yet
        scores.append(IntakeScore(name, s.total, maximum, s.band, s.item9_positive, False))
    return scores


def render_review(client, template="workspace/intake_review.html", event="intake_viewed",
                  status=200, decision_form=None, ack_forms=None):
    """The whole intake for the therapist (audited as `event`); forms only on the review page."""
    intake = services.intake_for(client, create=False)
    groups = flag_groups(client, intake)
    forms = {e.open_flag.id: AcknowledgeForm(formdata=None, prefix=f"flag{e.open_flag.id}")
             for _, _, entries in groups for e in entries if e.open_flag is not None}
    forms.update(ack_forms or {})
    signatures = db.session.scalars(select(ConsentSignature).where(
        ConsentSignature.client_id == client.id).order_by(ConsentSignature.signed_at)).all()
    amendments = [] if intake is None else db.session.scalars(select(AmendmentRequest).where(
        AmendmentRequest.intake_id == intake.id, AmendmentRequest.resolved_at.is_(None))
        .order_by(AmendmentRequest.created_at)).all()
    record(event, actor=current_user, obj=("intake", intake.id) if intake else ("user", client.id))
    db.session.commit()
    return render_template(
        template, client=client, intake=intake, flag_groups=groups, ack_forms=forms,
        scores=intake_scores(client, intake), steps=[s for s in STEPS if s != "consents"],
        titles=STEP_TITLES, answers={} if intake is None else {
            s: services.form_for(s, intake) for s in STEPS
            if s != "consents" and intake.step(s) is not None},
        signatures=signatures, unsigned=unsigned_current(client.id), amendments=amendments,
        decision_form=decision_form or DecisionForm(formdata=None),
        printing=template.endswith("_print.html"), now=utcnow()), status


@bp.get("/clients/<int:client_id>/intake")
@role_required(*CLINICIANS)
def intake_review(client_id):
    """Therapists: a client's intake with flags, scores, answers, consents and the decision form."""
    return render_review(own_client(client_id))


@bp.get("/clients/<int:client_id>/intake/print")
@role_required(*CLINICIANS)
def intake_print(client_id):
    """Therapists: the whole intake as a printable page (no forms)."""
    return render_review(own_client(client_id), template="workspace/intake_print.html",
                         event="intake_printed")


@bp.post("/clients/<int:client_id>/intake/decision")
@role_required(*CLINICIANS)
def intake_decision(client_id):
    """Therapists: record eligible / needs clearance / not eligible on a submitted intake."""
    client = own_client(client_id, write=True)
    intake = services.intake_for(client, create=False)
    form = DecisionForm()
    if intake is None or not intake.submitted:
        flash("A decision can be recorded once the client has submitted their intake.", "warning")
        return render_review(client, decision_form=form, status=409)
    if not form.validate_on_submit():
        return render_review(client, decision_form=form, status=400)
    db.session.add(ReviewDecision(intake_id=intake.id, therapist_id=current_user.id,
                                  **form.values()))
    record("intake_decision", actor=current_user, obj=("intake", intake.id),
           detail=form.decision.data)
    db.session.commit()
    flash(f"Decision recorded: {DECISION_LABELS[Decision(form.decision.data)]}.", "success")
    return redirect(url_for("workspace.intake_review", client_id=client.id, _anchor="decisions"))


@bp.post("/flags/<int:flag_id>/acknowledge")
@role_required(*CLINICIANS)
def acknowledge_flag(flag_id):
    """Therapists: acknowledge a client's safety flag with a note; it leaves the open list."""
    flag = get_or_404_for(current_user, SafetyFlag, flag_id)
    own_client(flag.client_id, write=True)
    back = safe_next(request.form.get("next"),
                     url_for("workspace.intake_review", client_id=flag.client_id, _anchor="flags"))
    form = AcknowledgeForm(prefix=f"flag{flag.id}")
    if not flag.open:
        flash("This flag was already acknowledged.", "info")
        return redirect(back)
    if not form.validate_on_submit():
        return render_review(flag.client, ack_forms={flag.id: form}, status=400)
    flag.acknowledged_at, flag.acknowledged_by_id = utcnow(), current_user.id
    flag.acknowledgement_note = form.note.data
    record("safety_flag_acknowledged", actor=current_user, obj=("safety_flag", flag.id),
           detail=flag.code)
    db.session.commit()
    flash("Flag acknowledged.", "success")
    return redirect(back)


@bp.get("/clients/<int:client_id>/measures")
@role_required(*CLINICIANS)
def measures_over_time(client_id):
    """Therapists: a client's PHQ-9 and GAD-7 totals over time, as a chart and as tables."""
    client = own_client(client_id)
    rows = db.session.scalars(select(MeasureResult).where(MeasureResult.client_id == client.id)
                              .order_by(MeasureResult.taken_at, MeasureResult.id)).all()
    series = []
    for instrument, name in ((s.key, s.name) for s in measures.SCALES.values()):
        mine = [row for row in rows if row.instrument == instrument]
        points = [(row.taken_at, row.total, row.item9_positive) for row in mine]
        series.append({"key": instrument, "name": name, "rows": mine,
                       "svg": chart.svg_chart(points, instrument, tz=viewer_zone()),
                       "changes": chart.large_changes(points) if instrument == "phq9" else []})
    record("measures_viewed", actor=current_user, obj=("user", client.id))
    db.session.commit()
    return render_template("workspace/measures.html", client=client, series=series,
                           threshold=chart.CHANGE_THRESHOLD)


def publish_consent(kind, title, body, by):
    """A new version of a consent document; clients who signed an older one must re-sign."""
    current = next((d for d in ConsentDocument.current() if d.kind == kind), None)
    version = (db.session.scalar(select(func.max(ConsentDocument.version))
                                 .where(ConsentDocument.kind == kind)) or 0) + 1
    doc = ConsentDocument(kind=kind, version=version, body=body, published_by_id=by.id,
                          title=title or (current.title if current
                                          else CONSENT_TITLES[ConsentKind(kind)]))
    db.session.add(doc)
    db.session.flush()
    record("consent_published", actor=by, obj=("consent_document", doc.id),
           detail=f"{kind} v{version}")
    return doc


@bp.route("/consents", methods=["GET", "POST"])
@role_required(*CLINICIANS)
def consents():
    """Therapists and admins: the current consent documents; publish a new version of one."""
    form = PublishConsentForm()
    if form.validate_on_submit():
        try:
            doc = publish_consent(form.kind.data, form.title.data, form.body.data, current_user)
            db.session.commit()
        except IntegrityError:  # someone published the same version number at the same moment
            db.session.rollback()
            flash("Someone else published a new version at the same moment. Please check the "
                  "current version below and publish again if needed.", "warning")
            return redirect(url_for("workspace.consents"))
        flash(f"Published “{doc.title}” version {doc.version}. Clients who signed an earlier "
              f"version will be asked to sign it.", "success")
        return redirect(url_for("workspace.consents"))
    documents = ConsentDocument.current()
    start = next((d for d in documents if d.kind == request.args.get("kind")), None)
    if start is not None and not form.is_submitted():
        form.kind.data, form.title.data, form.body.data = start.kind, start.title, start.body
    return render_template("workspace/consents.html", documents=documents, form=form), \
        400 if form.is_submitted() else 200
