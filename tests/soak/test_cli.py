"""``harness soak``'s usage errors: exit 2, a message naming what is wrong, nothing tried on any tenant; and a soak
against served fakes with no product syncing them: one line saying so, exit 3."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import harness.cli


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        status = harness.cli.main(["soak", *argv])
    except SystemExit as exc:  # argparse's own usage errors
        status = int(exc.code or 0)
    return status, capsys.readouterr().err


def test_operations_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    status, err = run(capsys, "--operations", "0", "--seed", "1")
    assert status == 2 and "--operations: must be at least 1, got 0" in err, (status, err)


def test_the_edit_service_level_may_not_exceed_the_full_read_one(capsys: pytest.CaptureFixture[str]) -> None:
    status, err = run(
        capsys, "--operations", "5", "--seed", "1", "--converge-timeout", "50", "--full-sync-timeout", "10"
    )
    assert (status, err.strip()) == (2, "harness soak: --converge-timeout may not exceed --full-sync-timeout"), err


def test_a_checklist_that_cannot_be_read_is_named(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.rst"
    status, err = run(capsys, "--operations", "5", "--seed", "1", "--checklist", str(missing))
    assert status == 2 and str(missing) in err and "cannot read the file" in err, err


def test_unreachable_tenants_are_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    tenants = tmp_path / "tenants.json"
    tenants.write_text("[]")
    status, err = run(capsys, "--operations", "5", "--seed", "1", "--tenants", str(tenants))
    assert status == 2 and "cannot reach the tenants" in err and str(tenants) in err, err


def test_the_nemesis_needs_the_proxy(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HARNESS_PROXY_URL", raising=False)
    status, err = run(capsys, "--operations", "5", "--seed", "1", "--nemesis", "0.1")
    assert status == 2 and "--nemesis makes its trouble at harness proxy: give --proxy URL" in err, err


@pytest.mark.parametrize("rate", ["1.5", "-0.1"])
def test_the_nemesis_rate_is_a_share(capsys: pytest.CaptureFixture[str], rate: str) -> None:
    status, err = run(capsys, "--operations", "5", "--seed", "1", "--nemesis", rate)
    assert status == 2 and "a share of the actions from 0 to 1" in err, err


def test_a_proxy_that_does_not_answer_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://harness:k3y@127.0.0.1:{port}/"
    status, err = run(capsys, "--operations", "5", "--seed", "1", "--proxy", url, "--nemesis", "0.1")
    assert status == 2 and "does not answer" in err and "k3y" not in err, err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, dict[str, dict[str, str]]]]:
    """``harness serve``'s fakes, and nothing syncing them: the endpoints file and its JSON."""
    harness = Path(sys.executable).with_name("harness")
    with subprocess.Popen([str(harness), "serve"], stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, "harness serve printed its endpoints"
            endpoints = tmp_path / "endpoints.json"
            endpoints.write_text(line)
            yield endpoints, json.loads(line)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.mark.wire
def test_no_product_syncing_is_said_instead_of_violations(
    capsys: pytest.CaptureFixture[str], served: tuple[Path, dict[str, dict[str, str]]]
) -> None:
    endpoints, tenants = served
    short = ["--operations", "2", "--idle", "0.2", "--converge-timeout", "0.5", "--full-sync-timeout", "1"]
    status = harness.cli.main(["soak", "--tenants", str(endpoints), "--seed", "1", *short])
    out = capsys.readouterr().out
    said = [line for line in out.splitlines() if line.startswith("no product seems to be syncing: ")]
    assert status == 3 and len(said) == 1 and "VIOLATION" not in out, (status, out)
    assert "5 barrier(s)" in said[0] and tenants["crmoffice"]["api"] in said[0], said


def test_the_help_documents_the_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        harness.cli.main(["soak", "--help"])
    assert "3 no product seems to be syncing" in " ".join(capsys.readouterr().out.split())


def test_undecided_checks_are_explained_with_a_pointer_to_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    from harness.soak.checker import Undecided, Verdict
    from harness.soak.cli import _print
    from harness.soak.history import FinalState
    from harness.soak.program import Program
    from harness.soak.session import Outcome

    verdict = Verdict(undecided=[Undecided(4, "c1", "writes less than the window apart")] * 2)
    _print(Outcome(Program(1), [], FinalState(), verdict, 1.0, "run"))
    explained = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  2 undecided: ")]
    assert len(explained) == 1 and "either" in explained[0] and "docs/contract.md" in explained[0], explained
    assert "### Undecided checks" in (Path(__file__).resolve().parents[2] / "docs/contract.md").read_text()
