"""Account settings other than credentials: the time zone and the private calendar feed.
Each change is audited and committed here."""
from portal.accounts.services import absolute_url
from portal.core.tokens import new_token, token_hash
from portal.extensions import db
from portal.security.audit import record


def change_timezone(user, zone):
    """The zone in which times are shown to the user."""
    user.timezone = zone
    record("timezone_changed", actor=user, obj=("user", user.id))
    db.session.commit()


def reset_calendar_feed(user):
    """A new secret feed URL (the old one stops working); returns it, to be shown once."""
    token = new_token()
    user.calendar_token_hash = token_hash(token)
    record("calendar_feed_reset", actor=user, obj=("user", user.id))
    db.session.commit()
    return absolute_url("scheduling.calendar_feed", token=token)


def revoke_calendar_feed(user):
    """Turn the calendar feed off; calendar apps stop receiving updates."""
    user.calendar_token_hash = None
    record("calendar_feed_revoked", actor=user, obj=("user", user.id))
    db.session.commit()
