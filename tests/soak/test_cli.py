"""``harness soak``'s usage errors: exit 2, a message naming what is wrong, nothing tried on any tenant."""

from __future__ import annotations

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
