"""An external sync's scenarios mostly wait on the product's cycles: without ``-n`` they run on
``--external-workers`` pytest-xdist workers. As a plugin installed by entry point, the hook that picks them must run
before pytest-xdist's own reading of ``-n``, or the run goes on in one process, several times slower."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _probe(tmp_path: Path, *args: str) -> dict[str, object]:
    probe = tmp_path / "xdist.json"
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.plugin.xdist_probe", "steps"]
    env = {**os.environ, "XDIST_PROBE": str(probe)}
    done = subprocess.run([*command, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert probe.is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    found: dict[str, object] = json.loads(probe.read_text(encoding="utf-8"))
    return found


@pytest.mark.slow
def test_an_external_sync_runs_on_its_own_pool_of_workers(tmp_path: Path) -> None:
    found = _probe(tmp_path, "--tenants", "sandbox", "--sync", "external", "--external-workers", "5")
    assert found == {"distributed": True, "tx": ["popen"] * 5}, found


@pytest.mark.slow
def test_an_explicit_worker_count_wins_and_the_reference_sync_picks_none(tmp_path: Path) -> None:
    assert _probe(tmp_path, "--tenants", "sandbox", "--sync", "external", "-n", "3")["tx"] == ["popen"] * 3
    assert _probe(tmp_path, "--tenants", "mock") == {"distributed": False, "tx": []}
