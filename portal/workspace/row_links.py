"""Links for the rows of a long page: url_for once per kind of link, not once per row."""
from flask import url_for

MARK = 987_654_321_012  # an id no row has: it stands where each row's id goes in the built URL


class RowLinks:
    """`row_link(endpoint, name=id, _anchor=None)` gives what url_for(endpoint, name=id,
    _anchor=...) gives, for one integer id (in the path or, like any extra value, the query).
    The URL is built once per endpoint, name and anchor, with MARK as the id; each row's id then
    takes MARK's place. The dashboard links each of its ~50 rows two or three times, and
    url_for (the routing map's builder) was a quarter of its own template time. Made per
    request (url_for depends on the request's host and script root); it holds no row data."""

    def __init__(self):
        self._parts = {}

    def __call__(self, endpoint, _anchor=None, **value):
        ((name, row_id),) = value.items()
        key = (endpoint, name, _anchor)
        parts = self._parts.get(key)
        if parts is None:
            head, _, tail = url_for(endpoint, _anchor=_anchor, **{name: MARK}).partition(str(MARK))
            parts = self._parts[key] = (head, tail)
        return f"{parts[0]}{int(row_id)}{parts[1]}"
