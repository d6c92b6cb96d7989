"""The conditional template ("<condition>, it  will be synchronized with a Y.", as in "When a X has <condition>, it
will ...") and sections that name a system by a shorter form of the title's name ("Exact Items" under "Exact Online
to Salesforce").

The systems are made up; the files have the shape of Sesam Talk's generated checklists, conditional sentence
included: the generator wrote "it  will" with two spaces, and the condition is free text (what Sesam's corpus
itself holds is in ``test_talk_corpus.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import harness.cli
from harness.checklist import ChecklistError, Template, parse_text, to_rst
from harness.checklist.diff import diff_checklists
from harness.checklist.lint import lint
from harness.checklist.render import render_diff
from harness.sync.plan import PlanError, plan_flow

INTRO = (
    "This technical document provides a detailed overview of the Sesam Talk data flow from {source} to {target}. "
    "It serves as a QA checklist for testing purposes and is the intellectual property of Sesam.io AS. The content "
    "contains confidential information regulated under an NDA agreement, and sharing or distributing it without "
    "written permission is prohibited."
)


def checklist(source: str, target: str, *sections: str) -> str:
    title = f"{source} to {target} Dataflow"
    rule = "=" * len(title)
    head = f"{rule}\n{title}\n{rule}\n\nGenerated: 2025-03-04 05:06:07\n\nIntroduction\n------------\n\n"
    return head + INTRO.format(source=source, target=target) + "\n\n" + "\n".join(sections)


def section(source: str, target: str, opening: str, rows: tuple[tuple[str, str], ...] = (("name", "Name"),)) -> str:
    heading = f"{source} to {target}"
    table = "".join(f'   * - {a}\n     - {b}\n     - "string"\n' for a, b in rows)
    return (
        f"{heading}\n{'-' * len(heading)}\n{opening}\n\n"
        f"Once a link between a {source} and a {target} is established, it will keep in sync between the two systems, "
        "regardless of where it is edited.\n\n"
        f"The following properties are synchronized between a {source} and a {target}:\n\n"
        ".. list-table::\n   :header-rows: 1\n\n"
        f"   * - {source} Property\n     - {target} Property\n     - {target.split()[0]} Data Type\n" + table + "\n"
    )


def conditional(condition: str, source: str = "SomeCRM Deal", target: str = "SomeERP Salesorder") -> str:
    opening = f"{condition}, it  will be synchronized with a {target}."
    return section(source, target, opening)


CONDITIONS = [
    "When a SomeCRM Deal has a 100% probability",
    "When a SomeCRM Deal has a stage of 'Won', 'Closed' or \"Signed\"",
    "When a SomeCRM Deal has an amount above 1,000,000 NOK, excluding VAT (25%)",
    "some deals are left out for now. This one, it will be, until that is resolved",
]


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_conditional_flow_reads_with_its_condition_verbatim_and_writes_back_byte_for_byte(
    condition: str, newline: str
) -> None:
    text = checklist("SomeCRM", "SomeERP", conditional(condition)).replace("\n", newline)
    parsed = parse_text(text, "deals.rst")
    (flow,) = parsed.flows
    assert (flow.template, flow.condition) == (Template.CONDITIONAL, condition), (flow.template, flow.condition)
    assert (flow.source.label(), flow.target.label()) == ("SomeCRM Deal", "SomeERP Salesorder"), flow.label()
    assert [note.message for note in flow.notes] == [], "every line of a conditional section is recognised"
    assert to_rst(parsed, newline=newline) == text, "the writer must reproduce the file byte for byte"


def test_a_conditional_flow_with_merge_criteria_round_trips() -> None:
    source, target = "SomeCRM Deal", "SomeERP Salesorder"
    opening = (
        f"When a {source} has a 100% probability, it  will be synchronized with a {target}.\n\n"
        f"If a matching {target} already exists, the {source} will be merged with the existing one.\n"
        f"If no matching {target} is found, a new {target} will be created.\n\n"
        f"A {source} will merge with a {target} if one of the following property combinations match:\n\n"
        ".. list-table::\n   :header-rows: 1\n\n"
        f"   * - {source} Property\n     - {target} Property\n   * - dealNo\n     - externalDocumentNumber"
    )
    text = checklist("SomeCRM", "SomeERP", section(source, target, opening))
    parsed = parse_text(text, "deals.rst")
    (flow,) = parsed.flows
    assert flow.template is Template.CONDITIONAL and [r.to_list() for r in flow.merge] == [
        ["dealNo", "externalDocumentNumber"]
    ], flow
    assert to_rst(parsed) == text


def test_show_json_carries_the_template_and_the_condition(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "deals.rst"
    path.write_text(checklist("SomeCRM", "SomeERP", conditional(CONDITIONS[1])))
    status = harness.cli.main(["checklist", "show", "--json", str(path)])
    out, err = capsys.readouterr()
    (flow,) = json.loads(out)["flows"]
    assert (status, err) == (0, ""), (status, err)
    assert (flow["template"], flow["condition"]) == ("conditional", CONDITIONS[1]), flow
    assert list(flow) == ["source", "target", "template", "condition", "merge", "properties"], list(flow)


def test_diff_reports_a_changed_condition() -> None:
    old = parse_text(checklist("SomeCRM", "SomeERP", conditional(CONDITIONS[0])), "old.rst")
    new = parse_text(checklist("SomeCRM", "SomeERP", conditional(CONDITIONS[0].replace("100", "90"))), "new.rst")
    diff = diff_checklists(old, new)
    (change,) = diff.changed
    shown = [(field.field, field.old, field.new) for field in change.fields]
    assert shown == [("condition", CONDITIONS[0], "When a SomeCRM Deal has a 90% probability")], shown
    shown_line = (
        "    ~ condition: 'When a SomeCRM Deal has a 100% probability' -> 'When a SomeCRM Deal has a 90% probability'"
    )
    assert shown_line in render_diff(diff).splitlines()
    assert diff_checklists(old, old).is_empty, "the same condition is no change"


def test_diff_reports_a_flow_that_became_conditional() -> None:
    every = section(
        "SomeCRM Deal", "SomeERP Salesorder", "Every SomeCRM Deal will be synchronized with a SomeERP Salesorder."
    )
    old = parse_text(checklist("SomeCRM", "SomeERP", every), "old.rst")
    new = parse_text(checklist("SomeCRM", "SomeERP", conditional(CONDITIONS[0])), "new.rst")
    (change,) = diff_checklists(old, new).changed
    shown = [(field.field, field.old, field.new) for field in change.fields]
    assert shown == [("template", "every", "conditional"), ("condition", None, CONDITIONS[0])], shown


def test_lint_notes_that_a_conditional_flow_syncs_only_what_meets_its_condition() -> None:
    parsed = parse_text(checklist("SomeCRM", "SomeERP", conditional(CONDITIONS[0])), "deals.rst")
    found = [(f.severity.value, f.code, f.message) for f in lint(parsed)]
    assert found == [
        (
            "info",
            "conditional-flow",
            "the flow syncs only the SomeCRM Deal records its condition selects ('When a SomeCRM Deal has a 100% "
            "probability'); the others are never synchronized",
        )
    ], found


def test_lint_refuses_a_section_that_is_both_conditional_and_every() -> None:
    both = conditional(CONDITIONS[0]).replace(
        "When a", "Every SomeCRM Deal will be synchronized with a SomeERP Salesorder.\nWhen a", 1
    )
    parsed = parse_text(checklist("SomeCRM", "SomeERP", both), "deals.rst")
    errors = [f.message for f in lint(parsed) if f.code == "contradictory-template"]
    assert errors == [
        "the section says both 'Every ... will be synchronized' (insert) and '<condition>, it will be synchronized' "
        "(insert on a condition)"
    ], errors


def test_the_reference_sync_refuses_a_conditional_flow_naming_its_section() -> None:
    source, target = "CRMOffice Contacts", "Business Central Contacts (human data)"
    parsed = parse_text(
        checklist(
            "CRMOffice", "Business Central", conditional("When a CRMOffice Contacts has an e-mail", source, target)
        ),
        "c.rst",
    )
    with pytest.raises(PlanError, match=r"section 'CRMOffice Contacts to Business Central Contacts \(human data\)'"):
        plan_flow(parsed.flows[0])


def test_a_heading_may_name_a_system_by_a_shorter_form_of_the_titles_name() -> None:
    text = checklist(
        "Exact Online",
        "Salesforce",
        section(
            "Exact Items", "Salesforce Product2", "Every Exact Items will be synchronized with a Salesforce Product2."
        ),
    )
    parsed = parse_text(text, "exact.rst")
    (flow,) = parsed.flows
    shown = (flow.source.system, flow.source.datatype, flow.target.system, flow.target.datatype)
    assert shown == ("Exact", "Items", "Salesforce", "Product2"), shown
    assert to_rst(parsed) == text, "a short system name is written back as the section spelled it"
    spelling = [(f.code, f.message) for f in lint(parsed) if f.code == "system-spelling"]
    assert spelling == [("system-spelling", "the section spells the system 'Exact', the title 'Exact Online'")]


def test_the_full_name_wins_over_a_shorter_one() -> None:
    text = checklist(
        "Exact Online",
        "Salesforce",
        section(
            "Exact Online Items",
            "Salesforce Product2",
            "Every Exact Online Items will be synchronized with a Salesforce Product2.",
        ),
    )
    (flow,) = parse_text(text, "exact.rst").flows
    assert (flow.source.system, flow.source.datatype) == ("Exact Online", "Items"), flow.source


def test_a_short_form_that_could_be_either_system_is_refused_naming_the_heading_and_both() -> None:
    text = checklist(
        "Exact Online",
        "Exact Globe",
        section("Exact Items", "Exact Products", "Every Exact Items will be synchronized with a Exact Products."),
    )
    with pytest.raises(ChecklistError) as caught:
        parse_text(text, "exact.rst")
    message = str(caught.value)
    expected = (
        "exact.rst:12: section 'Exact Items to Exact Products': 'Exact' in 'Exact Items to Exact Products' could "
        "name either of the title's systems, 'Exact Online' or 'Exact Globe'; expected a spelling of one of them only"
    )
    assert message == expected, message
