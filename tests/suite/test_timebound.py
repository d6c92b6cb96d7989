"""A scenario that hangs fails on its own, naming the step and the bound; the other scenarios, the report and the
sign-off still happen."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.suite.build import SuiteMode
from harness.suite.timebound import ScenarioTimeout, time_bound

ROOT = Path(__file__).resolve().parents[2]


def test_a_block_past_its_bound_fails_naming_where_it_was() -> None:
    before = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(ScenarioTimeout) as failure, time_bound(0.2, lambda: "When the sync runs"):
        time.sleep(5)
    assert time.monotonic() - started < 2, "expected the sleep cut short at the bound"
    assert str(failure.value) == (
        "the scenario did not finish within its bound of 0.2 s (--scenario-timeout); it was at: When the sync runs"
    )
    assert isinstance(failure.value, AssertionError), "a scenario that cannot finish is a product failure"
    assert signal.getsignal(signal.SIGALRM) is before, "expected the previous SIGALRM handler restored"


def test_a_block_within_its_bound_or_unbounded_is_left_alone() -> None:
    with time_bound(2.0, lambda: "nowhere"):
        time.sleep(0.05)
    with time_bound(0, lambda: "nowhere"):
        time.sleep(0.05)
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0), "expected no timer left running"


@pytest.mark.parametrize(
    ("mode", "bound"),
    [
        (SuiteMode(), 120.0),
        (SuiteMode(tenants="sandbox"), 600.0),
        (SuiteMode(tenants="sandbox", sync="external", converge_timeout=15, full_sync_timeout=70), 320.0),
        (SuiteMode(scenario_timeout=0), 0.0),
    ],
)
def test_the_bound_follows_the_mode_unless_given(mode: SuiteMode, bound: float) -> None:
    assert mode.scenario_bound() == bound


HANG = """
import time

from harness.sync import engine

hung = []
real_run = engine.SyncEngine.run


def run(self, *, reconcile=None):
    if not hung:
        hung.append(True)
        while True:  # the first sync of the run never ends, as a sync caught in a loop
            time.sleep(0.05)
    return real_run(self, reconcile=reconcile)


engine.SyncEngine.run = run
"""


@pytest.mark.slow  # runs the checklist suite in a subprocess
def test_a_hung_sync_fails_its_scenario_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "hang_first_sync.py").write_text(HANG)
    results = tmp_path / "results"
    chosen = "a_new_company_becomes_one_customer or the_new_customer_is_a_company_named"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-p",
            "hang_first_sync",
            "steps",
            "-k",
            chosen,
            "--scenario-timeout",
            "3",
            "--alluredir",
            str(results),
            "-q",
        ],
        cwd=ROOT,
        # A clean environment: nothing of this run's own pytest (xdist, ledger) leaks into the one under test.
        env={"PYTHONPATH": f"{tmp_path}:{ROOT}", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 1, f"expected one failed scenario (exit 1), got {run.returncode}:\n{run.stdout[-3000:]}"
    assert "1 failed, 1 passed" in run.stdout, run.stdout[-3000:]
    assert "did not finish within its bound of 3 s (--scenario-timeout); it was at: When the sync " in run.stdout
    statuses = sorted(json.loads(p.read_text())["status"] for p in results.glob("*-result.json"))
    assert statuses == ["failed", "passed"], f"expected the report to hold both scenarios, found {statuses}"
    signoff = subprocess.run(
        [sys.executable, "-m", "harness.cli", "signoff", "--results", str(results), "--out", str(tmp_path / "s.md")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert signoff.returncode == 1, f"expected NOT READY (exit 1), got {signoff.returncode}: {signoff.stderr}"
    assert "did not finish within its bound" in (tmp_path / "s.md").read_text(), "expected the failure in the sign-off"
