"""``harness signoff`` from a hand-made Allure results folder, and the files written beside the results."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

import harness.cli
from harness.checklist import parse_file
from harness.report.environment import (
    CATEGORIES,
    allure3_categories,
    read_properties,
    write_categories,
    write_properties,
)
from harness.report.etiquette import write_run_etiquette
from harness.traceability.coverage import check_coverage, read_features

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
CHECKLIST = FEATURES / "crmoffice-businesscentral.rst"
ROW = "row:contacts-to-contacts:directPhone:phoneNumber:to_businesscentral"
ENV = {"Tenants": "mock", "Sync": "reference", "Faker seed": "42"}


def _all_traces() -> list[str]:
    """Every trace once per scenario that proves it in a full run: a row once per outline of its direction."""
    scenarios, problems = read_features(FEATURES, root=ROOT)
    items = check_coverage(parse_file(CHECKLIST), scenarios, problems).items
    return [item.trace for item in items for _ in range(len(item.scenarios) if item.kind == "row" else 1)]


FULL_RUN = len(_all_traces())


def _result(results: Path, name: str, status: str, *traces: str, failed_check: str = "") -> None:
    checks = [{"name": "failed_check", "value": failed_check}] if failed_check else []
    data = {
        "uuid": str(uuid.uuid4()),
        "name": name,
        "status": status,
        "stage": "finished",
        "labels": [{"name": "trace", "value": trace} for trace in traces] + [{"name": "epic", "value": "x"}] + checks,
        "parameters": [{"name": "replay", "value": "pytest steps/test_checklist.py::test_x --faker-seed 7"}],
        "statusDetails": {"message": f"{name} went wrong"} if status == "failed" else {},
    }
    (results / f"{data['uuid']}-result.json").write_text(json.dumps(data), encoding="utf-8")


def _results_dir(tmp_path: Path) -> Path:
    results = tmp_path / "allure-results"
    write_properties(results, ENV)
    return results


def _signoff(results: Path, out: Path) -> int:
    argv = ["signoff", "--results", str(results), "--out", str(out)]
    return harness.cli.main([*argv, "--checklist", str(CHECKLIST), "--features", str(FEATURES)])


def _row_line(markdown: str, title_part: str) -> str:
    lines = [line for line in markdown.splitlines() if line.startswith("| ") and title_part in line]
    assert len(lines) == 1, f"expected one table line with {title_part!r}, found {lines}"
    return lines[0]


def test_a_partial_run_is_not_ready_and_lists_what_is_unproven(tmp_path: Path) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "signoff.md"
    _result(results, "latest wins", "passed", "rule:4", "section:contacts-to-contacts", ROW)
    status = _signoff(results, out)
    markdown = out.read_text(encoding="utf-8")
    assert status == 1, f"expected exit 1 for a partial run, found {status}"
    assert "**NOT READY FOR SIGN-OFF**" in markdown, f"expected NOT READY, found {markdown[:300]}"
    assert "| proven |" in _row_line(markdown, "Rule 4: Latest version wins"), "expected rule 4 proven"
    for unproven in ("Rule 5: Empty never overwrites", "directPhone ↔ phoneNumber (Business Central → CRMOffice)"):
        assert "| NOT PROVEN | none ran" in _row_line(markdown, unproven), f"expected {unproven!r} NOT PROVEN"
    not_proven = markdown.count("| NOT PROVEN |")
    # The directPhone row passed in one of the outlines of its direction only: not proven either.
    assert not_proven == 16, f"expected 16 of 18 items NOT PROVEN, found {not_proven}"


def test_a_full_passing_run_is_ready_and_puts_the_signoff_on_the_report_home_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "reports" / "signoff.md"
    traces = _all_traces()
    for number, trace in enumerate(traces):
        _result(results, f"scenario {number}", "passed", trace)
    assert FULL_RUN > 18, f"expected rows proven by several outlines each, found {FULL_RUN} results for 18 items"
    status = _signoff(results, out)
    printed = capsys.readouterr().out
    markdown = out.read_text(encoding="utf-8")
    assert status == 0, f"expected exit 0, found {status}; stdout {printed!r}"
    assert f"**READY FOR SIGN-OFF** — {FULL_RUN} scenarios: {FULL_RUN} passed" in markdown, (
        f"expected READY, found {markdown[:300]}"
    )
    assert "NOT PROVEN" not in markdown and "FAILED" not in markdown, "expected every item proven"
    assert "18 of 18 items proven" in printed, f"expected the count on stdout, found {printed!r}"
    assert "| Faker seed | 42 |" in markdown, "expected the environment.properties in the summary"
    assert not list(results.glob("signoff-*-result.json")), "the sign-off is no test result: it would be counted"
    (globals_file,) = results.glob("signoff-*-globals.json")
    entry = json.loads(globals_file.read_text(encoding="utf-8"))
    assert entry["errors"] == [], f"expected no global error for a ready run, found {entry['errors']}"
    (attachment,) = entry["attachments"]
    assert (attachment["name"], attachment["type"]) == ("Sign-off", "text/markdown"), attachment
    attached = (results / attachment["source"]).read_text(encoding="utf-8")
    assert attached == markdown, "expected the attachment to be the summary written to --out"


def test_signing_off_twice_keeps_one_signoff_and_counts_only_scenarios(tmp_path: Path) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "signoff.md"
    for number, trace in enumerate(_all_traces()):
        _result(results, f"{trace} {number}", "passed", trace)
    statuses = [_signoff(results, out), _signoff(results, out)]
    assert statuses == [0, 0], f"expected exit 0 twice, found {statuses}"
    assert len(list(results.glob("signoff-*"))) == 2, "expected one globals file and one attachment after two sign-offs"
    assert f"— {FULL_RUN} scenarios:" in out.read_text(encoding="utf-8"), (
        "expected the sign-off's own result not counted"
    )


def test_a_failed_result_fails_its_items(tmp_path: Path) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "signoff.md"
    for trace in _all_traces():
        _result(results, f"passing {trace}", "passed", trace)
    _result(results, "latest wins, conflicting", "failed", "rule:4", ROW)
    status = _signoff(results, out)
    markdown = out.read_text(encoding="utf-8")
    assert status == 1, f"expected exit 1 with a failed scenario, found {status}"
    assert "**NOT READY FOR SIGN-OFF**" in markdown, "expected NOT READY"
    assert "| FAILED |" in _row_line(markdown, "Rule 4: Latest version wins"), "expected rule 4 FAILED"
    assert "| FAILED |" in _row_line(markdown, "directPhone ↔ phoneNumber (CRMOffice → Business Central)"), (
        "expected the directPhone row FAILED"
    )
    assert "| proven |" in _row_line(markdown, "Rule 5: Empty never overwrites"), "expected rule 5 still proven"
    assert "latest wins, conflicting went wrong" in markdown, "expected the failure message under Failed scenarios"
    (signoff,) = results.glob("signoff-*-globals.json")
    (error,) = json.loads(signoff.read_text(encoding="utf-8"))["errors"]
    assert error["message"].startswith("NOT READY for sign-off: 2 item(s) FAILED: "), error
    assert "Rule 4: Latest version wins" in error["message"], f"expected the failed rule named, found {error}"


def test_a_scenario_failed_only_by_the_report_check_keeps_its_items_proven(tmp_path: Path) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "signoff.md"
    for trace in _all_traces():
        _result(results, f"passing {trace}", "passed", trace)
    _result(results, "latest wins, reported wrong", "failed", "rule:4", ROW, failed_check="sync report")
    status = _signoff(results, out)
    markdown = out.read_text(encoding="utf-8")
    assert status == 1, f"expected exit 1 with a failed scenario, found {status}"
    assert "**NOT READY FOR SIGN-OFF**" in markdown, "expected NOT READY"
    line = _row_line(markdown, "Rule 4: Latest version wins")
    assert "| proven |" in line and "1 failed (the sync report check only)" in line, line
    assert "its steps passed; the sync report check after them failed" in line, line
    assert "Why: the reference sync's report disagrees with the tenants in 1 scenario(s)" in markdown, markdown[:600]


def test_an_item_with_skipped_results_only_is_not_proven(tmp_path: Path) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "signoff.md"
    for trace in _all_traces():
        if trace != "rule:10":
            _result(results, f"passing {trace}", "passed", trace)
    _result(results, "fault on a real tenant", "skipped", "rule:10")
    status = _signoff(results, out)
    markdown = out.read_text(encoding="utf-8")
    assert status == 1, f"expected exit 1 with an item only skipped, found {status}"
    line = _row_line(markdown, "Rule 10: Throttling")
    assert "| NOT PROVEN | 1 skipped |" in line, f"expected rule 10 NOT PROVEN with 1 skipped, found {line}"
    assert markdown.count("| NOT PROVEN |") == 1, "expected only rule 10 NOT PROVEN"


def test_skipped_and_passed_together_prove_an_item(tmp_path: Path) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "signoff.md"
    for trace in _all_traces():
        _result(results, f"passing {trace}", "passed", trace)
    _result(results, "fault on a real tenant", "skipped", "rule:10")
    assert _signoff(results, out) == 0, "expected a skipped result beside a passed one not to block sign-off"
    assert "| proven | 1 passed, 1 skipped |" in _row_line(out.read_text(encoding="utf-8"), "Rule 10: Throttling")


def test_a_row_is_proven_only_when_every_outline_of_its_direction_passed_with_it(tmp_path: Path) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "signoff.md"
    traces = _all_traces()
    outlines = traces.count(ROW)
    traces.remove(ROW)  # one outline did not run with this row (deselected, say)
    for number, trace in enumerate(traces):
        _result(results, f"passing {number}", "passed", trace)
    assert _signoff(results, out) == 1, "expected NOT READY while one outline has not proven the row"
    line = _row_line(out.read_text(encoding="utf-8"), "directPhone ↔ phoneNumber (CRMOffice → Business Central)")
    assert f"| NOT PROVEN | {outlines - 1} passed (of {outlines} outlines) |" in line, line


def test_a_missing_results_folder_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = _signoff(tmp_path / "nowhere", tmp_path / "signoff.md")
    err = capsys.readouterr().err
    assert status == 2, f"expected exit 2, found {status}"
    assert err.count("\n") == 1 and "nowhere" in err, f"expected one stderr line naming the folder, found {err!r}"
    assert err.startswith("harness signoff: "), f"expected the command named, found {err!r}"
    assert not (tmp_path / "signoff.md").exists(), "expected no summary written"


def test_an_unreadable_result_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _results_dir(tmp_path)
    (results / "broken-result.json").write_text("{not json", encoding="utf-8")
    status = _signoff(results, tmp_path / "signoff.md")
    err = capsys.readouterr().err
    assert status == 2, f"expected exit 2, found {status}"
    assert err.count("\n") == 1 and "broken-result.json" in err, f"expected one line naming the file, found {err!r}"


def test_a_result_that_is_not_utf8_exits_2_naming_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    results = _results_dir(tmp_path)
    (results / "latin1-result.json").write_bytes(b"\xff\xfe{}")
    status = _signoff(results, tmp_path / "signoff.md")
    err = capsys.readouterr().err
    assert status == 2, f"expected exit 2, found {status}"
    assert "latin1-result.json" in err, f"expected the file named on stderr, found {err!r}"


def test_a_result_that_is_not_a_json_object_exits_2(tmp_path: Path) -> None:
    results = _results_dir(tmp_path)
    (results / "list-result.json").write_text("[]", encoding="utf-8")
    status = _signoff(results, tmp_path / "signoff.md")
    assert status == 2, f"expected exit 2, found {status}"


# --- environment.properties and categories.json ----------------------------------------------------------------
def test_environment_properties_round_trip(tmp_path: Path) -> None:
    env = {
        "Faker seed": "42",
        "Replay": "make qa QA_ARGS='--faker-seed 42 --tenants mock --sync reference'",
        "Checklist": r"C:\work\features\crmoffice-businesscentral.rst",
        "Checklist generated": "2024-11-13 00:00:00",
        "key=with:odd chars": "a=b:c\\d",
        "multi": "line one\nline two",
        "empty": "",
        "Tenants": "mock",
    }
    path = write_properties(tmp_path / "results", env)
    assert path == tmp_path / "results" / "environment.properties", f"unexpected path {path}"
    found = read_properties(path)
    assert found == env, f"expected {env}, found {found}"
    assert list(found) == list(env), f"expected the order kept, found {list(found)}"


def test_environment_properties_are_written_as_java_properties(tmp_path: Path) -> None:
    path = write_properties(tmp_path, {"Faker seed": "a=b", "path": "C:\\x"})
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines == ["Faker\\ seed=a=b", "path=C:\\\\x"], f"expected escaped key and backslash, found {lines}"


def test_a_missing_environment_file_reads_as_empty(tmp_path: Path) -> None:
    found = read_properties(tmp_path / "environment.properties")
    assert found == {}, f"expected no properties, found {found}"


def test_comments_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "environment.properties"
    path.write_text("# a comment\n! another\nTenants=mock\n", encoding="utf-8")
    found = read_properties(path)
    assert found == {"Tenants": "mock"}, f"expected comments skipped, found {found}"


def test_categories_json_names_the_three_categories(tmp_path: Path) -> None:
    path = write_categories(tmp_path / "results")
    data = json.loads(path.read_text(encoding="utf-8"))
    names = [category["name"] for category in data]
    assert names == ["Infrastructure failures", "Product defects", "Harness errors"], f"found {names}"
    assert data == CATEGORIES, "expected the written categories to be CATEGORIES"
    assert all(category["matchedStatuses"] for category in data), "expected each category to match some status"


@pytest.mark.parametrize("value", ["one\rtwo", "one\u2028two"])
def test_environment_values_with_other_line_breaks_round_trip(tmp_path: Path, value: str) -> None:
    found = read_properties(write_properties(tmp_path, {"Checklist generated": value}))
    assert found == {"Checklist generated": value}, f"expected the value kept, found {found}"


def test_a_key_that_looks_like_a_comment_round_trips(tmp_path: Path) -> None:
    found = read_properties(write_properties(tmp_path, {"#seed": "1", "!x y": "2"}))
    assert found == {"#seed": "1", "!x y": "2"}, f"expected both keys kept, found {found}"


def test_a_trace_label_without_a_value_does_not_crash(tmp_path: Path) -> None:
    results = _results_dir(tmp_path)
    (results / "odd-result.json").write_text(
        '{"name": "x", "status": "passed", "labels": [{"name": "trace"}, "not a label"]}', encoding="utf-8"
    )
    assert _signoff(results, tmp_path / "signoff.md") == 1


def test_the_report_sorts_failures_as_categories_json_does() -> None:
    config = json.loads((Path(__file__).resolve().parents[2] / "allurerc.json").read_text(encoding="utf-8"))
    assert config["categories"] == allure3_categories(), "allurerc.json's categories drifted from harness.report"
    assert config["plugins"]["awesome"]["options"]["singleFile"] is True, "the report must be one self-contained file"


def test_the_signoff_holds_the_run_against_the_checklist_the_run_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old = Path(__file__).resolve().parents[1] / "checklist" / "data" / "history"
    older = sorted(old.glob("crmoffice-businesscentral@2024-09-17-1152f3d90e.rst"))[0]
    results = tmp_path / "allure-results"
    write_properties(results, {**ENV, "Checklist": str(older)})
    argv = ["signoff", "--results", str(results), "--out", str(tmp_path / "s.md"), "--features", str(FEATURES)]
    assert harness.cli.main(argv) == 1
    printed = capsys.readouterr().out
    markdown = (tmp_path / "s.md").read_text(encoding="utf-8")
    # The older checklist has both sections but no phone rows: 2 sections + 12 rules, and the features' rows stale.
    assert "0 of 14 items proven" in printed, f"expected the older checklist's 14 items, found {printed!r}"
    assert "## Coverage problems" in markdown and "is not a row of the checklist section" in markdown, markdown[:800]


def test_a_limit_the_product_broke_makes_a_full_passing_run_not_ready(tmp_path: Path) -> None:
    results, out = _results_dir(tmp_path), tmp_path / "signoff.md"
    for number, trace in enumerate(_all_traces()):
        _result(results, f"scenario {number}", "passed", trace)
    broken = {"tenant": "Business Central", "rule": "requests sent before a Retry-After expired", "limit": "none"}
    write_run_etiquette(results, {"seconds": 90, "limits": [{**broken, "measured": "4", "held": False}]})
    assert _signoff(results, out) == 1
    markdown = out.read_text(encoding="utf-8")
    assert "**NOT READY FOR SIGN-OFF**" in markdown, markdown[:300]
    assert "| Business Central | requests sent before a Retry-After expired | none | 4 | BROKEN |" in markdown
    errors = [json.loads(p.read_text())["errors"] for p in results.glob("signoff-*-globals.json")]
    assert errors and "limits broken (rule 12): Business Central requests sent before a Retry-After" in str(errors)
