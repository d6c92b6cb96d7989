"""``harness proxy`` as a user runs it: settings from ``harness serve --env-file``, one JSON line, a source-able env
file, a clean stop on SIGTERM with the summary, and one clear message (exit 2) when it cannot start.

Every process is started in a session of its own, so a teardown can stop it and its mitmdump by the process group.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.proxy.client import ProxyControl, ProxyRefused
from harness.settings import Settings
from harness.tenants import connect

pytestmark = pytest.mark.wire

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(sys.executable).with_name("harness")  # .venv/bin/harness
SETTINGS_PREFIXES = ("CRMOFFICE_", "BC_", "HARNESS_")


def start(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(HARNESS), *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "PYTHONUNBUFFERED": "1"},
        start_new_session=True,
    )


def first_line(process: subprocess.Popen[str], timeout: float = 30.0) -> str:
    lines: list[str] = []
    assert process.stdout is not None
    stdout = process.stdout
    reader = threading.Thread(target=lambda: lines.append(stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    if not (lines and lines[0]):
        pytest.fail(f"{process.args!r} printed nothing within {timeout} s; stderr: {stop(process)!r}")
    return lines[0]


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM to the process, its whole group (mitmdump too) killed if it does not stop; what is left of its
    standard error."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    err = process.stderr.read() if process.stderr is not None and not process.stderr.closed else ""
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()
    return err


def clean_environment() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}


def sourced(path: Path) -> dict[str, str]:
    """The variables a shell has after sourcing ``path`` as ``scripts/served-fakes.sh`` does (``set -a; . file``)."""
    dumped = subprocess.run(
        ["bash", "-c", 'set -a; . "$1"; set +a; env -0', "_", str(path)],
        env=clean_environment(),
        capture_output=True,
        check=True,
    ).stdout.decode()
    variables = dict(entry.split("=", 1) for entry in dumped.split("\0") if "=" in entry)
    return {k: v for k, v in variables.items() if k.startswith(SETTINGS_PREFIXES)}


@pytest.fixture(scope="module")
def tenants(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``harness serve --env-file``'s settings, as exported by ``scripts/served-fakes.sh``."""
    env_file = tmp_path_factory.mktemp("serve") / "tenants.env"
    served = start("serve", "--seed", "3", "--env-file", str(env_file), env=clean_environment())
    try:
        first_line(served)
        yield sourced(env_file)
    finally:
        stop(served)


def environment(settings: dict[str, str], **changes: str) -> dict[str, str]:
    return {**clean_environment(), **settings, **changes}


@dataclass
class Running:
    process: subprocess.Popen[str]
    announced: dict[str, Any]
    env_file: Path


