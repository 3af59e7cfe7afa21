"""The requests tests/test_property_requests.py sends: one Case per (visitor, route, form),
found by crawling every GET route as each visitor, with a fixed number of examples each.

GET cases carry the query parameters their view reads (tests/property_routes.py) with the
values pages put in links and GET forms; POST cases carry the fields of a form found on a page
(or, for a button only some states show, of the WTForms class the view builds) and its CSRF
field's name. `send` turns one drawn request into a test-client call.
"""
import io
import json
import math
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter, RequestRedirect

from tests import property_world
from tests.conftest import ON_PG
from tests.property_routes import (
    form_fields,
    forms_and_links,
    json_keys,
    query_parameters,
    url_with,
)

TOTAL = 10_000  # requests at least, in the SQLite pass
PLANNED = 10_150  # shared out by weight (hypothesis may stop a case early when it runs dry)
PG_SHARE = 10  # the PostgreSQL pass sends one request in ten
# A page counts 1, plus 1 per query parameter; a form 1.5, plus 0.1 per field; at most 3.3.
WEIGHT = {"page": 1.0, "per_parameter": 1.0, "form": 1.5, "per_field": 0.1, "most": 3.3}
# Visitors between the two steps of sign-in, and the one page each of them may use.
HALFWAY = {"second step": {"accounts.mfa_verify", "accounts.mfa_passkey_options",
                           "accounts.mfa_passkey"},
           "setting up": {"accounts.mfa_enrol", "accounts.passkey_setup",
                          "accounts.passkey_setup_options", "accounts.passkey_setup_add"},
           "new password": {"accounts.choose_password"}}
TOKEN_PAGE = {"anonymous": "/auth/login", "second step": "/auth/mfa",
              "setting up": "/auth/mfa/setup", "new password": "/auth/password/choose"}
ROLE_OF = {"client": "client", "new client": "client", "therapist": "therapist",
           "admin": "admin"}
# POSTs a page's script sends with the fields of a form on the page (no form of their own).
SCRIPT_POSTS = {"workspace.autosave_note": "workspace.save_note",
                "intake.autosave": "intake.save_step", "accounts.keepalive": None}
# Sent last: they change what every other route of the visitor shows (a new consent version
# for everyone to sign, an intake reopened for amendment, the anonymous visitor's session ended).
LAST = {"workspace.publish_consent", "intake.request_amendment", "accounts.logout"}


@dataclass
class Case:
    visitor: str
    method: str
    rule: object
    path: dict  # argument -> the value that answers
    spec: dict = field(default_factory=dict)  # form field -> values on offer
    query: dict = field(default_factory=dict)  # query parameter -> values on offer
    csrf_name: str = "csrf_token"  # a prefixed form's is "<prefix>-csrf_token"
    json: bool = False  # the view reads a JSON body (@accepts_json): mostly sent as JSON
    examples: int = 0  # set by plan()

    @property
    def name(self):
        fields_ = ",".join(sorted(self.spec))[:60]
        return f"{self.visitor} {self.method} {self.rule.endpoint} {fields_}"

    @property
    def weight(self):
        if self.method == "POST":
            return min(WEIGHT["form"] + WEIGHT["per_field"] * len(self.spec), WEIGHT["most"])
        return min(WEIGHT["page"] + WEIGHT["per_parameter"] * len(self.query), WEIGHT["most"])


def plan(cases):
    """Share PLANNED requests (a tenth on PostgreSQL) out over the cases by weight, so the
    suite's time stays the same as routes are added."""
    planned = PLANNED // PG_SHARE if ON_PG else PLANNED
    total = sum(case.weight for case in cases)
    for case in cases:
        case.examples = max(2, math.ceil(planned * case.weight / total))
    return cases


def may_visit(app, visitor, endpoint):
    """Whether `visitor` is let through to `endpoint` (refusals are the route matrices' job):
    public pages for nobody (and each half-signed-in visitor's own page), the rest by role."""
    view = app.view_functions[endpoint]
    if endpoint == "static" or getattr(view, "public", False):
        return endpoint in HALFWAY[visitor] if visitor in HALFWAY else visitor == "anonymous"
    if visitor not in ROLE_OF:
        return False
    roles = getattr(view, "roles", None)
    return roles is None or ROLE_OF[visitor] in roles


def answering_path(rule, world):
    """The rule's arguments with the world's values that answer (STATE_FOR per endpoint)."""
    names = property_world.STATE_FOR.get(rule.endpoint, {})
    return {arg: world[names.get(arg, arg)] for arg in rule.arguments}


