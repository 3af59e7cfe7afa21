"""What a request to the portal can carry, found from the app itself (for
tests/test_property_requests.py): the query parameters each view reads (from its source, with
ast), the forms each page shows (from its HTML, with html.parser), and URLs of a rule with any
value in its path.

Reading the source rather than keeping a list means a new `request.args.get("x")` is fuzzed
without anyone remembering it; a read the scan cannot name (a computed key, `request.args`
handed to something other than a WTForms class, a helper no view calls) is reported as a
problem, so it cannot be missed silently either.
"""
import ast
import inspect
import re
import sys
from dataclasses import dataclass, field
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, urljoin

from wtforms import Form
from wtforms.fields.core import UnboundField

PORTAL = Path(__file__).resolve().parent.parent / "portal"
# Reading every parameter without naming one (e.g. to carry the filters into the next page's
# link) is not a read of a particular parameter.
WHOLE_READS = {"items", "keys", "values", "to_dict", "copy"}


# --- query parameters -----------------------------------------------------------------------
def _is_args(node):
    """`request.args` or `request.values` (the query string, alone or with the form)."""
    return (isinstance(node, ast.Attribute) and node.attr in ("args", "values")
            and isinstance(node.value, ast.Name) and node.value.id == "request")


def _form_fields(cls, prefix):
    names = [n for n in dir(cls) if isinstance(getattr(cls, n), UnboundField)]
    return {f"{prefix}-{n}" if prefix else n for n in names}


