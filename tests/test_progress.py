"""Progress of long commands: shown on a terminal (tested under a pseudo-terminal), absent in a pipe, with --json and
in CI, and counting what the clients did."""

from __future__ import annotations

import io
import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.fake_pair import fake_pair
from harness.progress import Ticker, wanted
from harness.tenants import TenantPair, endpoints

ROOT = Path(__file__).resolve().parents[1]
CHECKLIST = ROOT / "features" / "crmoffice-businesscentral.rst"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_wanted_on_a_terminal_only() -> None:
    assert wanted(_Terminal(), environ={}) is True
    assert wanted(io.StringIO(), environ={}) is False, "a pipe or a file gets no progress"
    assert wanted(_Terminal(), json_output=True, environ={}) is False, "JSON output gets no progress"
    assert wanted(_Terminal(), environ={"CI": "true"}) is False, "CI logs get no progress"
    assert wanted(_Terminal(), environ={"TERM": "dumb"}) is False


def test_the_line_counts_what_the_clients_read_wrote_and_sent() -> None:
    with fake_pair("mock", seed=4) as pair:
        assert pair.crmoffice_fake is not None
        pair.crmoffice_fake.seed({"contacts": [{"givenName": f"Kari {i}", "familyName": "Nordmann"} for i in range(7)]})
        ticker = Ticker("test", pair, show=False)
        list(pair.crmoffice.records("contacts"))
        pair.crmoffice.create("contacts", {"givenName": "Ola"})
        line = ticker.line()
    assert line.startswith("7 read, 1 written, "), line
    assert "requests" in line and "waiting for rate limits" in line, line


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TenantPair, Path]]:
    with fake_pair("wire", seed=5) as pair:
        assert pair.crmoffice_fake is not None
        assert pair.businesscentral_fake is not None
        people = [{"givenName": f"Kari {i}", "familyName": "Nordmann", "directPhone": "22 33 44 55"} for i in range(40)]
        pair.crmoffice_fake.seed({"contacts": people})
        tenants = tmp_path / "tenants.json"
        tenants.write_text(json.dumps(endpoints(pair.crmoffice_fake.info(), pair.businesscentral_fake.info())))
        yield pair, tenants


def _sync(tenants: Path, state: Path, *extra: str, terminal: bool, env: dict[str, str]) -> tuple[int, str]:
    """``harness sync`` with its standard error on a pseudo-terminal (or a pipe): its exit status and standard error."""
    command = [sys.executable, "-m", "harness", "sync", "--tenants", str(tenants), "--state", str(state)]
    command += ["--checklist", str(CHECKLIST), *extra]
    base = {k: v for k, v in os.environ.items() if k not in ("CI", "TERM") and not k.startswith("PYTEST_")}
    if not terminal:
        done = subprocess.run(command, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, cwd=ROOT, env={**base, **env}, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal's other end closed: the command is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=120), b"".join(chunks).decode("utf-8", "replace")


def test_harness_sync_shows_progress_on_a_terminal(served: tuple[TenantPair, Path], tmp_path: Path) -> None:
    _, tenants = served
    status, shown = _sync(tenants, tmp_path / "s.sqlite", terminal=True, env={})
    assert status == 0, shown
    assert "harness sync:" in shown and " read, " in shown and " written, " in shown and "requests" in shown, shown
    assert "40 written" in shown or "40 read" in shown, f"expected the final counts on the line: {shown!r}"


@pytest.mark.parametrize(
    ("case", "terminal", "extra", "env"),
    [
        ("a pipe", False, (), {}),
        ("--json", True, ("--json",), {}),
        ("CI", True, (), {"CI": "true"}),
    ],
)
def test_harness_sync_shows_no_progress_elsewhere(
    served: tuple[TenantPair, Path],
    tmp_path: Path,
    case: str,
    terminal: bool,
    extra: tuple[str, ...],
    env: dict[str, str],
) -> None:
    _, tenants = served
    status, shown = _sync(tenants, tmp_path / "s.sqlite", *extra, terminal=terminal, env=env)
    assert status == 0, shown
    assert "requests" not in shown and "waiting for rate limits" not in shown, (
        f"{case}: expected no progress: {shown!r}"
    )
