"""The last mutation run as one line of the sign-off's environment: score, equivalents, and whether it is stale."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness.report.mutation import SOURCES, describe_mutation_run, sources_digest

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    for folder in SOURCES:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path


def _record(root: Path, **fields: object) -> Path:
    path = root / "reports" / "mutation.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"recorded": "2026-11-29T17:00:00+00:00", "sources": sources_digest(root), "seed": 11}
    path.write_text(json.dumps({**record, **fields}), encoding="utf-8")
    return path


def test_a_recorded_run_reads_as_its_score_with_the_equivalents_apart(tmp_path: Path) -> None:
    root = _project(tmp_path)
    line = describe_mutation_run(_record(root, run=150, killed=131, equivalent=9), root)
    assert line == "131 of 150 killed (87%); 9 judged equivalent: 131 of 141 others (93%); seed 11, 2026-11-29", line


def test_a_run_on_other_sources_is_stale(tmp_path: Path) -> None:
    root = _project(tmp_path)
    path = _record(root, run=10, killed=9)
    engine = root / "harness" / "sync" / "engine.py"
    engine.write_text(engine.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    line = describe_mutation_run(path, root)
    assert line is not None and line.endswith("stale: the reference sync or the suite changed since this run"), line


def test_no_run_recorded_adds_nothing_and_a_broken_record_says_so(tmp_path: Path) -> None:
    assert describe_mutation_run(tmp_path / "absent.json", tmp_path) is None
    broken = tmp_path / "mutation.json"
    broken.write_text('{"seed": 1}', encoding="utf-8")
    line = describe_mutation_run(broken, tmp_path)
    assert line is not None and "is not a mutation run's record" in line and "run" in line, line
