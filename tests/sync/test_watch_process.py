"""``harness sync --watch`` as CI runs it beside the suite: a separate process on settings that point at
``harness serve`` fakes; it syncs while it runs, stops cleanly on SIGTERM and SIGINT with its state intact, and the
commands that write refuse a production environment."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.settings import Settings
from harness.sync import SyncState
from harness.tenants import connect

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.wire


def _harness(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env, "PYTHONUNBUFFERED": "1"},
    )


def _read_env(path: Path) -> dict[str, str]:
    # `export NAME='value'` lines: the shell's words, the last one NAME=value.
    pairs = (shlex.split(line)[-1].split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if line)
    return dict(pairs)


@pytest.fixture
def tenants(tmp_path: Path) -> Iterator[dict[str, str]]:
    env_file = tmp_path / "tenants.env"
    with _harness("serve", "--env-file", str(env_file), env={}) as serve:
        try:
            assert serve.stdout is not None
            assert serve.stdout.readline(), "harness serve printed its endpoints"
            assert oct(env_file.stat().st_mode & 0o777) == "0o600", "the settings file holds secrets: owner only"
            yield _read_env(env_file)
        finally:
            serve.terminate()
            serve.wait(timeout=10)


def _wait_for(check: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_watch_syncs_until_stopped_and_keeps_its_state(
    tenants: dict[str, str], tmp_path: Path, sig: signal.Signals
) -> None:
    state = tmp_path / "watch.sqlite"
    with connect(Settings.from_env(tenants)) as pair:
        pair.crmoffice.create("contacts", {"givenName": "Kari", "familyName": "Nordmann", "directPhone": "22 33 44 55"})
        watcher = _harness("sync", "--watch", "--interval", "0.2", "--state", str(state), env=tenants)
        try:
            found = _wait_for(lambda: [r for p in pair.businesscentral.pages("contacts") for r in p])
            assert found, "the watcher created the Business Central contact while running"
        finally:
            watcher.send_signal(sig)
            out, err = watcher.communicate(timeout=20)
    assert watcher.returncode == 0, f"expected a clean exit, got {watcher.returncode}: {err}"
    last = json.loads(out.strip().splitlines()[-1])
    assert last["stopped"] is True and last["cycles"] >= 1 and last["writes"] >= 1, last
    saved = SyncState(state)
    try:
        links = [link for plan in ("contacts->contacts(humandata)",) for link in saved.links(plan).values()]
    finally:
        saved.close()
    assert len(links) == 1 and links[0].live, f"expected the link committed before stopping, found {links}"


def test_commands_that_write_refuse_a_production_environment(tenants: dict[str, str], tmp_path: Path) -> None:
    production = {**tenants, "BC_ENVIRONMENT": "Production", "BC_COMPANY": "CRONUS NO", "HARNESS_ALLOW_PRODUCTION": ""}
    for args in (
        ("sync", "--state", str(tmp_path / "s.sqlite")),
        ("sync", "--watch", "--state", str(tmp_path / "s.sqlite")),
        ("cleanup", "--older-than", "1d"),
    ):
        process = _harness(*args, env=production)
        out, err = process.communicate(timeout=30)
        assert process.returncode == 2, f"{args}: expected exit 2, got {process.returncode}: {out} {err}"
        assert "'Production' is of type 'production'" in err and "--allow-production" in err, err
        assert "Traceback" not in err, err


def test_a_missing_setting_is_named_in_one_line(tmp_path: Path) -> None:
    env = dict.fromkeys(("CRMOFFICE_API_URL", "BC_TENANT", "HARNESS_SETTINGS"), "")
    process = _harness("sync", "--state", str(tmp_path / "s.sqlite"), env=env)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2 and "CRMOFFICE_API_URL" in err and "Traceback" not in err, err


def test_the_suite_refuses_a_production_environment_before_any_scenario_writes(tenants: dict[str, str]) -> None:
    production = {**tenants, "BC_ENVIRONMENT": "Production", "BC_COMPANY": "CRONUS NO", "HARNESS_ALLOW_PRODUCTION": ""}
    process = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "steps", "--tenants", "sandbox", "-k", "busy"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **production},
        timeout=120,
    )
    assert process.returncode == pytest.ExitCode.USAGE_ERROR, f"{process.returncode}: {process.stdout[-2000:]}"
    assert "is of type 'production'" in process.stdout + process.stderr, process.stdout[-2000:]
    with connect(Settings.from_env({**tenants, "BC_ENVIRONMENT": "Production", "BC_COMPANY": "CRONUS NO"})) as pair:
        contacts = [r for p in pair.businesscentral.pages("contacts") for r in p]
        customers = [r for p in pair.businesscentral.pages("customers") for r in p]
    assert contacts == [] and customers == [], "nothing was written to the production environment"
