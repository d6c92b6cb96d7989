"""A scratch copy of the project, for tests that run the whole suite on a changed checklist or a defective sync."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
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


def run(command: list[str], cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "HARNESS_"))}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
