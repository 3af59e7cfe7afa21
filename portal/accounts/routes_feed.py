"""Each person's private calendar feed: turn it on (a new secret URL, shown once), or off.

The feed itself is served by portal/scheduling/routes_feed.py.
"""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from portal.accounts import services_settings
from portal.accounts.blueprint import bp


@bp.get("/account/calendar-feed")
def calendar_feed_settings():
    """Signed-in users: whether their calendar feed is on, with buttons to make or revoke it."""
    return render_template("accounts/calendar_feed.html", feed_url=None)


@bp.post("/account/calendar-feed")
def reset_calendar_feed():
    """Signed-in users: make a new feed URL (the old one stops working) and show it once."""
    url = services_settings.reset_calendar_feed(current_user)
    return render_template("accounts/calendar_feed.html", feed_url=url)


@bp.post("/account/calendar-feed/revoke")
def revoke_calendar_feed():
    """Signed-in users: turn the calendar feed off; calendar apps stop receiving updates."""
    services_settings.revoke_calendar_feed(current_user)
    flash("Your calendar feed is off. Calendars subscribed to it will stop updating.", "success")
    return redirect(url_for("accounts.calendar_feed_settings"))
