"""``harness checklist show`` and ``lint`` through the real ``harness`` command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import harness.cli
from harness.checklist import parse_file

DATA = Path(__file__).parent / "data"
OURS = DATA / "crmoffice-businesscentral.rst"
HUBSPOT = DATA / "crmoffice-hubspot.rst"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = harness.cli.main(["checklist", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def test_show_renders_our_checklist_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "show", str(OURS))
    expected = f"""CRMOffice to Business Central Dataflow
  file: {OURS}
  generated: 2024-11-13 00:00:00
  source system: CRMOffice
  target system: Business Central
  flows: 2

1. CRMOffice Companies to Business Central Customers (classification data)  (line 12)
   template: every (every source record gets a target record, then the pair is kept in sync)
   properties: none

2. CRMOffice Contacts to Business Central Contacts (human data)  (line 28)
   template: every (every source record gets a target record, then the pair is kept in sync)
   properties (2):
     directPhone -> phoneNumber        [string]
     mobilePhone -> mobilePhoneNumber  [string]
"""
    assert (status, out, err) == (0, expected, ""), (
        f"show {OURS.name}: expected\n{expected}\nfound {status}\n{out}{err}"
    )


def test_show_renders_merge_criteria_conditions_and_dependencies(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "show", str(DATA / "businesscentral-tripletex.rst"), str(DATA / "businesscentral-freshteam.rst")
    )
    expected_lines = [
        "   template: link-only (linked only to a matching target record; none is created)",
        "   created when: connected to a Business Central Businesscentral-salesorderlines that is synchronized into "
        "Tripletex",
        "   merge criteria (1):",
        "     gtin = ean",
        "     type -> isPrivateIndividual                   [boolean]",
        "     mobilePhone -> phone_numbers.number  [string]  target if: Dependant on having wd:Q17517 in "
        "phone_numbers.name",
    ]
    missing = [line for line in expected_lines if line not in out.splitlines()]
    assert status == 0 and not missing, f"show tripletex + freshteam: expected lines {missing} in\n{out}"
    assert out.count("Dataflow\n  file: ") == 2, f"expected two checklists rendered, found\n{out}"


def test_show_json_prints_one_object_per_file_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, "show", "--json", str(OURS), str(HUBSPOT))
    lines = out.splitlines()
    assert (status, len(lines), err) == (0, 2, ""), f"expected exit 0 and two JSON lines, found {status} {lines} {err}"
    for line, path in zip(lines, (OURS, HUBSPOT), strict=True):
        parsed = json.loads(line)
        assert parsed == parse_file(path).to_dict(), f"{path.name}: expected the model's to_dict, found {parsed}"
        assert list(parsed) == ["title", "source_system", "target_system", "generated", "flows"], (
            f"{path.name}: expected the documented keys in order, found {list(parsed)}"
        )
        flow_keys = [list(flow) for flow in parsed["flows"]]
        assert all(keys == ["source", "target", "template", "merge", "properties"] for keys in flow_keys), (
            f"{path.name}: expected each flow's keys source, target, template, merge, properties; found {flow_keys}"
        )


def test_lint_names_file_line_severity_and_section_and_exits_0_on_warnings(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "lint", str(OURS))
    expected = (
        f"{OURS}:12: warning: empty-properties: the property table has no rows: once linked, nothing is kept in sync "
        "[section 'CRMOffice Companies to Business Central Customers (classification data)']\n"
        f"{OURS}:12: warning: required-field-unmapped: Business Central requires 'displayName' to create a Customers "
        "record, but no row maps it: the sync must supply it as a creation default "
        "[section 'CRMOffice Companies to Business Central Customers (classification data)']\n"
        f"{OURS}:28: warning: required-field-unmapped: Business Central requires 'displayName' to create a Contacts "
        "record, but no row maps it: the sync must supply it as a creation default "
        "[section 'CRMOffice Contacts to Business Central Contacts (human data)']\n"
        f"{OURS}: 0 error(s), 3 other finding(s)\n"
    )
    assert (status, out, err) == (0, expected, ""), (
        f"lint {OURS.name}: expected exit 0 and\n{expected}\nfound {status}\n{out}{err}"
    )


def test_lint_exits_1_on_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "unknown-type.rst"
    broken.write_bytes(OURS.read_bytes().replace(b'"string"', b'"date"', 1))
    status, out, err = run(capsys, "lint", str(broken))
    assert status == 1, f"{broken.name}: expected exit 1 for an unknown data type, found {status}\n{out}{err}"
    assert f"{broken}:" in out and ": error: unknown-type: " in out, f"expected the unknown-type error, found\n{out}"
    assert out.endswith(f"{broken}: 1 error(s), 3 other finding(s)\n"), f"expected the summary line, found\n{out}"


def test_lint_exits_0_without_errors(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "lint", str(HUBSPOT), str(DATA / "crmoffice-crmoffice.rst"))
    assert status == 0, f"expected exit 0 for two checklists without errors, found {status}:\n{out}"
    assert out.count(": 0 error(s), 0 other finding(s)\n") == 2, f"expected a clean summary per file, found\n{out}"


def test_checklist_without_an_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        harness.cli.main(["checklist"])
    _, err = capsys.readouterr()
    assert caught.value.code == 2 and "ACTION" in err, f"expected argparse usage error naming ACTION, found {err!r}"
