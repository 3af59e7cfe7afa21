"""The therapist's landing page: urgent flags, today's and tomorrow's sessions, intakes to
review, dosing sessions soon with readiness answers, and clients who have gone quiet."""
from datetime import UTC, datetime

from flask import render_template, request
from flask_login import current_user

from portal.core.time import viewer_zone
from portal.core.vocabulary import CLINICIANS
from portal.extensions import db
from portal.security.access import role_required
from portal.security.audit import record
from portal.workspace import queries_dashboard
from portal.workspace.blueprint import bp
from portal.workspace.forms import AcknowledgeForm
from portal.workspace.row_links import RowLinks

QUIET_SHOWN = 15  # the longest silences; "Show all" lists the rest on request
# The blank acknowledge form's prefix; the page gives each flag's form "flag<id>-" in its place,
# the prefix routes_review.acknowledge_flag reads.
ACK_PREFIX = "flag"


@bp.get("/dashboard")
@role_required(*CLINICIANS)
def dashboard_page():
    """Therapists: what needs attention today, urgent flags first (audited: it shows PHI)."""
    record("dashboard_viewed", actor=current_user)
    zone, now = viewer_zone(), datetime.now(UTC)
    data = queries_dashboard.sections(
        current_user, zone, now, quiet_limit=None if request.args.get("quiet") == "all" else QUIET_SHOWN)
    ack_form = AcknowledgeForm(formdata=None, prefix=ACK_PREFIX)  # each flag's, blank
    html = render_template("workspace/dashboard.html", **data, ack_form=ack_form, row_link=RowLinks(),
                           today=now.astimezone(zone).date(), zone=zone, now=now)
    # The audit row commits before the page leaves (no commit, no page), in the transaction
    # that read it: one transaction, and no commit in between to expire the rows shown.
    db.session.commit()
    return html
