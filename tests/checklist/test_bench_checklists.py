"""``scripts/bench_checklists.py``: it reports what it read, wrote back and refused, and fails on a refusal."""

from __future__ import annotations

import functools
import importlib.util
import json
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "bench_checklists.py"
CORPUS = Path(__file__).parent / "corpus"


@functools.cache
def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_checklists", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Its dataclasses look their module up by name while the script is still being loaded.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, object]]:
    status = _bench().main([*argv, "--workers", "1", "--json"])
    return status, json.loads(capsys.readouterr().out)


def test_the_real_excerpts_all_read_and_round_trip(capsys: pytest.CaptureFixture[str]) -> None:
    status, figures = _run(capsys, str(CORPUS))
    shown = {key: figures[key] for key in ("files", "read", "round_tripped", "refused")}
    assert (status, shown) == (0, {"files": 7, "read": 7, "round_tripped": 7, "refused": 0}), (status, figures)
    assert figures["templates"] == {"conditional": 5, "every": 3, "link-only": 1}, figures["templates"]


def test_refusals_are_grouped_by_reason_and_fail_the_run(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    shutil.copytree(CORPUS, tmp_path, dirs_exist_ok=True)
    good = (CORPUS / "zendesk-hubspot.rst").read_bytes()
    for name in ("a", "b"):
        broken = good.replace(b"it  will be synchronized", f"it will be {name}ynchronized".encode())
        (tmp_path / f"broken-{name}.rst").write_bytes(broken)
    (tmp_path / "not-a-checklist.rst").write_bytes(b"Release notes\n=============\n")
    (tmp_path / "written-otherwise.rst").write_bytes(good.replace(b"it  will", b"it will"))
    status, figures = _run(capsys, str(tmp_path))
    assert status == 1, f"expected exit status 1 when a file is refused, found {status}"
    assert (figures["files"], figures["read"], figures["round_tripped"], figures["refused"]) == (11, 8, 7, 3), figures
    groups = figures["refused_by_reason"]
    assert isinstance(groups, list) and [group["files"] for group in groups] == [2, 1], groups
    assert groups[0]["reason"].startswith("section '…' has no template sentence"), groups[0]
    assert groups[0]["first"] == [f"{tmp_path}/broken-a.rst:12", f"{tmp_path}/broken-b.rst:12"], groups[0]
    assert figures["not_round_tripped"] == [f"{tmp_path}/written-otherwise.rst:14"], figures["not_round_tripped"]


def test_require_round_trip_fails_on_a_file_written_back_otherwise(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    good = (CORPUS / "zendesk-hubspot.rst").read_bytes()
    (tmp_path / "one-space.rst").write_bytes(good.replace(b"it  will", b"it will"))
    assert _run(capsys, str(tmp_path))[0] == 0, "a file read but spelled otherwise is no refusal"
    assert _run(capsys, str(tmp_path), "--require-round-trip")[0] == 1


def test_the_synthetic_benchmark_still_runs(capsys: pytest.CaptureFixture[str]) -> None:
    status, figures = _run(capsys, "--synthetic", "12")
    assert (status, figures["files"], figures["refused"], figures["model_mismatches"]) == (0, 12, 0, []), figures
    assert figures["round_tripped"] == 12, figures