@pytest.fixture(scope="module")
def running(tenants: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    env_file = tmp_path_factory.mktemp("proxy") / "product.env"
    env_file.write_text("stale\n")
    env_file.chmod(0o644)
    process = start("proxy", "--env-file", str(env_file), env=environment(tenants))
    try:
        yield Running(process, json.loads(first_line(process)), env_file)
    finally:
        stop(process)


# --- running ------------------------------------------------------------------------------------------------------
def test_one_json_line_names_the_fronts_the_control_and_the_env_file(running: Running) -> None:
    announced = running.announced
    assert set(announced) == {"crmoffice", "businesscentral", "control", "env_file", "ca_certificate", "product_log"}
    assert announced["product_log"] is None, "no --product-command"
    assert announced["crmoffice"]["api"].startswith("http://127.0.0.1:")
    assert announced["businesscentral"]["api_url"].startswith("http://127.0.0.1:")
    assert announced["control"].startswith("http://harness:")
    assert (announced["env_file"], announced["ca_certificate"]) == (str(running.env_file), None)
    assert running.process.poll() is None


def test_the_env_file_is_private_and_sourceable(running: Running, tenants: dict[str, str]) -> None:
    assert stat.S_IMODE(running.env_file.stat().st_mode) == 0o600
    lines = running.env_file.read_text().splitlines()
    assert lines and all(line.startswith("export ") for line in lines), lines
    echoed = subprocess.run(
        ["bash", "-c", 'set -e; . "$1"; echo "$BC_API_URL"', "_", str(running.env_file)],
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert echoed == running.announced["businesscentral"]["api_url"]
    product = sourced(running.env_file)
    assert product["CRMOFFICE_API_URL"] == running.announced["crmoffice"]["api"]
    assert product["HARNESS_PROXY_URL"] == running.announced["control"]
    moved = ("CRMOFFICE_API_URL", "BC_API_URL", "BC_ACCESS_TOKEN", "HARNESS_PRODUCT_BC_ACCESS_TOKEN")
    unchanged = {k: v for k, v in tenants.items() if k not in moved}
    assert {k: product[k] for k in unchanged} == unchanged, "every other setting as it was (tokens not proxied)"
    assert product["BC_ACCESS_TOKEN"] == tenants["HARNESS_PRODUCT_BC_ACCESS_TOKEN"], "the product's own principal"
    assert product["BC_ACCESS_TOKEN"] != tenants["BC_ACCESS_TOKEN"]


def test_a_product_with_the_env_files_settings_goes_through_the_fronts(running: Running) -> None:
    settings = Settings.from_env(sourced(running.env_file))
    with connect(settings) as pair:
        pair.businesscentral.companies()
        list(pair.crmoffice.records("contacts"))
    with ProxyControl(running.announced["control"]) as control:
        tenants = control.meters()["tenants"]
    assert tenants["businesscentral"]["requests"] >= 2, "the company lookup and the companies read"
    assert tenants["crmoffice"]["entity_sets"]["contacts"]["requests"] >= 1


def test_a_wrong_control_key_is_refused(running: Running) -> None:
    key = running.announced["control"].split(":")[2].split("@")[0]
    with (
        ProxyControl(running.announced["control"].replace(key, "not-the-key")) as control,
        pytest.raises(ProxyRefused, match="control key"),
    ):
        control.meters()


def test_a_fault_for_an_unknown_entity_set_is_refused_naming_it(running: Running) -> None:
    with ProxyControl(running.announced["control"]) as control:
        with pytest.raises(ProxyRefused, match="vendors"):
            control.add_fault("businesscentral", "throttle", entity_set="vendors")
        assert control.faults() == []


def test_sigterm_stops_cleanly_with_the_summary(tenants: dict[str, str], tmp_path: Path) -> None:
    env_file = tmp_path / "product.env"
    process = start("proxy", "--env-file", str(env_file), env=environment(tenants))
    try:
        announced = json.loads(first_line(process))
        with connect(Settings.from_env(sourced(env_file))) as pair:
            pair.businesscentral.companies()
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        stop(process)
    assert process.returncode == 0, err
    assert out == "", "exactly one JSON line is printed"
    assert err.startswith("harness proxy: what the product did in "), err
    assert "businesscentral: 2 requests" in err and "held: Business Central requests per 5 minutes" in err, err
    assert "Traceback" not in err
    key = announced["control"].split(":")[2].split("@")[0]
    assert key not in err and tenants["BC_ACCESS_TOKEN"] not in err


# --- the product's process ----------------------------------------------------------------------------------------
PRODUCT = (
    "import os, signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); "
    "print('product up on', os.environ['BC_API_URL'], flush=True); time.sleep(120)"
)


def test_the_product_is_started_with_the_env_files_settings_and_stopped_with_the_proxy(
    tenants: dict[str, str], tmp_path: Path
) -> None:
    env_file, log = tmp_path / "product.env", tmp_path / "product.log"
    command = f"{sys.executable} -c {shlex.quote(PRODUCT)}"
    process = start(
        "proxy", "--env-file", str(env_file), "--product-command", command, "--product-log", str(log),
        env=environment(tenants),
    )  # fmt: skip
    try:
        announced = json.loads(first_line(process))
        with ProxyControl(announced["control"]) as control:
            deadline = time.monotonic() + 20
            while "product up" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.05)
            state = control.product()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        stop(process)
    assert announced["product_log"] == str(log)
    assert log.read_text().strip() == f"product up on {sourced(env_file)['BC_API_URL']}", "the front, not the tenant"
    assert (state["managed"], state["state"], state["starts"]) == (True, "running", 1)
    assert process.returncode == 0, err
    assert "the product was started 1 times (0 killed by a crash fault, 0 exited on their own); " in err, err
    assert "it stopped with status 0" in err and "Traceback" not in err


EXITS_ONCE = (
    "import os, pathlib, signal, sys, time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); "
    "mark = pathlib.Path(os.environ['MARK']); first = not mark.exists(); mark.touch(); "
    "print('up', flush=True); time.sleep(2.5 if first else 120); sys.exit(3)"
)


def test_a_product_that_exited_on_its_own_fails_the_proxy_run(tenants: dict[str, str], tmp_path: Path) -> None:
    env_file, log = tmp_path / "product.env", tmp_path / "product.log"
    command = f"{sys.executable} -c {shlex.quote(EXITS_ONCE)}"
    process = start(
        "proxy", "--env-file", str(env_file), "--product-command", command, "--product-log", str(log),
        env=environment(tenants, MARK=str(tmp_path / "mark")),
    )  # fmt: skip
    try:
        json.loads(first_line(process))
        deadline = time.monotonic() + 20
        while log.read_text().count("up") < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        stop(process)
    assert process.returncode == 1, err
    assert "the product was started 2 times (0 killed by a crash fault, 1 exited on their own)" in err, err
    assert "harness proxy: the product exited on its own 1 times (statuses 3)" in err, err


def test_a_product_that_keeps_exiting_at_start_stops_the_proxy_naming_its_log(
    tenants: dict[str, str], tmp_path: Path
) -> None:
    env_file = tmp_path / "product.env"
    command = f"{sys.executable} -c 'raise SystemExit(4)'"
    process = start("proxy", "--env-file", str(env_file), "--product-command", command, env=environment(tenants))
    try:
        json.loads(first_line(process))
        _, err = process.communicate(timeout=60)
    finally:
        stop(process)
    assert process.returncode == 1, err
    assert "harness proxy: the product exited 3 times, each soon after its start (last status 4); see " in err, err
    assert str(env_file) + ".product.log" in err and "Traceback" not in err


# --- cannot start -------------------------------------------------------------------------------------------------
def refused(env: dict[str, str], *args: str) -> str:
    process = start("proxy", *args, env=env)
    try:
        out, err = process.communicate(timeout=60)
    finally:
        stop(process)
    assert process.returncode == 2, (out, err)
    assert out == ""
    assert "Traceback" not in err
    assert err.startswith("harness proxy: ") and err.count("harness proxy:") == 1, err
    return err


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_settings_missing(tmp_path: Path) -> None:
    err = refused(clean_environment(), "--env-file", str(tmp_path / "product.env"))
    assert "CRMOFFICE_API_URL is not set" in err and "BC_TENANT is not set" in err
    assert not (tmp_path / "product.env").exists()


def test_an_unreachable_tenant(tenants: dict[str, str], tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    err = refused(environment(tenants, CRMOFFICE_API_URL=url), "--env-file", str(tmp_path / "product.env"))
    assert err.startswith(f"harness proxy: CRMOffice at {url} is not reachable"), err
    assert len(err.strip().splitlines()) == 1, err


def test_a_mitmdump_that_cannot_run(tenants: dict[str, str], tmp_path: Path) -> None:
    err = refused(
        environment(tenants), "--env-file", str(tmp_path / "product.env"), "--mitmdump", str(tmp_path / "nowhere")
    )
    assert f"cannot run {tmp_path / 'nowhere'}" in err and len(err.strip().splitlines()) == 1, err


def test_an_env_file_that_cannot_be_written(tenants: dict[str, str], tmp_path: Path) -> None:
    env_file = tmp_path / "missing-folder" / "product.env"
    err = refused(environment(tenants), "--env-file", str(env_file))
    assert f"cannot write {env_file}" in err and len(err.strip().splitlines()) == 1, err


def test_a_product_command_that_cannot_run(tenants: dict[str, str], tmp_path: Path) -> None:
    err = refused(environment(tenants), "--env-file", str(tmp_path / "p.env"), "--product-command", "/nonexistent/sync")
    assert "cannot start the product" in err and "cannot run the product's command" in err, err
