"""The layering of portal/ as written in docs/architecture.md, checked on the source itself.

import-linter (`make lint`, .importlinter) checks the contracts between packages; these tests
check what it does not see: imports inside functions count, module cycles, module size, private
APIs of libraries, and that the architecture page names every package.
"""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"
MAX_LINES = 300
MAX_INNER_IMPORTS = 5


def module_name(path):
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PORTAL.rglob("*.py"))}


def imports_of(path):
    """(imported portal module, line, inside a function?) for every import in the file."""
    tree = ast.parse(path.read_text())
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.ImportFrom) and child.module and child.level == 0 \
                    and child.module.startswith("portal"):
                for alias in child.names:
                    full = f"{child.module}.{alias.name}"
                    found.append((full if full in MODULES else child.module, child.lineno, inner))
            elif isinstance(child, ast.Import):
                found.extend((a.name, child.lineno, inner) for a in child.names
                             if a.name.startswith("portal"))
            visit(child, inner)
    visit(tree, False)
    return found


def graph():
    return {name: {target for target, _, _ in imports_of(path) if target in MODULES}
            for name, path in MODULES.items()}


def test_no_import_cycle_between_modules_counting_imports_inside_functions():
    edges = graph()
    edges["portal"] = set()  # the factory imports everything and nothing imports it back
    state, cycles = {}, []

    def walk(node, stack):
        state[node] = "open"
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                walk(target, stack + [target])
        state[node] = "done"
    for name in sorted(edges):
        if name not in state:
            walk(name, [name])
    assert cycles == []


def test_imports_inside_functions_are_few_and_each_says_why():
    inner = [(name, line) for name, path in MODULES.items() if name != "portal"
             for _, line, in_function in imports_of(path) if in_function]
    assert len(inner) <= MAX_INNER_IMPORTS, inner
    for name, line in inner:
        text = MODULES[name].read_text().splitlines()[line - 1]
        assert "#" in text, f"{name}:{line} needs a one-line reason for importing inside a function"


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_is_at_most_300_lines(name):
    assert len(MODULES[name].read_text().splitlines()) <= MAX_LINES


def test_no_private_api_of_flask_socketio_or_flask_login():
    for name, path in MODULES.items():
        text = path.read_text()
        assert "_handle_event" not in text, name
        if name != "portal.core.login_cache":  # the one place that reaches in, documented
            assert "_login_user" not in text, name


def test_architecture_page_names_every_package():
    page = (ROOT / "docs" / "architecture.md").read_text()
    packages = sorted(p.parent.name for p in PORTAL.glob("*/__init__.py"))
    assert packages
    for package in packages:
        assert f"{package}/" in page, f"docs/architecture.md does not mention portal/{package}/"
