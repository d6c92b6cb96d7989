"""The soak's Allure result: a timeline of steps, each violation with its records, the reproduction attached."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from harness.soak.allure import write_result
from harness.soak.checker import Verdict
from harness.soak.history import BC, CRM, Action, Event, FinalState
from harness.soak.program import Program
from harness.soak.session import Outcome


def test_a_failing_soak_is_one_failed_result_with_its_history_and_reproduction(tmp_path: Path) -> None:
    stamp = datetime(2026, 11, 29, 12, tzinfo=UTC)
    actions = [
        Action("create", CRM, "contacts", "c1", {"directPhone": "22 33 44 55"}),
        Action("edit", BC, "contacts", "c1", {"phoneNumber": "66 77 88 99"}, group=1),
    ]
    events = [Event(i, a, float(i), stamp=stamp) for i, a in enumerate(actions)]
    verdict = Verdict()
    verdict.fail(3, "c1", "directPhone ↔ phoneNumber: expected CRMOffice to show '66 77 88 99', found '22 33 44 55'")
    final = FinalState(crm={"c1": {"id": "x", "directPhone": "22 33 44 55"}}, bc={"c1": [{"id": "y"}]})
    outcome = Outcome(Program(5, actions), events, final, verdict, 12.5, "2611291200ab", reproduction="Scenario: x\n")
    write_result(outcome, tmp_path, started_ms=1_000)
    (result_file,) = tmp_path.glob("*-result.json")
    result = json.loads(result_file.read_text())
    assert (result["status"], result["name"]) == ("failed", "harness soak, seed 5"), result
    assert "rule 3, c1" in result["statusDetails"]["message"], result["statusDetails"]
    names = [step["name"] for step in result["steps"]]
    assert names[:2] == [
        "#0 at 0.0 s: a CRMOffice user creates contact c1: directPhone = '22 33 44 55'",
        "#1 at 1.0 s: a Business Central user edits contact c1: phoneNumber = '66 77 88 99'",
    ], names
    broken = result["steps"][-1]
    assert broken["status"] == "failed" and broken["name"] == "rule 3 broken for c1", broken
    (records,) = broken["attachments"]
    shown = json.loads((tmp_path / records["source"]).read_text())
    assert shown["crmoffice"] == {"id": "x", "directPhone": "22 33 44 55"} and len(shown["history"]) == 2, shown
    attached = {a["name"]: a for a in result["attachments"]}
    assert set(attached) == {"summary.json", "history.json", "minimal-reproduction.feature"}, attached
    assert (tmp_path / attached["minimal-reproduction.feature"]["source"]).read_text() == "Scenario: x\n"
    summary = json.loads((tmp_path / attached["summary.json"]["source"]).read_text())
    assert summary["violations"] == [v.to_dict() for v in verdict.violations] and summary["operations"] == 2


def test_a_soak_no_product_synced_is_one_broken_result_saying_so(tmp_path: Path) -> None:
    verdict = Verdict()
    verdict.fail(1, "c1", "expected one Business Central counterpart, found []")
    said = "no product seems to be syncing: none of the marker changes of 5 barrier(s) crossed"
    outcome = Outcome(Program(5), [], FinalState(), verdict, 3.0, "2611291200ab", no_product=said)
    write_result(outcome, tmp_path, started_ms=1_000)
    (result_file,) = tmp_path.glob("*-result.json")
    result = json.loads(result_file.read_text())
    assert (result["status"], result["statusDetails"]["message"]) == ("broken", said), result
    assert not any(step["name"].startswith("rule ") for step in result.get("steps", [])), result
