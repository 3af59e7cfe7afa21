"""The client's integration journal: dated entries, private by default; each can be shared with
the therapist and unshared again. Another client's entry gives 404."""
from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.care import queries, services
from portal.care.blueprint import bp
from portal.care.forms import JournalForm
from portal.core.time import viewer_zone
from portal.core.vocabulary import Role
from portal.extensions import db
from portal.security.access import role_required


def _render_journal(form, status=200):
    return render_template("care/journal.html", form=form,
                           entries=queries.journal_entries(current_user)), status


@bp.get("/journal")
@role_required(Role.CLIENT)
def journal():
    """Clients: their journal entries, newest first, and a form for a new one."""
    return _render_journal(JournalForm(formdata=None,
                                       written_on=datetime.now(viewer_zone()).date()))


@bp.post("/journal")
@role_required(Role.CLIENT)
def add_journal_entry():
    """Clients: write a new entry (private until shared)."""
    form = JournalForm()
    if not form.validate_on_submit():
        return _render_journal(form, status=400)
    services.add_journal_entry(current_user, form)
    db.session.commit()
    flash("Entry saved. Only you can see it unless you share it.", "success")
    return redirect(url_for("care.journal"))


@bp.post("/journal/<int:entry_id>/share")
@role_required(Role.CLIENT)
def share_journal_entry(entry_id):
    """Clients: let their therapist read this entry."""
    entry = queries.own_journal_entry(current_user, entry_id)
    services.set_journal_shared(current_user, entry, True)
    db.session.commit()
    flash("Shared with your therapist.", "success")
    return redirect(url_for("care.journal", _anchor=f"entry-{entry_id}"))


@bp.post("/journal/<int:entry_id>/unshare")
@role_required(Role.CLIENT)
def unshare_journal_entry(entry_id):
    """Clients: make this entry private again."""
    entry = queries.own_journal_entry(current_user, entry_id)
    services.set_journal_shared(current_user, entry, False)
    db.session.commit()
    flash("This entry is private again.", "success")
    return redirect(url_for("care.journal", _anchor=f"entry-{entry_id}"))
