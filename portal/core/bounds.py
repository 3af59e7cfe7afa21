"""The ranges a value taken from a URL or a form may have (ASVS V5.1.3/V5.1.4: every input
range-checked).

Python dates stop at years 1 and 9999, SQLite integers at 2**63 - 1 and PostgreSQL's `integer`
at 2**31 - 1: a week of year 9999 overflows when seven days are added, and a 20-digit id
overflows the database driver. Both were HTTP 500s. Values outside these ranges are refused
before they reach arithmetic or SQL: dates with a 400 and a plain message, ids in paths with a
404 (the URL names nothing that can exist).
"""
from datetime import date

from flask import current_app, request
from werkzeug.routing import IntegerConverter
from wtforms.validators import ValidationError

from portal.core.errors import BadValue

# Wide enough for any real week, slot or audit search; far from the years that overflow when a
# week or a time zone's offset is added.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2100, 12, 31)
# Every primary key is an `integer` column: PostgreSQL's is 32-bit signed, the narrower one.
ID_MAX = 2**31 - 1


def say_day(day):
    return f"{day.day} {day:%B %Y}"


RANGE_TEXT = f"between {say_day(EARLIEST_DAY)} and {say_day(LATEST_DAY)}"


def day_in_range(day):
    return EARLIEST_DAY <= day <= LATEST_DAY


def checked_day(day, message):
    """`day`, or a 400 with `message` when it lies outside the range a URL may name."""
    if not day_in_range(day):
        raise BadValue(message)
    return day


class IdConverter(IntegerConverter):
    """`<int:...>` for every route: ids above ID_MAX do not match, so they answer 404 instead of
    reaching the database (werkzeug's own int converter accepts any number of digits)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=ID_MAX, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class NumberBetween:
    """A whole number from `low` to `high`, for IntegerField (and int-coerced SelectField).

    WTForms' NumberRange asks math.isnan() of the value, which turns it into a float: a number
    of 309 digits or more raised OverflowError, an HTTP 500. Python compares integers of any
    size exactly. Sets `min` and `max` on the input, as NumberRange does.
    """

    def __init__(self, low, high, message=None):
        self.low, self.high = low, high
        self.message = message or f"Please enter a number from {low} to {high}."
        self.field_flags = {"min": low, "max": high}

    def __call__(self, form, field):
        if field.data is None or not self.low <= field.data <= self.high:
            raise ValidationError(self.message)


def accepts_json(view):
    """Mark a view that reads a JSON body itself (passing only its strings to any form)."""
    view.accepts_json = True
    return view


def form_posts_carry_text():
    """before_request: a POST carries its form's fields as text, nothing else.

    Flask-WTF hands a JSON body's numbers, lists and objects, and uploaded files, to fields
    that expect text: TypeErrors, HTTP 500s. No page of the portal uploads a file (its scripts
    send FormData of text), and only views marked @accepts_json read JSON, so anything else is
    refused with a 400.
    """
    if request.method != "POST":
        return
    view = current_app.view_functions.get(request.endpoint)
    if request.files or (request.is_json and not getattr(view, "accepts_json", False)):
        raise BadValue("Please send this form from its page in the portal.")
