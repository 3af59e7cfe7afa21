"""The shared part of a client's integration journal, for their therapist (audited)."""
from flask import render_template
from flask_login import current_user
from sqlalchemy import select

from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.journal import JournalEntry
from portal.security.access import role_required
from portal.security.audit import record
from portal.workspace.blueprint import bp
from portal.workspace.routes_review import own_client

CLINICIANS = (Role.THERAPIST, Role.ADMIN)


@bp.get("/clients/<int:client_id>/journal")
@role_required(*CLINICIANS)
def client_journal(client_id):
    """Therapists: the entries their client chose to share (private entries never load)."""
    client = own_client(client_id)
    entries = db.session.scalars(select(JournalEntry).where(
        JournalEntry.client_id == client.id, JournalEntry.shared.is_(True))
        .order_by(JournalEntry.written_on.desc(), JournalEntry.id.desc())).all()
    record("journal_viewed", actor=current_user, obj=("user", client.id))
    db.session.commit()
    return render_template("workspace/journal.html", client=client, entries=entries)
