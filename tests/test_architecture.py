"""The import graph of ``harness/``: no cycle between modules or packages, and code that talks to real tenants never
loads a fake. Imports inside functions count (a cycle hidden in a function is still a cycle); imports under
``if TYPE_CHECKING:`` do not (they never run)."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in (ROOT / "harness").rglob("*.py") if "__pycache__" not in p.parts}


class _Imports(ast.NodeVisitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        if (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
        ):
            for statement in node.orelse:
                self.visit(statement)
            return
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        self.found.update(alias.name for alias in node.names if alias.name in MODULES)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module in MODULES:
            self.found.add(node.module)
            self.found.update(f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES)


def _graph() -> dict[str, set[str]]:
    graph = {}
    for name, path in MODULES.items():
        visitor = _Imports()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        graph[name] = visitor.found - {name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    """One cycle of the graph as a path (first node repeated at the end), or [] when there is none."""
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def _package(module: str) -> str:
    return ".".join(module.split(".")[:2])


def test_no_module_imports_itself_through_others() -> None:
    cycle = _cycle(_graph())
    assert not cycle, "expected no import cycle between harness modules, found " + " → ".join(cycle)


def test_no_package_imports_itself_through_others() -> None:
    packages: dict[str, set[str]] = {}
    for module, imported in _graph().items():
        packages.setdefault(_package(module), set()).update(
            _package(i) for i in imported if _package(i) != _package(module)
        )
    cycle = _cycle(packages)
    assert not cycle, "expected no import cycle between harness packages, found " + " → ".join(cycle)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) == []


def test_code_for_real_tenants_loads_no_fake() -> None:
    probe = (
        "import sys\n"
        "import harness.crmoffice.client, harness.businesscentral.client, harness.settings, harness.tenants\n"
        "fake = ('harness.fakes', '.api', '.model', '.tokens', '.odata', '.paging', '.inbound', 'harness.fake_pair')\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('harness') and any(f in m for f in fake))))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    assert loaded.stdout.strip() == "", f"expected no fake module loaded by the clients, found {loaded.stdout.strip()}"


def test_every_pointer_to_documentation_resolves_inside_the_repository() -> None:
    sources = [ROOT / "README.md", *ROOT.glob("docs/*.md"), *(p for p in MODULES.values())]
    sources += [*ROOT.glob("steps/*.py"), *ROOT.glob("features/*.feature"), ROOT / "conftest.py"]
    outside, missing = [], []
    for path in sources:
        text = path.read_text(encoding="utf-8")
        if "../shared" in text or "DESIGN.md" in text:
            outside.append(str(path.relative_to(ROOT)))
        for name in sorted(set(re.findall(r"docs/[\w-]+\.md", text))):
            if not (ROOT / name).is_file():
                missing.append(f"{path.relative_to(ROOT)} → {name}")
    assert not outside, f"expected no pointer outside the repository, found one in {outside}"
    assert not missing, f"expected every docs/ page named to exist, missing: {missing}"


LONGEST_SYNC_FUNCTION = 40


def test_the_sync_reads_in_functions_a_reader_can_hold_in_their_head() -> None:
    too_long = []
    for path in sorted((ROOT / "harness" / "sync").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno is not None:
                length = node.end_lineno - node.lineno + 1
                if length > LONGEST_SYNC_FUNCTION:
                    too_long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not too_long, f"functions in harness/sync/ over {LONGEST_SYNC_FUNCTION} lines: {too_long}"


# The rooms of harness/, bottom to top (docs/architecture.md draws them). A package imports only rooms on lower
# floors: never one on its own floor but itself, never one above.
FLOORS: list[set[str]] = [
    {"harness", "harness.client", "harness.traffic", "harness.envfile"},
    {"harness.fakes"},
    {"harness.businesscentral", "harness.crmoffice"},
    {"harness.settings", "harness.checklist"},
    {"harness.tenants", "harness.sync"},
    {"harness.progress", "harness.fake_pair", "harness.doctor", "harness.proxy"},
    {"harness.shared_tenants"},
    {"harness.testdata"},
    {"harness.traceability", "harness.barriers"},
    {"harness.report", "harness.soak"},
    {"harness.suite"},
    {"harness.plugin", "harness.commands"},
    {"harness.cli"},
    {"harness.__main__"},
]
FLOOR = {package: number for number, packages in enumerate(FLOORS) for package in packages}


def _package_edges() -> set[tuple[str, str]]:
    return {
        (_package(module), _package(imported))
        for module, imports in _graph().items()
        for imported in imports
        if _package(module) != _package(imported)
    }


def test_every_package_has_its_floor() -> None:
    unplaced = sorted({_package(m) for m in MODULES} - set(FLOOR))
    assert not unplaced, (
        f"expected every package of harness/ on a floor of FLOORS (and docs/architecture.md): {unplaced}"
    )


def _upward(edges: set[tuple[str, str]]) -> list[str]:
    return sorted(
        f"{a} (floor {FLOOR[a]}) imports {b} (floor {FLOOR[b]})"
        for a, b in edges
        if a in FLOOR and b in FLOOR and FLOOR[b] >= FLOOR[a]
    )


def test_a_package_imports_only_rooms_below_it() -> None:
    upward = _upward(_package_edges())
    assert not upward, "expected each package to import only rooms on lower floors, found:\n" + "\n".join(upward)


def test_the_floor_rule_refuses_what_the_rooms_were_made_against() -> None:
    # The reference sync opening tenants, the report reaching into the step runtime, a library driving a command.
    wrong = {
        ("harness.sync", "harness.tenants"),
        ("harness.report", "harness.suite"),
        ("harness.sync", "harness.commands"),
    }
    assert len(_upward(wrong)) == 3
    assert _upward({("harness.suite", "harness.report")}) == []


def test_no_client_module_imports_a_fake_module() -> None:
    found = sorted(
        f"{module} imports {imported}"
        for module, imports in _graph().items()
        if ".client" in module and module.split(".")[1] in ("businesscentral", "crmoffice")
        for imported in imports
        if ".fake" in imported or imported.startswith("harness.fakes")
    )
    assert not found, f"expected the vendors' client/ to import nothing of fake/ or harness.fakes: {found}"