def reads(function, module):
    """(names read from the query string, problems) of one function."""
    names, problems = set(), []
    parents = {child: node for node in ast.walk(function) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(function):
        if not _is_args(node):
            continue
        up = parents.get(node)
        where = f"{module.__name__}.{function.name} line {node.lineno}"
        if isinstance(up, ast.Attribute) and up.attr in ("get", "getlist", "__getitem__"):
            call = parents.get(up)
            key = call.args[0] if isinstance(call, ast.Call) and call.args else None
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
                continue
        elif isinstance(up, ast.Attribute) and up.attr in WHOLE_READS:
            continue
        elif isinstance(up, ast.Subscript) and isinstance(up.slice, ast.Constant):
            names.add(up.slice.value)
            continue
        elif isinstance(up, ast.Compare) and isinstance(up.left, ast.Constant):
            names.add(up.left.value)  # "x" in request.args
            continue
        elif isinstance(up, ast.Call) and node in up.args and isinstance(up.func, ast.Name):
            cls = getattr(module, up.func.id, None)
            if isinstance(cls, type) and issubclass(cls, Form):
                prefix = next((k.value.value for k in up.keywords if k.arg == "prefix"), "")
                names |= _form_fields(cls, prefix)
                continue
        problems.append(f"{where}: a query-string read the scan cannot name")
    return names, problems


@cache
def _module_functions(module_name):
    module = sys.modules[module_name]
    tree = ast.parse(Path(inspect.getsourcefile(module)).read_text())
    return module, {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _view_functions(view):
    """(module, function nodes) of a view and of the module's helpers it calls, as deep as they
    go; None for views outside portal/ (Flask's static files)."""
    view = inspect.unwrap(view)
    if not view.__module__.startswith("portal."):
        return None
    module, functions = _module_functions(view.__module__)
    todo, seen = [view.__name__], {}
    while todo:
        name = todo.pop()
        if name not in seen and name in functions:
            seen[name] = functions[name]
            todo += [n.func.id for n in ast.walk(functions[name])
                     if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return module, list(seen.values())


def query_parameters(app):
    """({endpoint: names its view reads from the query string}, [problems]).

    A view reads what it reads itself and what the module's helpers it calls read; every
    function in portal/ that reads the query string must be reached that way.
    """
    found, problems, reached = {}, [], set()
    for endpoint, view in app.view_functions.items():
        found[endpoint] = set()
        if (walked := _view_functions(view)) is None:
            continue
        module, functions = walked
        for function in functions:
            reached.add((module.__name__, function.name))
            read, trouble = reads(function, module)
            found[endpoint] |= read
            problems += trouble
    for path in sorted(PORTAL.rglob("*.py")):
        text = path.read_text()
        if not re.search(r"request\.(args|values)\b", text):
            continue
        dotted = ".".join(path.relative_to(PORTAL.parent).with_suffix("").parts)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef) and (dotted, node.name) not in reached \
                    and any(_is_args(n) for n in ast.walk(node)):
                problems.append(f"{dotted}.{node.name} reads the query string but no view "
                                "calls it directly: teach tests/property_routes.py the way")
    return found, sorted(set(problems))


def form_fields(view):
    """The field names of the WTForms classes a view builds, with their prefixes: for a POST
    no page shows (a button only some states offer)."""
    view = inspect.unwrap(view)
    module, functions = _module_functions(view.__module__)
    names = set()
    for function in [functions[view.__name__]]:
        for node in ast.walk(function):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr == "build":
                func = func.value  # SomeForm.build(...)
            cls = getattr(module, func.id, None) if isinstance(func, ast.Name) else None
            if isinstance(cls, type) and issubclass(cls, Form):
                prefix = next((k.value.value for k in node.keywords if k.arg == "prefix"
                               and isinstance(k.value, ast.Constant)), "")
                names |= _form_fields(cls, prefix)
    return names


def json_keys(view):
    """The keys a view that reads JSON looks up (`data.get("credential")`, `data["name"]`)."""
    module, functions = _module_functions(inspect.unwrap(view).__module__)
    keys = set()
    for node in ast.walk(functions[inspect.unwrap(view).__name__]):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and node.func.attr == "get" and node.args \
                and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            keys.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
                and isinstance(node.slice.value, str):
            keys.add(node.slice.value)
    return keys


# --- forms on a page ------------------------------------------------------------------------
@dataclass
class Field:
    kind: str  # text, textarea, select, checkbox, radio, hidden, submit, date, number, ...
    options: list = field(default_factory=list)  # values a browser could send


@dataclass
class PageForm:
    method: str
    url: str  # the action, resolved against the page
    fields: dict = field(default_factory=dict)  # name -> Field
    also: list = field(default_factory=list)  # other actions (buttons' formaction)

    def add(self, name, kind, value=None):
        found = self.fields.setdefault(name, Field(kind))
        if value is not None and value not in found.options:
            found.options.append(value)


class FormParser(HTMLParser):
    """Every <form> of a page with the names a browser would send and the values on offer."""

    def __init__(self, page_url):
        super().__init__(convert_charrefs=True)
        self.page_url, self.forms, self.links = page_url, [], []
        self.form = self.select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page_url, a["href"]))
        if tag == "form":
            self.form = PageForm((a.get("method") or "get").upper(),
                                 urljoin(self.page_url, a.get("action") or self.page_url))
            self.forms.append(self.form)
            return
        if self.form is None:
            return
        if tag == "option" and self.select:
            self.form.add(self.select, "select", a.get("value", ""))
        if a.get("formaction"):
            self.form.also.append(urljoin(self.page_url, a["formaction"]))
        name = a.get("name")
        if not name:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            self.form.add(name, kind, a.get("value", "on" if kind in ("checkbox", "radio") else None))
        elif tag == "button":
            self.form.add(name, "submit", a.get("value", ""))
        elif tag == "select":
            self.select = name
            self.form.add(name, "select")
        elif tag == "textarea":
            self.form.add(name, "textarea")

    def handle_endtag(self, tag):
        if tag == "form" and self.form is not None:
            self.forms += [PageForm(self.form.method, url, self.form.fields) for url in self.form.also]
            self.form = None
        elif tag == "select":
            self.select = None


def forms_and_links(html, page_url):
    """([PageForm], [absolute link URLs]) of a page."""
    parser = FormParser(page_url)
    parser.feed(html)
    return parser.forms, parser.links


# --- URLs with any value --------------------------------------------------------------------
_ARGUMENT = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")


def url_with(rule, values):
    """The rule's path with each argument replaced by `values[name]` as a browser would send
    it (percent-encoded), whether or not the converter would accept it."""
    return _ARGUMENT.sub(lambda m: quote(str(values[m.group(1)]), safe=""), rule.rule)
