"""The settings files the harness writes (``harness serve`` and ``harness proxy --env-file``): a plain ``source``
hands every value, as written, to the processes the shell starts afterwards."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from harness.envfile import write_env_file

TRICKY = 'it\'s a "quoted" value with  spaces, $HOME, `date` and \\n'


def child_sees(env_file: Path, name: str) -> str:
    """What a child process of a shell that sourced ``env_file`` (no ``set -a``) finds in ``name``."""
    return subprocess.run(
        ["bash", "-c", 'source "$1" && printenv "$2"', "_", str(env_file), name],
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.removesuffix("\n")


def test_a_sourced_env_file_reaches_a_child_process_as_written(tmp_path: Path) -> None:
    env_file = tmp_path / "tenants.env"
    write_env_file(env_file, {"HARNESS_PLAIN": "http://127.0.0.1:8080/", "HARNESS_TRICKY": TRICKY, "HARNESS_EMPTY": ""})
    assert child_sees(env_file, "HARNESS_PLAIN") == "http://127.0.0.1:8080/"
    assert child_sees(env_file, "HARNESS_TRICKY") == TRICKY
    assert child_sees(env_file, "HARNESS_EMPTY") == ""


def test_the_env_file_is_the_owners_only(tmp_path: Path) -> None:
    env_file = tmp_path / "tenants.env"
    env_file.write_text("stale\n")
    env_file.chmod(0o644)
    write_env_file(env_file, {"HARNESS_SECRET": "s3cret"})
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert env_file.read_text() == "export HARNESS_SECRET=s3cret\n"


def test_a_name_a_shell_cannot_assign_is_refused_before_writing(tmp_path: Path) -> None:
    env_file = tmp_path / "tenants.env"
    with pytest.raises(ValueError, match=r"not a shell variable name: 'BC API'"):
        write_env_file(env_file, {"BC API": "x"})
    assert not env_file.exists()