class Discovery:
    """Cases to fuzz, found by crawling every GET route (and a few more pages) as each visitor."""

    def __init__(self, app, world, browsers):
        self.app, self.world, self.browsers = app, world, browsers
        self.adapter = app.url_map.bind("localhost")
        self.params, self.problems = query_parameters(app)
        self.sent = {}  # endpoint -> {query parameter: values pages put in links and GET forms}
        self.gets, self.posts = [], {}
        for visitor, browser in browsers.items():
            for rule in app.url_map.iter_rules():
                if "GET" in rule.methods and may_visit(app, visitor, rule.endpoint):
                    path = answering_path(rule, world)
                    self.gets.append(Case(visitor, "GET", rule, path))
                    self.crawl(visitor, browser, url_with(rule, path) + self.query_for(rule))
            for page in property_world.EXTRA_PAGES.get(visitor, []):
                self.crawl(visitor, browser, page.format(**world))
        for case in self.gets:
            sent = self.sent.get(case.rule.endpoint, {})
            case.query = {name: sent.get(name, []) + ([world[name]] if name in world else [])
                          for name in self.params[case.rule.endpoint]}

    def query_for(self, rule):
        return f"?start={self.world['start']}" if "start" in self.params[rule.endpoint] else ""

    def match(self, url, method):
        try:
            return self.adapter.match(urlsplit(url).path, method=method)
        except (NotFound, MethodNotAllowed, RequestRedirect):
            return None, None

    def crawl(self, visitor, browser, url):
        response = browser.get(url)
        response.close()  # a static file's is streamed
        if response.status_code != 200 or response.mimetype != "text/html":
            return
        forms, links = forms_and_links(response.get_data(as_text=True), "http://localhost" + url)
        for link in links:
            endpoint, _ = self.match(link, "GET")
            for name, item in parse_qsl(urlsplit(link).query, keep_blank_values=True):
                self.sent.setdefault(endpoint, {}).setdefault(name, []).append(item)
        for form in forms:
            endpoint, args = self.match(form.url, form.method)
            if form.method == "GET":
                for name, spec in form.fields.items():
                    self.sent.setdefault(endpoint, {}).setdefault(name, []).extend(spec.options)
            elif endpoint is not None:
                self.add_post(visitor, endpoint,
                              {name: f.options for name, f in form.fields.items()}, args)

    def add_post(self, visitor, endpoint, fields_, args=None):
        """A POST case for a form found on a page (or built from the view's source). Ids in its
        path are the world's (TARGETS for the writes that would spoil it for other routes);
        other arguments (an intake step) are the page's."""
        if not may_visit(self.app, visitor, endpoint):
            visitor = "anonymous" if may_visit(self.app, "anonymous", endpoint) else None
        if visitor is None:
            return
        rule = self.rule_of(endpoint, "POST")
        csrf = sorted(name for name in fields_ if name.endswith("csrf_token"))
        spec = {name: options for name, options in fields_.items() if name not in csrf}
        key = (visitor, endpoint, tuple(sorted(spec)))
        path = answering_path(rule, self.world)
        path.update({arg: value_ for arg, value_ in (args or {}).items()
                     if not isinstance(rule._converters[arg], IntegerConverter)})
        path.update({arg: self.world[name]
                     for arg, name in property_world.TARGETS.get(endpoint, {}).items()})
        view = self.app.view_functions[endpoint]
        if getattr(view, "accepts_json", False):
            spec.update({name: [] for name in json_keys(view) if name not in spec})
        self.posts.setdefault(key, Case(visitor, "POST", rule, path, spec,
                                        csrf_name=csrf[0] if csrf else "csrf_token",
                                        json=getattr(view, "accepts_json", False)))

    def rule_of(self, endpoint, method):
        return next(r for r in self.app.url_map.iter_rules(endpoint) if method in r.methods)

    def cases(self):
        """GETs first, then the POSTs (those that change the ground for others last)."""
        on_pages = {c.rule.endpoint for c in self.posts.values()}
        for rule in self.app.url_map.iter_rules():
            if "POST" in rule.methods and rule.endpoint not in on_pages | set(SCRIPT_POSTS):
                for visitor in self.browsers:
                    if may_visit(self.app, visitor, rule.endpoint):
                        fields_ = form_fields(self.app.view_functions[rule.endpoint])
                        self.add_post(visitor, rule.endpoint, dict.fromkeys(fields_, []))
        posts = list(self.posts.values())
        for endpoint, like in SCRIPT_POSTS.items():
            rule = self.rule_of(endpoint, "POST")
            found = [c for c in posts if c.rule.endpoint == like] or [
                Case(v, "POST", rule, {}) for v in self.browsers if may_visit(self.app, v, endpoint)]
            posts += [Case(c.visitor, "POST", rule, {**answering_path(rule, self.world), **{
                k: v for k, v in c.path.items() if k in rule.arguments}}, c.spec,
                csrf_name=c.csrf_name) for c in found]
        for case in posts:
            case.query = {name: [] for name in self.params[case.rule.endpoint]}
        posts.sort(key=lambda c: c.rule.endpoint in LAST)
        return plan(self.gets + posts)


def send(browser, case, path, data, query, csrf, body, token):
    """One drawn request through the visitor's test client; the CSRF token goes where the form
    puts it (or in the header, or wrong, or nowhere) and the body as form, multipart, a file
    or JSON."""
    url = url_with(case.rule, path)
    query_string = MultiDict(_items(query))
    if case.method == "GET":
        return browser.get(url, query_string=query_string)
    items, headers = [(k, v) for k, v in _items(data) if not k.endswith("csrf_token")], {}
    if csrf in ("real", "wrong", "empty"):
        items.append((case.csrf_name, {"real": token, "wrong": token[::-1], "empty": ""}[csrf]))
    elif csrf == "header":
        headers["X-CSRFToken"] = token
    if body == "json":
        headers.setdefault("X-CSRFToken", dict(items).get(case.csrf_name, ""))
        return browser.post(url, query_string=query_string, headers=headers,
                            data=json.dumps(data), content_type="application/json")
    form = MultiDict(items)
    if body == "file":
        name = next(iter(data), "upload")
        form.setlist(name, [(io.BytesIO(b"%PDF-1.4 \x00\xff"), "a.pdf")])
    return browser.post(url, query_string=query_string, headers=headers, data=form,
                        content_type="application/x-www-form-urlencoded" if body == "form"
                        else "multipart/form-data")


def _items(data):
    return [(k, item) for k, v in data.items() for item in (v if isinstance(v, list) else [v])]


