"""``harness serve`` as a user runs it: a separate process, one JSON line, real sockets, a clean stop."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.businesscentral.client import BusinessCentralClient
from harness.client import BearerToken

ROOT = Path(__file__).resolve().parents[2]


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _first_line(process: subprocess.Popen[str], timeout: float = 20.0) -> str:
    lines: list[str] = []
    assert process.stdout is not None
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    assert lines and lines[0], f"harness serve printed nothing within {timeout} s; stderr: {_stderr(process)}"
    return lines[0]


def _stderr(process: subprocess.Popen[str]) -> str:
    if process.poll() is None:
        return "(still running)"
    assert process.stderr is not None
    return process.stderr.read()


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], dict[str, Any]]]:
    with _start("--seed", "5") as process:
        try:
            yield process, json.loads(_first_line(process))
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)


def test_serve_prints_one_json_line_with_exactly_what_clients_need(
    served: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    _, endpoints = served
    assert set(endpoints) == {"crmoffice", "businesscentral"}, endpoints
    assert set(endpoints["crmoffice"]) == {"api", "token_url", "client_id", "client_secret"}, endpoints
    assert set(endpoints["businesscentral"]) == {"api", "token", "company_id"}, endpoints
    assert endpoints["crmoffice"]["api"].startswith("http://127.0.0.1:") and endpoints["crmoffice"]["api"].endswith("/")
    assert endpoints["crmoffice"]["token_url"] == endpoints["crmoffice"]["api"] + "connect/token"
    assert "/v2.0/" in endpoints["businesscentral"]["api"] and endpoints["businesscentral"]["api"].endswith(
        "/api/v2.0"
    ), endpoints


def test_both_served_tenants_answer_real_clients(served: tuple[subprocess.Popen[str], dict[str, Any]]) -> None:
    _, endpoints = served
    bc = endpoints["businesscentral"]
    with BusinessCentralClient(bc["api"], bc["company_id"], auth=BearerToken(bc["token"])) as client:
        assert [c["id"] for c in client.companies()] == [bc["company_id"]]
        created = client.create("contacts", {"displayName": "Over nettet", "type": "Person"})
        assert client.get("contacts", created.id).record["displayName"] == "Over nettet"
    crm = endpoints["crmoffice"]
    token = httpx.post(
        crm["token_url"],
        data={
            "grant_type": "client_credentials",
            "client_id": crm["client_id"],
            "client_secret": crm["client_secret"],
            "scope": "crmoffice",
        },
    )
    assert token.status_code == 200, token.text
    listing = httpx.get(crm["api"] + "contacts", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert listing.status_code == 200, listing.text
    assert listing.json()["items"] == []


def test_serve_stops_cleanly_on_sigint_and_prints_nothing_more(
    served: tuple[subprocess.Popen[str], dict[str, Any]],
) -> None:
    process, _ = served
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=10) == 0, _stderr(process)
    assert process.stdout is not None
    assert process.stdout.read() == "", "exactly one JSON line is printed"


def test_the_same_seed_gives_the_same_credentials() -> None:
    with _start("--seed", "11") as first, _start("--seed", "11") as second:
        try:
            one, two = json.loads(_first_line(first)), json.loads(_first_line(second))
        finally:
            for process in (first, second):
                process.terminate()
                process.wait(timeout=10)
    assert one["businesscentral"]["token"] == two["businesscentral"]["token"]
    assert one["crmoffice"]["client_secret"] == two["crmoffice"]["client_secret"]
    assert one["businesscentral"]["api"] != two["businesscentral"]["api"], "each listens on its own free port"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port-crmoffice", "70000"), "a port is a number from 0 to 65535"),
        (("--host", "0.0.0.0"), "not a loopback address"),
    ],
)
def test_bad_arguments_get_a_clear_message(args: tuple[str, ...], message: str) -> None:
    with _start(*args) as process:
        out, err = process.communicate(timeout=20)
    assert process.returncode == 2, (out, err)
    assert message in err, err
    assert "Traceback" not in err, err
    assert out == ""


def test_a_port_in_use_is_reported() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with _start("--port-businesscentral", str(busy.getsockname()[1])) as process:
            out, err = process.communicate(timeout=20)
    assert process.returncode == 2, (out, err)
    assert "cannot listen" in err and "Traceback" not in err, err


@pytest.mark.parametrize("host", ["127.example.com", "10.0.0.1", "::2"])
def test_the_fakes_refuse_to_listen_beyond_loopback(host: str) -> None:
    from harness.fakes import LoopbackServer

    with pytest.raises(ValueError, match="not a loopback address"):
        LoopbackServer(lambda environ, start_response: [], host=host)


def test_the_env_file_reaches_a_child_of_a_shell_that_sources_it(tmp_path: Path) -> None:
    env_file = tmp_path / "tenants.env"
    with _start("--seed", "5", "--env-file", str(env_file)) as process:
        try:
            crm = json.loads(_first_line(process))["crmoffice"]
            # A plain `source` (no `set -a`): only exported settings reach printenv, a child process.
            seen = subprocess.run(
                ["bash", "-c", 'source "$1" && printenv CRMOFFICE_API_URL CRMOFFICE_CLIENT_SECRET', "_", str(env_file)],
                env={"PATH": os.environ["PATH"]},
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
        finally:
            process.kill()
            process.wait(timeout=10)
    assert seen == [crm["api"], crm["client_secret"]]


def test_an_env_file_that_cannot_be_written_is_named(tmp_path: Path) -> None:
    env_file = tmp_path / "missing-folder" / "tenants.env"
    with _start("--env-file", str(env_file)) as process:
        out, err = process.communicate(timeout=20)
    assert process.returncode == 2, (out, err)
    assert err.strip() == f"harness serve: cannot write {env_file}: No such file or directory", err
    assert out == ""
