"""A scenario's dataflow (its fakes, clients and every exchange) is released when the scenario ends: held to the end
of the session, a worker's memory grows with every scenario and each garbage collection walks them all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_no_scenario_dataflow_outlives_its_scenario(tmp_path: Path) -> None:
    probe = tmp_path / "alive"
    # The stop scenarios hand a planned stop from step to step (a target fixture, which pytest-bdd keeps).
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.plugin.dataflow_probe", "steps"]
    command += ["-q", "-k", "stopped_after_its_nth_write or a_change_crmoffice_refuses", "-o", "addopts="]
    env = {**os.environ, "DATAFLOW_PROBE": str(probe)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "3 passed" in done.stdout, done.stdout[-500:]
    # The last scenario's hook arguments may still be on pytest's stack; no earlier scenario's may be.
    assert int(probe.read_text(encoding="utf-8")) <= 1, f"{probe.read_text()} dataflows alive at the session's end"
