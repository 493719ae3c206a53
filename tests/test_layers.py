"""The house: the package's modules import each other in one direction only (``docs/architecture.md``).

Read from the source with ``ast`` (nothing is imported): the imports of ``wagtail_support`` modules made at
module level form a graph without a cycle; each layer imports only what is below it; an import inside a
function carries a comment that says why; bleach and wagtail-modeladmin each have one module of their own;
no module grows past ``MAX_LINES``; and no test module shadows an autouse fixture of ``conftest`` (the
invariant checks there must run for every test).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "wagtail_support"
TESTS = Path(__file__).resolve().parent
MAX_LINES = 750


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules():
    return {
        module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts and "__pycache__" not in path.parts
    }


MODULES = package_modules()


def resolve(module, node):
    """The package modules an import statement of ``module`` names (a ``from x import y`` may name a module
    ``x.y`` or a name in ``x``)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if alias.name.startswith("wagtail_support")]
    is_package = MODULES[module].name == "__init__.py"
    if node.level:
        base = module.split(".")
        base = base if is_package else base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if not target.startswith("wagtail_support"):
        return []
    found = [target]
    found += [f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in MODULES]
    return found


def with_parents(name):
    """Importing ``a.b.c`` runs ``a/__init__``, ``a.b/__init__`` and ``a.b.c``."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(2, len(parts) + 1)]


def top_level_imports(tree):
    """Import statements run when the module is imported: not inside a function (nor a class's method)."""
    found = []

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                found.append(child)
            visit(child)

    visit(tree)
    return found


def function_imports(tree):
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [sub for sub in ast.walk(node) if isinstance(sub, (ast.Import, ast.ImportFrom))]
    return found


def build_graph():
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        edges = set()
        for node in top_level_imports(tree):
            for target in resolve(module, node):
                edges.update(name for name in with_parents(target) if name in MODULES and name != module)
        # A module imports its own package's __init__ first; that is Python's order, not a dependency.
        graph[module] = {name for name in edges if not module.startswith(name + ".")}
    return graph


GRAPH = build_graph()


def find_cycle(graph):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        stack.pop()
        state[node] = "done"
        return None

    for node in sorted(graph):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_graph_is_read_from_the_real_modules():
    # A parser that found nothing would pass every test below.
    assert len(MODULES) > 40
    assert "wagtail_support.models" in GRAPH["wagtail_support.workflow"]
    # The moves record their mails through workflow_base (workflow.py is split in three modules).
    assert "wagtail_support.notifications.outbox" in GRAPH["wagtail_support.workflow_base"]
    assert "wagtail_support.workflow_base" in GRAPH["wagtail_support.workflow"]
    assert "wagtail_support.workflow" in GRAPH["wagtail_support.inbound.handler"]
    assert "wagtail_support.workflow_automation" in GRAPH["wagtail_support.workflow"]
    assert "wagtail_support.workflow" in GRAPH["wagtail_support.automation"]


def test_no_import_cycle_between_the_package_modules():
    assert find_cycle(GRAPH) is None, " -> ".join(find_cycle(GRAPH))


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def reachable(module):
    seen, todo = set(), [module]
    while todo:
        for nxt in GRAPH.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


# Each layer and what it may reach (everything it imports, directly or not).
LOWER_LAYERS = {
    "wagtail_support.models": {"wagtail_support.conf", "wagtail_support.storage"},
    "wagtail_support.access": {"wagtail_support.conf", "wagtail_support.storage", "wagtail_support.models"},
}
# The automation over time (support_tick) calls the moves, as the admin and the inbound mail do.
ABOVE_THE_MOVES = (
    "wagtail_support.inbound", "wagtail_support.admin", "wagtail_support.pages", "wagtail_support.faq",
    "wagtail_support.automation", "wagtail_support.api",
)  # fmt: skip


@pytest.mark.parametrize("module", sorted(LOWER_LAYERS))
def test_data_and_rules_import_nothing_above_them(module):
    allowed = set(LOWER_LAYERS[module])
    for name in list(allowed):
        allowed.update(other for other in MODULES if other.startswith(name + "."))
    below = {name for name in reachable(module) if not name.startswith(module + ".")}
    assert below <= allowed, sorted(below - allowed)


def test_the_moves_and_outgoing_mail_never_reach_the_pages_inbound_mail_or_the_admin():
    for module in ["wagtail_support.workflow", "wagtail_support.adapter", "wagtail_support.tasks"] + [
        name for name in MODULES if name.startswith("wagtail_support.notifications")
    ]:
        above = {name for name in reachable(module) if name.startswith(ABOVE_THE_MOVES)}
        assert not above, (module, sorted(above))


def test_outgoing_mail_never_reaches_the_workflow():
    for module in [name for name in MODULES if name.startswith("wagtail_support.notifications")]:
        assert "wagtail_support.workflow" not in reachable(module), module


def test_an_import_inside_a_function_says_why():
    silent = []
    for module, path in MODULES.items():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in function_imports(ast.parse(source)):
            if "#" not in lines[node.lineno - 1]:
                silent.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not silent, "\n".join(silent)


@pytest.mark.parametrize(
    "library, owner",
    [("bleach", "wagtail_support.sanitize"), ("wagtail_modeladmin", "wagtail_support.admin.viewsets")],
)
def test_one_module_owns_each_library(library, owner):
    users = set()
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            if any(name == library or name.startswith(library + ".") for name in names):
                users.add(module)
    assert users == {owner}


def test_no_module_is_a_knot_of_everything():
    long = {module: n for module, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_no_test_module_shadows_an_autouse_fixture_of_conftest():
    conftest = ast.parse((TESTS / "conftest.py").read_text(encoding="utf-8"))
    autouse = set()
    for node in conftest.body:
        if isinstance(node, ast.FunctionDef):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and any(
                    keyword.arg == "autouse" and getattr(keyword.value, "value", False) for keyword in decorator.keywords
                ):
                    autouse.add(node.name)
    assert "_no_internal_note_in_any_mail" in autouse
    shadowing = []
    for path in sorted(TESTS.glob("*.py")):
        if path.name == "conftest.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name in autouse:
                shadowing.append(f"{path.name}: {node.name}")
    assert not shadowing, shadowing
