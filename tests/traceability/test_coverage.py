"""``harness.traceability.coverage``: the features held against the checklist, and what a changed checklist breaks."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checklist import parse_file, parse_text
from harness.traceability.coverage import Coverage, FeatureError, check_coverage, read_features

ROOT = Path(__file__).resolve().parents[2]
FEATURES = ROOT / "features"
CHECKLIST = FEATURES / "crmoffice-businesscentral.rst"
MOBILE_ROW = '   * - mobilePhone\n     - mobilePhoneNumber\n     - "string"\n'
EMAIL_ROW = '   * - email\n     - email\n     - "string"\n'
COMPANIES_HEADING = "CRMOffice Companies to Business Central Customers (classification data)\n---"
CONTACTS_HEADING = "CRMOffice Contacts to Business Central Contacts (human data)\n---"


def _checklist_text() -> str:
    text = CHECKLIST.read_text(encoding="utf-8")
    for part in (MOBILE_ROW, COMPANIES_HEADING, CONTACTS_HEADING):
        assert text.count(part) == 1, f"expected the checklist to hold {part!r} once, found {text.count(part)}"
    return text


def _coverage_of(text: str, tmp_path: Path) -> Coverage:
    path = tmp_path / "crmoffice-businesscentral.rst"
    path.write_text(text, encoding="utf-8")
    scenarios, problems = read_features(FEATURES, root=ROOT)
    return check_coverage(parse_file(path), scenarios, problems)


def _messages(coverage: Coverage) -> list[str]:
    return [str(problem) for problem in coverage.problems]


def _feature(tmp_path: Path, body: str, name: str = "test.feature") -> Path:
    folder = tmp_path / "features"
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body, encoding="utf-8")
    return folder


def test_the_real_features_cover_the_real_checklist() -> None:
    scenarios, problems = read_features(FEATURES, root=ROOT)
    coverage = check_coverage(parse_file(CHECKLIST), scenarios, problems)
    assert coverage.ok, f"expected no coverage problem, found {_messages(coverage)}"
    kinds = [item.kind for item in coverage.items]
    counts = {kind: kinds.count(kind) for kind in ("section", "row", "rule")}
    assert (len(coverage.items), counts) == (18, {"section": 2, "row": 4, "rule": 12}), (
        f"expected 18 items (2 sections, 4 row-directions, 12 rules), found {len(coverage.items)} {counts}"
    )
    empty = [item.trace for item in coverage.items if not item.scenarios]
    assert empty == [], f"expected every item cited by a scenario, uncited: {empty}"


def test_the_real_features_are_shown_relative_to_the_root() -> None:
    scenarios, _ = read_features(FEATURES, root=ROOT)
    paths = sorted({scenario.path for scenario in scenarios})
    expected = ["features/companies.feature", "features/contacts.feature", "features/resilience.feature"]
    assert paths == expected, f"expected {expected}, found {paths}"


def test_the_real_row_items_are_named_by_section_property_and_direction() -> None:
    scenarios, problems = read_features(FEATURES, root=ROOT)
    coverage = check_coverage(parse_file(CHECKLIST), scenarios, problems)
    rows = sorted(item.trace for item in coverage.items if item.kind == "row")
    expected = sorted(
        f"row:contacts-to-contacts:{origin}:{target}:{direction}"
        for origin, target in (("directPhone", "phoneNumber"), ("mobilePhone", "mobilePhoneNumber"))
        for direction in ("to_businesscentral", "to_crmoffice")
    )
    assert rows == expected, f"expected {expected}, found {rows}"


def test_a_row_added_to_the_checklist_is_reported_once_per_direction(tmp_path: Path) -> None:
    text = _checklist_text().replace(MOBILE_ROW, MOBILE_ROW + EMAIL_ROW)
    coverage = _coverage_of(text, tmp_path)
    found = [m for m in _messages(coverage) if "email ↔ email" in m]
    assert not coverage.ok, "expected coverage to fail with an unproven row"
    assert len(found) == 2 == len(coverage.problems), f"expected two problems naming email ↔ email, found {found}"
    for arrow in ("(CRMOffice → Business Central)", "(Business Central → CRMOffice)"):
        assert sum(arrow in m for m in found) == 1, f"expected one problem for {arrow}, found {found}"
    scenarios, _ = read_features(FEATURES, root=ROOT)
    for direction, arrow in (("to_businesscentral", "(CRMOffice → Business Central)"), ("to_crmoffice", "(Business")):
        tables = [t for s in scenarios for t in s.tables if t.direction == direction]
        message = next(m for m in found if arrow in m)
        for table in tables:
            assert f"{table.path}:{table.line}: | email | email |" in message, (
                f"expected the problem for {direction} to name {table.path}:{table.line} with the row to paste, "
                f"found {message}"
            )
        assert f"missing from {len(tables)} of the {len(tables)} Examples tables" in message, message
    assert "features/resilience.feature:19: | email | email | <refused value> |" in " ".join(found), (
        f"expected the refused-values table's extra column as a placeholder, found {found}"
    )


def test_a_row_missing_from_one_outline_names_only_that_table(tmp_path: Path) -> None:
    feature = (FEATURES / "contacts.feature").read_text(encoding="utf-8")
    direct = "        | directPhone        | phoneNumber              |\n"
    table = direct + "        | mobilePhone        | mobilePhoneNumber        |\n"
    assert feature.count(table) >= 2, "expected the contacts feature to list both rows in its outlines"
    first = feature.index(table)
    trimmed = (
        feature[:first] + "        | directPhone        | phoneNumber              |\n" + feature[first + len(table) :]
    )
    folder = tmp_path / "features"
    folder.mkdir()
    for other in FEATURES.glob("*.feature"):
        (folder / other.name).write_text(trimmed if other.name == "contacts.feature" else other.read_text("utf-8"))
    scenarios, problems = read_features(folder, root=tmp_path)
    coverage = check_coverage(parse_file(CHECKLIST), scenarios, problems)
    line = feature[:first].count("\n") - 1  # the Examples line sits just above the header row
    expected = f"features/contacts.feature:{line}: | mobilePhone | mobilePhoneNumber |"
    assert [m for m in _messages(coverage) if "mobilePhone ↔ mobilePhoneNumber" in m] and all(
        expected in m and "missing from 1 of the" in m for m in _messages(coverage)
    ), f"expected one problem naming only {expected}, found {_messages(coverage)}"


def test_a_row_of_a_section_without_row_outlines_names_the_outlines_to_write(tmp_path: Path) -> None:
    org_row = '   * - orgNr\n     - taxRegistrationNumber\n     - "string"\n'
    header = "     - Business Central Data Type\n"
    text = _checklist_text()
    companies = text.index(COMPANIES_HEADING)
    at = text.index(header, companies) + len(header)
    coverage = _coverage_of(text[:at] + org_row + text[at:], tmp_path)
    found = [m for m in _messages(coverage) if "orgNr ↔ taxRegistrationNumber" in m]
    assert len(found) == 2, f"expected one problem per direction for the companies row, found {found}"
    assert all("has no scenario outline to be proven by" in m and "rule 4" in m for m in found), found


def test_a_row_removed_from_the_checklist_is_reported_where_the_features_cite_it(tmp_path: Path) -> None:
    coverage = _coverage_of(_checklist_text().replace(MOBILE_ROW, ""), tmp_path)
    assert not coverage.ok, "expected coverage to fail on a stale Examples row"
    stale = [p for p in coverage.problems if "mobilePhone ↔ mobilePhoneNumber" in p.message]
    assert stale, f"expected a problem naming mobilePhone ↔ mobilePhoneNumber, found {_messages(coverage)}"
    assert all("is not a row of the checklist section" in p.message for p in stale), (
        f"expected each to say the checklist has no such row, found {[p.message for p in stale]}"
    )
    contacts = (FEATURES / "contacts.feature").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(contacts, 1) if text.strip().startswith("| mobilePhone "))
    where = [p.where for p in stale]
    assert f"features/contacts.feature:{line}" in where, f"expected features/contacts.feature:{line} in {where}"
    assert any(w.startswith("features/resilience.feature:") for w in where), f"expected resilience.feature in {where}"


def test_a_section_removed_from_the_checklist_is_reported_for_its_scenarios(tmp_path: Path) -> None:
    text = _checklist_text()
    start, end = text.index(COMPANIES_HEADING), text.index(CONTACTS_HEADING)
    coverage = _coverage_of(text[:start] + text[end:], tmp_path)
    assert not coverage.ok, "expected coverage to fail on a stale section"
    cited = [m for m in _messages(coverage) if "@checklist:companies-to-customers" in m]
    assert cited, f"expected a problem naming @checklist:companies-to-customers, found {_messages(coverage)}"
    assert all(m.startswith("features/companies.feature:") for m in cited), f"expected companies.feature in {cited}"
    assert all("a section the checklist does not have" in m for m in cited), f"expected the reason in {cited}"


def test_parse_text_of_the_real_checklist_gives_the_same_coverage() -> None:
    scenarios, problems = read_features(FEATURES, root=ROOT)
    coverage = check_coverage(parse_text(_checklist_text(), "checklist.rst"), scenarios, problems)
    assert coverage.ok, f"expected no coverage problem, found {_messages(coverage)}"


def test_a_scenario_without_a_rule_tag_is_a_problem(tmp_path: Path) -> None:
    folder = _feature(
        tmp_path,
        "@checklist:contacts-to-contacts\nFeature: f\n\n  Scenario: nothing cited\n    Given a CRMOffice contact\n",
    )
    scenarios, problems = read_features(folder, root=tmp_path)
    shown = [str(p) for p in problems]
    assert len(scenarios) == 1, f"expected one scenario, found {len(scenarios)}"
    assert shown == ["features/test.feature:4: scenario 'nothing cited' cites no contract rule (@rule:<n>)"], (
        f"expected one problem for the missing @rule tag, found {shown}"
    )


def test_an_unknown_rule_number_is_a_problem_naming_the_tag(tmp_path: Path) -> None:
    folder = _feature(tmp_path, "Feature: f\n\n  @rule:13\n  Scenario: s\n    Given a CRMOffice contact\n")
    scenarios, problems = read_features(folder, root=tmp_path)
    named = [str(p) for p in problems if "@rule:13" in p.message]
    assert len(named) == 1, f"expected one problem naming @rule:13, found {[str(p) for p in problems]}"
    assert named[0].startswith("features/test.feature:4: "), f"expected the scenario's line, found {named[0]}"
    assert scenarios[0].rules == (), f"expected no valid rule on the scenario, found {scenarios[0].rules}"


def test_checklist_examples_without_a_direction_tag_are_a_problem(tmp_path: Path) -> None:
    folder = _feature(
        tmp_path,
        "@checklist:contacts-to-contacts\n"
        "Feature: f\n\n"
        "  @rule:3\n"
        "  Scenario Outline: s <crmoffice property>\n"
        "    Given a CRMOffice contact with a <crmoffice property>\n\n"
        "    Examples:\n"
        "      | crmoffice property | businesscentral property |\n"
        "      | directPhone        | phoneNumber              |\n",
    )
    scenarios, problems = read_features(folder, root=tmp_path)
    shown = [str(p) for p in problems]
    assert len(problems) == 1, f"expected one problem, found {shown}"
    assert problems[0].where == "features/test.feature:8", f"expected the Examples line 8, found {problems[0].where}"
    assert "@to_businesscentral" in shown[0] and "@to_crmoffice" in shown[0], f"expected both tags named: {shown[0]}"
    assert scenarios[0].rows == (), f"expected no row proved, found {scenarios[0].rows}"


def test_checklist_examples_with_a_direction_tag_prove_their_rows(tmp_path: Path) -> None:
    folder = _feature(
        tmp_path,
        "@checklist:contacts-to-contacts\n"
        "Feature: f\n\n"
        "  @rule:3\n"
        "  Scenario Outline: s <crmoffice property>\n"
        "    Given a CRMOffice contact with a <crmoffice property>\n\n"
        "    @to_crmoffice\n"
        "    Examples:\n"
        "      | crmoffice property | businesscentral property |\n"
        "      | directPhone        | phoneNumber              |\n",
    )
    scenarios, problems = read_features(folder, root=tmp_path)
    assert problems == [], f"expected no problem, found {[str(p) for p in problems]}"
    coverage = check_coverage(parse_file(CHECKLIST), scenarios)
    item = coverage.item("row:contacts-to-contacts:directPhone:phoneNumber:to_crmoffice")
    assert [s.name for s in item.scenarios] == ["s <crmoffice property>"], f"expected the outline, found {item}"


def test_invalid_gherkin_is_a_feature_error_naming_the_file(tmp_path: Path) -> None:
    folder = _feature(tmp_path, "this is no Gherkin\nFeature: f\n  Scenario: s\n    Given a step\n", "broken.feature")
    with pytest.raises(FeatureError) as raised:
        read_features(folder, root=tmp_path)
    message = str(raised.value)
    assert message.startswith("features/broken.feature: not valid Gherkin"), f"expected the file named, found {message}"


def test_a_missing_features_folder_is_a_feature_error(tmp_path: Path) -> None:
    with pytest.raises(FeatureError, match="no such directory"):
        read_features(tmp_path / "nowhere")
