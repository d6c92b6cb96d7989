"""Every setting a doc uses (README.md, docs/*.md) is a row of the settings table in docs/running.md. The settings are
what the harness reads from the environment: :data:`harness.settings.VARIABLES` and every name the code looks up in an
environment mapping (``os.environ.get("X")``, ``environ[CONSTANT]``, ``"X" in os.environ``), found in the source."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from harness.settings import VARIABLES

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [*ROOT.glob("harness/**/*.py"), ROOT / "conftest.py", *ROOT.glob("steps/*.py")]
DOCS = [ROOT / "README.md", *sorted(ROOT.glob("docs/*.md"))]
RUNNING = ROOT / "docs" / "running.md"
NAME = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Name | ast.Attribute) and ast.unparse(node).split(".")[-1] in ("environ", "env")


def _keys(node: ast.AST) -> list[ast.expr]:
    """The names an expression looks up in an environment mapping."""
    if isinstance(node, ast.Subscript) and _is_environ(node.value):
        return [node.slice]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
        getter = node.func.attr in ("get", "pop") and _is_environ(node.func.value)
        return [node.args[0]] if getter or node.func.attr == "getenv" else []
    if isinstance(node, ast.Compare) and isinstance(node.ops[0], ast.In | ast.NotIn):
        return [node.left] if _is_environ(node.comparators[0]) else []
    return []


def _value(key: ast.expr, constants: dict[str, str]) -> str | None:
    if isinstance(key, ast.Constant) and isinstance(key.value, str):
        return key.value
    return constants.get(key.id) if isinstance(key, ast.Name) else None


def _read_from_environment() -> set[str]:
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in SOURCES]
    constants = {
        target.id: node.value.value
        for tree in trees
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    keys = (_value(key, constants) for tree in trees for node in ast.walk(tree) for key in _keys(node))
    return {variable.name for variable in VARIABLES} | {key for key in keys if key and NAME.fullmatch(key)}


def _table() -> set[str]:
    """The names in the first column of docs/running.md's settings table (| variable | required | meaning |)."""
    lines = RUNNING.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "| variable | required | meaning |")
    rows = [line.strip() for line in lines[start + 2 :]]
    rows = rows[: next((i for i, row in enumerate(rows) if not row.startswith("|")), len(rows))]
    return {name for row in rows for name in NAME.findall(row.split("|")[1])}


def test_the_settings_are_found_where_the_harness_reads_them() -> None:
    found = _read_from_environment()
    for name in ("CRMOFFICE_REFRESH_TOKEN", "HARNESS_PROXY_URL", "HARNESS_ALLOW_PRODUCTION", "HARNESS_BC_LEDGER"):
        assert name in found, f"expected {name} among the settings read from the environment, found {sorted(found)}"


def test_every_setting_a_doc_uses_is_in_the_settings_table() -> None:
    settings, table = _read_from_environment(), _table()
    used = {name: doc.name for doc in DOCS for name in NAME.findall(doc.read_text(encoding="utf-8"))}
    missing = sorted(name for name in used if name in settings and name not in table)
    lacking = ", ".join(f"{name} (used in {used[name]})" for name in missing)
    assert not missing, f"the settings table in docs/running.md lacks {lacking}"
