"""Secure messages (/messages): a client and their own therapist write to each other between
sessions. Clients start a thread (one open at a time); both sides reply; the therapist closes
it. Every read is audited; an admin reads another therapist's thread only under break-glass.
The therapist's response hours: routes_hours.py.
"""
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from portal.core.time import format_local, utcnow, viewer_zone
from portal.core.vocabulary import CLINICIANS, PEOPLE, Role
from portal.extensions import db, limiter
from portal.messages import queries, services
from portal.messages.blueprint import bp
from portal.messages.forms import NewThreadForm, ReplyForm
from portal.messages.hours import describe
from portal.models.user import User
from portal.security.access import role_required


def _per_person():
    return f"user:{current_user.id}"


def _limit():
    return current_app.config["RATELIMIT_MESSAGES"]


# One budget per person for everything they send (new threads and replies together).
SENDING = limiter.shared_limit(_limit, scope="messages-sent", key_func=_per_person)


def _therapist():
    return db.session.get(User, current_user.therapist_id) if current_user.therapist_id else None


def _render_index(form=None, status=200):
    therapist = _therapist() if current_user.is_client else None
    hours = queries.hours_of(therapist or current_user)
    return render_template(
        "messages/index.html", threads=queries.threads_for(current_user), therapist=therapist,
        open_thread=queries.open_thread_of(current_user) if current_user.is_client else None,
        form=form or NewThreadForm(formdata=None), hours=describe(hours)), status


def _tell_when_answered(thread):
    """A client writing outside the therapist's hours hears when to expect an answer."""
    therapist = db.session.get(User, thread.therapist_id) if thread.therapist_id else None
    if therapist is None:
        return
    hours = queries.hours_of(therapist)
    opening = hours.next_opening(utcnow())
    if opening is not None:
        flash(f"Your therapist answers messages {describe(hours)}. You can expect an answer "
              f"from {format_local(opening, viewer_zone())}.", "info")


@bp.get("")
@role_required(*PEOPLE)
def index():
    """Everyone: their message threads, newest first; clients also the form for a new one."""
    return _render_index()


@bp.post("")
@role_required(Role.CLIENT)
@SENDING
def start():
    """Clients: start a thread with their therapist (one open thread at a time)."""
    form = NewThreadForm()
    if _therapist() is None or queries.open_thread_of(current_user) is not None:
        flash("Please write in your open conversation; your therapist can close it when it is "
              "done." if _therapist() else "You do not have a therapist to write to yet.",
              "warning")
        return _render_index(form, status=409)
    if not form.validate_on_submit():
        return _render_index(form, status=400)
    thread = services.start_thread(current_user, form.subject.data, form.body.data)
    services.notify(thread, current_user)
    db.session.commit()
    flash("Your message was sent.", "success")
    _tell_when_answered(thread)
    return redirect(url_for("messages.thread", thread_id=thread.id))


def _render_thread(thread, form=None, status=200):
    therapist = db.session.get(User, thread.therapist_id) if thread.therapist_id else None
    return render_template("messages/thread.html", thread=thread,
                           form=form or ReplyForm(formdata=None),
                           takes_part=thread.takes_part(current_user),
                           hours=describe(queries.hours_of(therapist)) if therapist else None), \
        status


@bp.get("/<int:thread_id>")
@role_required(*PEOPLE)
def thread(thread_id):
    """The two people of a thread (an admin under break-glass, read-only): the messages; the
    reading is audited and marks the other side's messages read."""
    found = queries.thread_for(current_user, thread_id)
    services.view(found, current_user)
    db.session.commit()
    return _render_thread(found)


@bp.post("/<int:thread_id>")
@role_required(*PEOPLE)
@SENDING
def reply(thread_id):
    """The two people of an open thread: write a reply; the other is emailed a notice."""
    found = queries.thread_for(current_user, thread_id, write=True)
    form = ReplyForm()
    if found.closed:
        flash("This conversation is closed.", "warning")
        return _render_thread(found, form, status=409)
    if not form.validate_on_submit():
        return _render_thread(found, form, status=400)
    services.reply(found, current_user, form.body.data)
    services.notify(found, current_user)
    db.session.commit()
    flash("Your message was sent.", "success")
    if current_user.is_client:
        _tell_when_answered(found)
    return redirect(url_for("messages.thread", thread_id=found.id, _anchor="latest"))


@bp.post("/<int:thread_id>/close")
@role_required(*CLINICIANS)
def close(thread_id):
    """Therapists: close a thread of theirs; the client may then start a new one."""
    found = queries.thread_for(current_user, thread_id, write=True)
    if current_user.id != found.therapist_id:
        return _render_thread(found, status=403)
    services.close(found, current_user)
    db.session.commit()
    flash("Conversation closed. Your client can start a new one.", "success")
    return redirect(url_for("messages.thread", thread_id=found.id))
