"""``pip install .`` is enough to run the checklist suite: everything the suite and the harness import at run time is
a dependency of the project, not of its ``dev`` extra (which keeps lint, types and the harness's own tests)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_suite_runtime_installs_with_the_project() -> None:
    runtime = _names(PROJECT["dependencies"])
    dev = _names(PROJECT["optional-dependencies"]["dev"])
    for needed in ("pytest", "pytest-bdd", "allure-pytest-bdd", "pytest-xdist"):
        assert needed in runtime, f"{needed} runs the suite, so it belongs in [project] dependencies: {sorted(runtime)}"
        assert needed not in dev, f"{needed} is a runtime dependency; the dev extra should not list it again"


PROXY_ENVIRONMENT = {
    line.split("==")[0].strip().lower()
    for line in (ROOT / "constraints-proxy.txt").read_text(encoding="utf-8").splitlines()
    if "==" in line
}


def test_every_import_of_the_suite_and_the_harness_is_a_runtime_dependency() -> None:
    runtime = _names(PROJECT["dependencies"]) | {"pluggy"}  # pluggy comes with pytest
    distributions = packages_distributions()
    sources = [ROOT / "conftest.py", *(ROOT / "steps").glob("*.py"), *(ROOT / "harness").rglob("*.py")]
    missing = {}
    for path in sources:
        for module in _imports(path):
            if module in sys.stdlib_module_names or module in ("harness", "steps", "_pytest", "__future__"):
                continue
            owners = {name.lower() for name in distributions.get(module, [module])}
            if path.parent == ROOT / "harness" / "proxy" and module in PROXY_ENVIRONMENT:
                continue  # runs inside mitmproxy's own environment (constraints-proxy.txt)
            if not owners & runtime:
                missing.setdefault(module, []).append(str(path.relative_to(ROOT)))
    assert not missing, f"imported at run time but not a [project] dependency: {missing}"
