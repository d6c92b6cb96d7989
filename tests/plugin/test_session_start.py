"""A run that cannot start says so once, clearly, with pytest's usage-error status and no traceback, and leaves the
reason beside the Allure results so the sign-off says why the run is not ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.businesscentral.fake import BusinessCentralFake
from harness.commands.serve import settings_environment
from harness.crmoffice.fake import CRMOfficeFake
from harness.report.environment import read_properties
from tests.helpers import Served

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "HARNESS_", "BC_"))}
    base = {key: value for key, value in base.items() if not key.startswith("CRMOFFICE_")}
    command = [sys.executable, "-m", *args]
    return subprocess.run(command, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=timeout)


def _sandbox_run(env: dict[str, str], results: Path) -> subprocess.CompletedProcess[str]:
    args = ["pytest", "-p", "no:cacheprovider", "steps", "--tenants", "sandbox", "--alluredir", str(results)]
    return _run(args, env)


def _signoff(results: Path, out: Path) -> tuple[int, str]:
    done = _run(["harness", "signoff", "--results", str(results), "--out", str(out), "--suite-exit", "4"], {})
    return done.returncode, out.read_text(encoding="utf-8")


def _environment(crm: CRMOfficeFake, bc: BusinessCentralFake, **changes: str) -> dict[str, str]:
    return {**settings_environment(crm.info(), bc.info()), **changes}


def test_an_unreachable_business_central_stops_the_run_with_one_clear_message(served: Served, tmp_path: Path) -> None:
    _, crm, bc = served
    env = _environment(crm, bc, BC_API_URL=f"http://127.0.0.1:{_closed_port()}")
    done = _sandbox_run(env, tmp_path / "results")
    output = done.stdout + done.stderr
    assert done.returncode == 4, f"expected pytest's usage-error exit 4, found {done.returncode}: {output[-2000:]}"
    assert "INTERNALERROR" not in output and "Traceback" not in output, f"expected no traceback: {output[-3000:]}"
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1, f"expected one ERROR line, found {errors}"
    assert "Business Central cannot be reached" in errors[0] and "BC_API_URL" in errors[0], errors[0]
    assert env["BC_ACCESS_TOKEN"] not in output, "the token must never be printed"
    reason = read_properties(tmp_path / "results" / "environment.properties").get("Run not started", "")
    assert "Business Central cannot be reached" in reason, f"expected the reason beside the results, found {reason!r}"
    status, signoff = _signoff(tmp_path / "results", tmp_path / "signoff.md")
    assert status == 1 and "**NOT READY FOR SIGN-OFF**" in signoff, signoff[:500]
    assert "## The suite did not start" in signoff and "Business Central cannot be reached" in signoff, signoff[:800]
    assert "| Tenants | sandbox |" in signoff, f"expected the known environment in the sign-off: {signoff[-1500:]}"


def test_a_token_business_central_refuses_names_the_credentials_to_check(served: Served, tmp_path: Path) -> None:
    _, crm, bc = served
    wrong = "eyJ0eXAiOiJKV1QifQ.not-the-right-token.x"
    done = _sandbox_run(_environment(crm, bc, BC_ACCESS_TOKEN=wrong), tmp_path / "results")
    output = done.stdout + done.stderr
    assert done.returncode == 4, f"expected exit 4, found {done.returncode}: {output[-2000:]}"
    assert "INTERNALERROR" not in output and "Traceback" not in output, output[-3000:]
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and "Business Central refused the credentials" in errors[0], errors
    assert "BC_ACCESS_TOKEN" in errors[0] and "API.ReadWrite.All" in errors[0], errors[0]
    assert wrong not in output, "the rejected token must never be printed"


@pytest.mark.parametrize(
    ("case", "said", "setting"),
    [
        ("a wrong CRMOffice secret", "CRMOffice refused the credentials", "CRMOFFICE_CLIENT_SECRET"),
        ("an unreachable CRMOffice", "CRMOffice cannot be reached", "CRMOFFICE_API_URL"),
    ],
)
def test_a_crmoffice_that_fails_stops_the_run_within_seconds(
    served: Served, tmp_path: Path, case: str, said: str, setting: str
) -> None:
    _, crm, bc = served
    changes = {
        "a wrong CRMOffice secret": {"CRMOFFICE_CLIENT_SECRET": "s3cr3t-that-must-not-show"},
        "an unreachable CRMOffice": {"CRMOFFICE_API_URL": f"http://127.0.0.1:{_closed_port()}/"},
    }[case]
    env = _environment(crm, bc, **changes)
    started = time.monotonic()
    done = _sandbox_run(env, tmp_path / "results")
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 4, f"{case}: expected exit 4, found {done.returncode}: {output[-2000:]}"
    assert took < 10, f"{case}: expected the run stopped within 10 s, it took {took:.1f} s"
    assert "INTERNALERROR" not in output and "Traceback" not in output, f"{case}: {output[-3000:]}"
    errors = [line for line in output.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 1 and said in errors[0] and setting in errors[0], f"{case}: {errors}"
    for secret in (env["CRMOFFICE_CLIENT_SECRET"], env["BC_ACCESS_TOKEN"]):
        assert secret not in output, f"{case}: a secret was printed"


def test_a_run_that_left_no_results_is_not_ready_and_says_why(tmp_path: Path) -> None:
    status, signoff = _signoff(tmp_path / "never-written", tmp_path / "signoff.md")
    assert status == 1, f"expected NOT READY (exit 1), found {status}"
    assert "**NOT READY FOR SIGN-OFF**" in signoff, signoff[:300]
    assert "pytest refused its arguments (a usage error)" in signoff, signoff[:800]
    assert "no such results folder" not in signoff, "a run that did not start is no missing --alluredir"
