"""The external sync's latency summary: read back from the Allure results, each marker change counted once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.barriers.barrier import BarrierResult, Crossing
from harness.report.latency import read_crossings, render_latency, summarise

TO_BC = "CRMOffice → Business Central"


def _crossing(change: int, seconds: float, direction: str = TO_BC) -> Crossing:
    return Crossing("Contacts", direction, "'Marker outbound'", change, seconds, seconds + 1)


def _result(directory: Path, name: str, barriers: list[list[Crossing]]) -> None:
    steps = []
    for number, crossings in enumerate(barriers, 1):
        source = f"{name}-{number}-attachment.json"
        (directory / source).write_text(json.dumps(BarrierResult("edits", 1.0, tuple(crossings)).to_dict()))
        attachment = {"name": f"sync {number}: barrier", "source": source, "type": "application/json"}
        steps.append({"name": "When the sync runs", "attachments": [attachment], "steps": []})
    other = {"name": "sync 1: records before", "source": "missing.json", "type": "application/json"}
    result = {"name": name, "status": "passed", "attachments": [other], "steps": [{"name": "Given", "steps": steps}]}
    (directory / f"{name}-result.json").write_text(json.dumps(result))


def test_crossings_are_read_from_every_scenarios_barrier_attachments_and_each_change_counts_once(
    tmp_path: Path,
) -> None:
    shared = _crossing(1, 2.0)
    _result(tmp_path, "a", [[shared], [_crossing(2, 4.0)]])
    _result(tmp_path, "b", [[shared], [_crossing(1, 9.0, "Business Central → CRMOffice")]])
    crossings = read_crossings(tmp_path)
    assert len(crossings) == 4, f"expected four crossings attached (one shared by two scenarios), found {crossings}"
    rows = summarise(crossings)
    assert [(r.direction, r.count, r.median, r.p95, r.max) for r in rows] == [
        ("Business Central → CRMOffice", 1, 9.0, 9.0, 9.0),
        (TO_BC, 2, 2.0, 4.0, 4.0),
    ], f"expected the shared change counted once per flow and direction, found {rows}"


def test_the_barriers_a_scenario_passed_in_its_given_steps_count_too(tmp_path: Path) -> None:
    _result(tmp_path, "a", [[_crossing(1, 2.0)]])
    data = json.loads((tmp_path / "a-result.json").read_text())
    (tmp_path / "a-all.json").write_text(
        json.dumps(
            {"barriers": [BarrierResult("edits", 1, (c,)).to_dict() for c in (_crossing(1, 2.0), _crossing(7, 3.0))]}
        )
    )
    data["attachments"].append({"name": "barriers of the scenario", "source": "a-all.json", "type": "application/json"})
    (tmp_path / "a-result.json").write_text(json.dumps(data))
    rows = summarise(read_crossings(tmp_path))
    assert [(r.count, r.max) for r in rows] == [(2, 3.0)], f"expected changes 1 and 7 once each, found {rows}"


def test_quantiles_are_measured_values() -> None:
    rows = summarise([_crossing(n, float(n)) for n in range(1, 21)])
    assert (rows[0].count, rows[0].median, rows[0].p95, rows[0].max) == (20, 10.0, 19.0, 20.0), rows


def test_the_sign_off_section_shows_the_service_levels_and_is_absent_without_an_external_sync() -> None:
    rows = summarise([_crossing(1, 1.5)])
    text = "\n".join(render_latency(rows, {"Converge timeout": "15 s", "Full sync timeout": "70 s"}))
    assert "## External sync latency" in text and "Converge timeout 15 s, Full sync timeout 70 s" in text, text
    assert f"| Contacts | {TO_BC} | 1 | 1.50 | 1.50 | 1.50 |" in text, text
    assert render_latency([], {}) == [], "expected no section when no external sync ran"


def test_a_broken_barrier_attachment_is_named(tmp_path: Path) -> None:
    _result(tmp_path, "a", [[_crossing(1, 2.0)]])
    (tmp_path / "a-1-attachment.json").write_text("{not json")
    with pytest.raises(ValueError, match=r"a-1-attachment.json: not a barrier attachment of a-result.json"):
        read_crossings(tmp_path)
