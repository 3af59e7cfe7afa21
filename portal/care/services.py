"""The client's care, its writes, each with its audit record (the caller commits once): the
PHQ-9/GAD-7 check-in, the post-dosing check-in and what a worrying answer sets in motion, the
journal, re-consent, and the audited reads of "my data" and the access log.

Item 9 above 0, here as in the intake, follows portal.intake.services.check_item9 (an urgent
flag and a therapist email without PHI).
"""
from sqlalchemy.exc import IntegrityError

from portal.care.postdosing import worrying_reasons
from portal.care.queries import client_record
from portal.care.queries_access import accesses
from portal.core import measures
from portal.core.measures import SCALES
from portal.core.time import utcnow
from portal.core.vocabulary import FlagKind, Source
from portal.extensions import db
from portal.intake import services as intake_services
from portal.models.care import PostDosingCheckin
from portal.models.journal import JournalEntry
from portal.models.measure import SafetyFlag
from portal.security.audit import record


def record_checkin(client, form):
    """Store a valid check-in's scores; True when item 9 raised the safety path."""
    for instrument in SCALES:
        items = measures.items_from(form.data, instrument)
        intake_services.store_measure(client, measures.score(instrument, items), items,
                                      source=Source.CHECKIN, difficulty=form.phq9_difficulty.data)
    return intake_services.check_item9(client, form.phq9_9.data, source=Source.CHECKIN)


def export_record(client, detail):
    """The client's whole record, the export audited (`detail`: "html" or "json")."""
    data = client_record(client)
    record("record_exported", actor=client, obj=("user", client.id), detail=detail)
    return data


def access_log(client):
    """Who else accessed the client's record; the viewing itself is audited."""
    rows = accesses(client)
    record("access_log_viewed", actor=client, obj=("user", client.id))
    return rows


def add_journal_entry(client, form):
    """A new entry from a valid form, private until shared."""
    entry = JournalEntry(client_id=client.id, written_on=form.written_on.data,
                         text=form.text.data, mood=form.mood_value, shared=False)
    db.session.add(entry)
    db.session.flush()
    record("journal_entry_created", actor=client, obj=("journal_entry", entry.id))
    return entry


def set_journal_shared(client, entry, shared):
    """Share the entry with the therapist, or make it private again (audited when it changes)."""
    if entry.shared != shared:
        entry.shared, entry.updated_at = shared, utcnow()
        record("journal_entry_shared" if shared else "journal_entry_unshared",
               actor=client, obj=("journal_entry", entry.id))
    return entry


def submit_post_dosing(client, appointment, answers):
    """Store the answers (once per session); flag and notify when worrying.

    Returns the list of worrying reasons, or None when a check-in for this session already
    exists (the unique constraint decides between two concurrent submits).
    """
    row = PostDosingCheckin(client_id=client.id, appointment_id=appointment.id, answers=answers)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return None
    record("post_dosing_checkin_submitted", actor=client, obj=("post_dosing_checkin", row.id))
    reasons = worrying_reasons(answers)
    if reasons:
        flag = SafetyFlag(client_id=client.id, kind=FlagKind.POST_DOSING.value, severity="urgent",
                          code="+".join(reasons), source=Source.POST_DOSING)
        db.session.add(flag)
        db.session.flush()
        record("safety_flag_raised", actor=client, obj=("safety_flag", flag.id),
               detail="post_dosing")
        # item 9 above 0 follows the intake's rules (ITEM9 flag, therapist email without PHI);
        # other worrying answers get the same contentless email, queued with the answers.
        intake_services.check_item9(client, answers["phq9_9"], source=Source.POST_DOSING)
        if "item9" not in reasons:
            intake_services.notify_therapist(client, "urgent_flag")
    return reasons


def sign_reconsent(client, form):
    """Sign the new versions of documents the client signed before (one record each)."""
    intake_services.sign_consents(client, form)
