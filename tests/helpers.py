"""Helpers the harness's tests share: the fakes served as sandboxes (``Served``), and a scratch copy of the project
for tests that run the whole suite on a changed checklist or a defective sync."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from pytest_bdd.steps import step_function_context_registry

from harness.businesscentral.fake import BusinessCentralFake
from harness.crmoffice.fake import CRMOfficeFake
from harness.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
Served = tuple[Settings, CRMOfficeFake, BusinessCentralFake]
"""What the ``served`` fixture gives: settings naming both fakes, served on loopback, as real tenants."""
PROJECT = ("features", "steps", "harness", "conftest.py", "pyproject.toml", "allurerc.json")
ENGINE_PLANS = "        self.plans = list(plans)\n"


def copy_project(destination: Path) -> Path:
    """What running the suite needs, without caches."""
    for name in PROJECT:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, destination / name)
    return destination


def skip_property(project: Path, origin_property: str) -> str:
    """Make the copy's reference sync skip one mapped property (its own plans lack the row; the steps' keep it).
    Returns the engine's source as it was, to put back."""
    engine = project / "harness" / "sync" / "engine.py"
    original = engine.read_text(encoding="utf-8")
    assert original.count(ENGINE_PLANS) == 1, f"expected {ENGINE_PLANS!r} once in {engine}"
    defect = (
        f"        self.plans = [__import__('dataclasses').replace(plan, pairs=tuple(pair for pair in plan.pairs "
        f"if pair.origin != {origin_property!r})) for plan in plans]\n"
    )
    engine.write_text(original.replace(ENGINE_PLANS, defect), encoding="utf-8")
    return original


def steps_matching(module: str, text: str) -> dict[str, dict[str, object]]:
    """The step functions of ``steps/<module>.py`` whose step text matches ``text`` as pytest-bdd matches a scenario's
    step (an outline's example values already put in), each with the arguments it would be given."""
    importlib.import_module(f"steps.{module}")
    return {
        context.step_func.__name__: context.parser.parse_arguments(text) or {}
        for context in list(step_function_context_registry.values())
        if context.step_func.__module__ == f"steps.{module}" and context.parser.is_matching(text)
    }


def run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "HARNESS_"))}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)


NEVER_WRITTEN = (
    "            if not is_empty(value):\n                body[pair.target] = value\n",
    '            BatchOperation("PATCH", plan.target, link.target_id, decided.to_target, etag=etag),\n',
)


def never_write(project: Path, target_property: str) -> None:
    """Make the copy's reference sync leave one Business Central property out of every create and update it sends,
    while its report and state still say it was written (a one-row defect in one direction)."""
    engine = project / "harness" / "sync" / "engine.py"
    source = engine.read_text(encoding="utf-8")
    create, update = NEVER_WRITTEN
    assert source.count(create) == 1 and source.count(update) == 1, f"expected the create and update once in {engine}"
    source = source.replace(
        create,
        f"            if not is_empty(value) and pair.target != {target_property!r}:\n"
        "                body[pair.target] = value\n",
    )
    source = source.replace(
        update,
        '            BatchOperation("PATCH", plan.target, link.target_id, '
        f"{{k: v for k, v in decided.to_target.items() if k != {target_property!r}}}, etag=etag),\n",
    )
    engine.write_text(source, encoding="utf-8")


def suite_and_signoff(project: Path, tenants: str = "mock", *extra: str) -> tuple[int, str, str]:
    """The suite (``pytest -n 2 steps`` with Allure results) and the sign-off in the copy: (pytest's exit status, its
    output, the sign-off's Markdown)."""
    results = project / "allure-results"
    shutil.rmtree(results, ignore_errors=True)
    args = ["-p", "no:cacheprovider", "-n", "2", "-q", "steps", "--tenants", tenants, "--alluredir", str(results)]
    suite = run([sys.executable, "-m", "pytest", *args, *extra], project)
    out = project / "signoff.md"
    run([sys.executable, "-m", "harness", "signoff", "--results", str(results), "--out", str(out)], project)
    return suite.returncode, suite.stdout + suite.stderr, out.read_text(encoding="utf-8")
