"""The client's integration journal: dated entries, private by default; each can be shared with
the therapist and unshared again. Another client's entry gives 404."""
from datetime import datetime

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from portal.care.blueprint import bp
from portal.care.forms_journal import JournalForm
from portal.core.time import utcnow, viewer_zone
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.models.journal import JournalEntry
from portal.security.access import get_or_404_for, role_required
from portal.security.audit import record


def own_entry(entry_id):
    """The current client's own entry (never someone else's, shared or not); else 404."""
    entry = get_or_404_for(current_user, JournalEntry, entry_id)
    if entry.client_id != current_user.id:
        abort(404)
    return entry


def render_journal(form, status=200):
    entries = db.session.scalars(select(JournalEntry).where(
        JournalEntry.client_id == current_user.id)
        .order_by(JournalEntry.written_on.desc(), JournalEntry.id.desc())).all()
    return render_template("care/journal.html", form=form, entries=entries), status


@bp.get("/journal")
@role_required(Role.CLIENT)
def journal():
    """Clients: their journal entries, newest first, and a form for a new one."""
    return render_journal(JournalForm(formdata=None,
                                      written_on=datetime.now(viewer_zone()).date()))


@bp.post("/journal")
@role_required(Role.CLIENT)
def add_journal_entry():
    """Clients: write a new entry (private until shared)."""
    form = JournalForm()
    if not form.validate_on_submit():
        return render_journal(form, status=400)
    entry = JournalEntry(client_id=current_user.id, written_on=form.written_on.data,
                         text=form.text.data, mood=form.mood_value, shared=False)
    db.session.add(entry)
    db.session.flush()
    record("journal_entry_created", actor=current_user, obj=("journal_entry", entry.id))
    db.session.commit()
    flash("Entry saved. Only you can see it unless you share it.", "success")
    return redirect(url_for("care.journal"))


def _set_shared(entry_id, shared):
    entry = own_entry(entry_id)
    if entry.shared != shared:
        entry.shared, entry.updated_at = shared, utcnow()
        record("journal_entry_shared" if shared else "journal_entry_unshared",
               actor=current_user, obj=("journal_entry", entry.id))
    db.session.commit()
    return entry


@bp.post("/journal/<int:entry_id>/share")
@role_required(Role.CLIENT)
def share_journal_entry(entry_id):
    """Clients: let their therapist read this entry."""
    _set_shared(entry_id, True)
    flash("Shared with your therapist.", "success")
    return redirect(url_for("care.journal", _anchor=f"entry-{entry_id}"))


@bp.post("/journal/<int:entry_id>/unshare")
@role_required(Role.CLIENT)
def unshare_journal_entry(entry_id):
    """Clients: make this entry private again."""
    _set_shared(entry_id, False)
    flash("This entry is private again.", "success")
    return redirect(url_for("care.journal", _anchor=f"entry-{entry_id}"))
