"""Hypothesis strategies for hostile request values (tests/test_property_requests.py): text with
any Unicode and control characters, very long strings, huge and negative numbers, the first and
last days Python knows, malformed dates and times, empty values, repeated keys (lists), missing
fields, a wrong CSRF token and bodies of the wrong type.
"""
from hypothesis import strategies as st

HOSTILE = [
    "", " ", "\x00", "\n\r\t", "\x1b[31m", "\u202e\u200b\ufeff", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩🏽‍⚕️", "%00", "%",
    "<script>alert(1)</script>", "{{ 7*7 }}", "'; DROP TABLE users; --", "../../etc/passwd",
    "null", "None", "true", "[]", "{}", "NaN", "inf", "-inf", "1e309", "0x10", "1_000",
    "-1", "0", "-0", "2147483647", "2147483648", "-2147483649", "9223372036854775808",
    "99999999999999999999", "-99999999999999999999", "1.5", "１２", "٣",
    "0001-01-01", "9999-12-31", "0000-00-00", "2024-02-30", "2024-13-01", "10000-01-01",
    "-2024-01-01", "2024-W99", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00Z",
    "2024-01-01T25:61:00Z", "2024-01-01T09:00:00+99:00", "24:00", "99:99", "-1:00", "9:0",
    "all", "active", "paused", "discharged", "success", "failure", "next", "back", "save",
    "sign", "completed", "no_show", "extra", "off", "y", "on", "1", "2", "3",
]
# Any Unicode, often control characters; lone surrogates cannot be encoded as UTF-8, so no
# browser can send them.
TEXT = st.text(st.characters(exclude_categories=("Cs",)) | st.characters(max_codepoint=0x9F),
               max_size=50)
NUMBERS = st.integers().map(str)  # floats, NaN and 1e309 are in HOSTILE
DATES = st.one_of(st.dates().map(str), st.datetimes().map(lambda d: d.isoformat() + "Z"))
# Long values are built by repetition: cheap to generate, past every length limit.
LONG = st.builds(lambda unit, n: (unit * n)[:n],
                 st.sampled_from(["a", "9", "é", "<b>", "👩🏽‍⚕️", "\n", "%", "-"]),
                 st.integers(300, 25_000))


def scalar(known=()):
    """One value: a plausible one (offered by a page or the world) or a hostile one."""
    pools = [st.sampled_from(HOSTILE), TEXT, NUMBERS, DATES, LONG]
    if known:
        pools = [st.sampled_from(list(known))] * 2 + pools
    return st.one_of(pools)


def value(known=()):
    """A field's value(s): usually one, sometimes a repeated key."""
    one = scalar(known)
    return st.one_of(one, one, one, one, st.lists(one, min_size=2, max_size=3))


def fields(spec, extra_names=()):
    """{name: value or [values]} for a form or query string: any field may be missing; now
    and then a name the page never offered. `spec` is {name: values on offer}."""
    optional = {name: value(known) for name, known in spec.items()}
    optional.update({name: value() for name in extra_names})
    junk = st.one_of(st.just({}), st.just({}), st.just({}), st.dictionaries(
        st.sampled_from(["x", "id", "csrf_token", "__proto__", "a[]", ""]), value(), max_size=2))
    return st.tuples(st.fixed_dictionaries({}, optional=optional), junk).map(
        lambda pair: {**pair[1], **pair[0]})


def path_value(known, is_int, choices=()):
    """A path argument: the value that answers (or another that does), mostly; else anything a
    URL can carry."""
    answering = st.sampled_from([known, *choices])
    hostile = [st.integers(-2**70, 2**70), st.sampled_from(
        [0, -1, 2**31 - 1, 2**31, 2**63, 10**20]), st.sampled_from(HOSTILE), TEXT, LONG]
    if not is_int:
        hostile.append(st.text("abcdefghijklmnopqrstuvwxyz0123456789_-.", max_size=80))
    return st.one_of([answering] * 5 + hostile)


# How the CSRF token and the body travel: mostly as a browser or the page scripts send them
# (form-encoded, multipart text), now and then with a file or as JSON.
CSRF = st.sampled_from(["real"] * 16 + ["missing", "wrong", "empty", "header"])
BODY = st.sampled_from(["form"] * 10 + ["multipart"] * 3 + ["file", "json"])
JSON_BODY = st.sampled_from(["json"] * 12 + ["form", "multipart", "file"])  # @accepts_json views

# A JSON body's values are not all text.
TYPED = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.none(),
                  st.lists(st.integers(), max_size=3),
                  st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


def requests(paths, query_spec, form_spec=None, json=False):
    """(path values, query, form, csrf, body): a GET when `form_spec` is None (only the path and
    the query are drawn), else a POST (mostly JSON when `json`). `paths` is {argument:
    strategy}."""
    path, query = st.fixed_dictionaries(paths), fields(query_spec)
    if form_spec is None:
        return st.tuples(path, query, st.none(), st.none(), st.none())
    form = fields(form_spec, () if form_spec else ("text", "message", "note"))
    typed = st.dictionaries(st.sampled_from(sorted(form_spec) or ["x"]), TYPED, max_size=3)

    @st.composite
    def post(draw):
        body, data = draw(JSON_BODY if json else BODY), draw(form)
        if body == "json":
            data.update(draw(typed))
        return draw(path), draw(query) if query_spec else {}, data, draw(CSRF), body
    return post()
