"""``harness doctor`` against fakes served on loopback as real tenants would be configured: a clean bill when all is
well, and for each way a set-up goes wrong one failed check naming the fix, no traceback, no secret printed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from harness.businesscentral.fake import BusinessCentralFake
from harness.client.errors import AuthenticationError
from harness.commands.serve import settings_environment
from harness.crmoffice.fake import CRMOfficeFake
from harness.doctor import Check, diagnose
from harness.fakes.faults import Fault
from harness.tenants import diagnosis
from tests.helpers import Served

ROOT = Path(__file__).resolve().parents[1]
SECRET = "s3cr3t-that-must-not-show"


def _env(crm: CRMOfficeFake, bc: BusinessCentralFake, **changes: str) -> dict[str, str]:
    return {**settings_environment(crm.info(), bc.info()), **changes}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _failed(checks: list[Check]) -> list[Check]:
    return [check for check in checks if check.status == "failed"]


def _doctor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HARNESS_", "BC_", "CRMOFFICE_"))}
    command = [sys.executable, "-m", "harness", "doctor", *args]
    return subprocess.run(command, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120)


def test_a_good_set_up_gets_a_clean_bill_and_exit_0(served: Served) -> None:
    _, crm, bc = served
    checks = diagnose(_env(crm, bc))
    assert not _failed(checks), [check.line() for check in checks]
    names = [check.name for check in checks if check.status == "ok"]
    for name in ("settings", "CRMOffice", "Business Central sign-in", "Business Central company"):
        assert name in names, f"expected {name} checked and fine, found {names}"
    assert "Business Central environment" in names and "Business Central records" in names, names
    done = _doctor(_env(crm, bc))
    assert done.returncode == 0 and "ready for a sandbox run" in done.stdout, done.stdout + done.stderr
    payload = json.loads(_doctor(_env(crm, bc), "--json").stdout)
    assert payload["ready"] is True and len(payload["checks"]) == len(checks), payload


@pytest.mark.parametrize(
    ("case", "failed", "fix"),
    [
        ("a wrong CRMOffice secret", "CRMOffice", "CRMOFFICE_CLIENT_SECRET"),
        ("an unreachable CRMOffice", "CRMOffice", "CRMOFFICE_API_URL"),
        ("an unknown Entra tenant", "Business Central sign-in", "API.ReadWrite.All"),
        ("no app card in Business Central", "Business Central sign-in", "Microsoft Entra Applications"),
        ("a company the environment lacks", "Business Central company", "BC_COMPANY"),
        ("a production environment", "Business Central environment", "sandbox"),
    ],
)
def test_each_broken_set_up_fails_one_check_naming_the_fix(served: Served, case: str, failed: str, fix: str) -> None:
    _, crm, bc = served
    changes = {
        "a wrong CRMOffice secret": {"CRMOFFICE_CLIENT_SECRET": SECRET},
        "an unreachable CRMOffice": {"CRMOFFICE_API_URL": f"http://127.0.0.1:{_closed_port()}/"},
        "an unknown Entra tenant": {"BC_TENANT": str(uuid.uuid4())},
        "no app card in Business Central": {},
        "a company the environment lacks": {"BC_COMPANY": "Nobody AS"},
        "a production environment": {"BC_ENVIRONMENT": "Production", "BC_COMPANY": "CRONUS NO"},
    }[case]
    if case == "no app card in Business Central":
        # Business Central answers 403 to a token whose app it does not know (and retries do not change that).
        bc.faults.add(Fault(path="*/companies", status=403, times=4))
    env = _env(crm, bc, **changes)
    done = _doctor(env)
    output = done.stdout + done.stderr
    assert done.returncode == 1, f"{case}: expected exit 1, found {done.returncode}: {output}"
    marked = [line for line in done.stdout.splitlines() if line.startswith("✘")]
    assert len(marked) == 1 and marked[0].startswith(f"✘ {failed}:"), f"{case}: expected one failed {failed}: {marked}"
    assert "fix:" in marked[0] and fix in marked[0], f"{case}: expected the fix to name {fix}: {marked[0]}"
    assert "Traceback" not in output, f"{case}: {output}"
    for secret in (SECRET, env["BC_ACCESS_TOKEN"], env["CRMOFFICE_CLIENT_SECRET"]):
        assert secret not in output, f"{case}: a secret was printed"


def test_an_unreachable_entra_id_names_bc_authority(served: Served) -> None:
    _, crm, bc = served
    entra = f"https://127.0.0.1:{_closed_port()}"
    env = _env(crm, bc, BC_CLIENT_ID=str(uuid.uuid4()), BC_CLIENT_SECRET=SECRET, BC_AUTHORITY=entra)
    del env["BC_ACCESS_TOKEN"]
    failed = _failed(diagnose(env))
    assert [check.name for check in failed] == ["Business Central sign-in"], [check.line() for check in failed]
    assert "Entra ID" in failed[0].detail and entra in failed[0].detail, failed[0].line()
    assert "BC_AUTHORITY" in failed[0].fix and "BC_API_URL" not in failed[0].fix, failed[0].line()
    assert SECRET not in failed[0].line(), "the client secret must never be printed"


def test_a_tenant_entra_id_cannot_serve_names_bc_tenant() -> None:
    refused = AuthenticationError(
        system="businesscentral",
        status=400,
        code="invalid_tenant",
        message="AADSTS90002: Tenant 'nobody.example' not found.",
        method="GET",
        url="https://login.microsoftonline.com/nobody.example/v2.0/.well-known/openid-configuration",
    )
    happened, fix = diagnosis(refused)
    assert "Entra ID" in happened and "AADSTS90002" in happened, happened
    assert "BC_TENANT" in fix and "BC_CLIENT_SECRET" not in fix, fix


def test_missing_settings_fail_the_first_check_naming_them(tmp_path: Path) -> None:
    done = _doctor({"CRMOFFICE_API_URL": "http://127.0.0.1:1/"})
    assert done.returncode == 1, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("✘ settings:") and "BC_TENANT" in first and "CRMOFFICE_CLIENT_ID" in first, first
