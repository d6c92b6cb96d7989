"""The sign-off's product etiquette (rule 12): the proxy's whole-run measure and the rule-12 scenarios' own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.report.etiquette import LIMITS_ATTACHMENT, RUN_FILE, read_etiquette, render_etiquette, write_run_etiquette

HELD = {
    "tenant": "Business Central",
    "rule": "requests in flight at once",
    "limit": "≤ 5",
    "measured": "1",
    "held": True,
}
BROKEN = {**HELD, "measured": "7 at most", "held": False}


def _scenario(results: Path, name: str, limits: list[dict[str, object]]) -> None:
    (results / f"{name}-attachment.json").write_text(json.dumps({"limits": limits}), encoding="utf-8")
    step = {"name": "Then the sync kept to the tenants' published limits", "attachments": [
        {"name": LIMITS_ATTACHMENT, "source": f"{name}-attachment.json", "type": "application/json"}
    ]}  # fmt: skip
    result = {"name": name, "status": "passed", "steps": [step]}
    (results / f"{name}-result.json").write_text(json.dumps(result), encoding="utf-8")


def test_the_proxys_measure_of_the_run_comes_first_then_each_scenarios(tmp_path: Path) -> None:
    _scenario(tmp_path, "limits scenario", [HELD])
    write_run_etiquette(tmp_path, {"seconds": 80.5, "limits": [BROKEN]})
    measures = read_etiquette(tmp_path)
    assert [m.source for m in measures] == [
        "harness proxy, the product's whole run (80.5 s)",
        "scenario: limits scenario",
    ]
    assert [m.held for m in measures] == [False, True]
    rendered = "\n".join(render_etiquette(measures))
    assert "| Business Central | requests in flight at once | ≤ 5 | 7 at most | BROKEN |" in rendered, rendered


def test_a_measure_that_is_not_one_is_refused_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / RUN_FILE).write_text("{}", encoding="utf-8")
    with pytest.raises(ValueError, match=RUN_FILE):
        read_etiquette(tmp_path)


def test_nothing_measured_renders_nothing() -> None:
    assert render_etiquette([]) == []
