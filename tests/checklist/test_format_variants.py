"""Quirks of older and odder checklists in Sesam's corpus (datanav/docs history), written out as small files.

Each quirk below was seen in a published checklist; the texts are trimmed to the part that matters.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from docutils import nodes
from docutils.core import publish_doctree

from harness.checklist import DataType, Endpoint, PropertyRow, Severity, Template, lint, parse_file, parse_text

INTRO = (
    "This technical document provides a detailed overview of the Sesam Talk data flow from {a} to {b}. It serves "
    "as a QA checklist for testing purposes and is the intellectual property of Sesam.io AS."
)


def document(title: str, body: str, introduction: str = "Introduction\n------------") -> str:
    rule = "=" * len(title)
    a, _, b = title.removesuffix(" Dataflow").partition(" to ")
    intro = INTRO.format(a=a, b=b)
    return f"{rule}\n{title}\n{rule}\n\nGenerated: 2023-11-30 12:43:05\n\n{introduction}\n\n{intro}\n\n{body}"


def section(heading: str, source: str, target: str, rows: str, data_system: str, extra: str = "") -> str:
    underline = "-" * len(heading)
    table = "\n".join(
        f"   * - {cells[0]}\n" + "".join(f"     - {cell}\n" for cell in cells[1:])
        for cells in ([f"{source} Property", f"{target} Property", f"{data_system} Data Type"], *_rows(rows))
    )
    return (
        f"{heading}\n{underline}\n"
        f"Every {source} will be synchronized with a {target}.\n\n{extra}"
        f"Once a link between a {source} and a {target} is established, it will keep in sync between the two "
        f"systems, regardless of where it is edited.\n\n"
        f"The following properties are synchronized between a {source} and a {target}:\n\n"
        f".. list-table::\n   :header-rows: 1\n\n{table}\n"
    )


def _rows(rows: str) -> list[list[str]]:
    return [line.split(" | ") for line in rows.strip().splitlines() if line.strip()]


def test_2023_introduction_heading_with_short_underline_is_a_warning_not_an_error(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # Sesam's 2023 checklists wrote "Introduction." over a 12-character underline.
    text = document(
        "SuperOffice to PowerOfficeGov1 Dataflow",
        section(
            "SuperOffice Person to PowerOfficeGov1 Person",
            "SuperOffice Person",
            "PowerOfficeGov1 Person",
            'Firstname | Firstname | "string"',
            "PowerOfficeGov1",
        ),
        introduction="Introduction.\n------------",
    )
    checklist = parse_text(text, "old.rst")
    assert [flow.label() for flow in checklist.flows] == ["SuperOffice Person to PowerOfficeGov1 Person"], (
        f"old.rst: expected the one flow read past the Introduction, found {[f.label() for f in checklist.flows]}"
    )
    notes = [note.message for note in checklist.notes]
    assert notes == ["docutils: Title underline too short."], f"old.rst: expected one docutils warning, found {notes}"
    out, err = capfd.readouterr()
    assert (out, err) == ("", ""), f"expected docutils to print nothing, found stdout={out!r} stderr={err!r}"
    findings = [(f.severity, f.code) for f in lint(checklist)]
    assert findings == [(Severity.WARNING, "rst-warning")], f"old.rst: expected the warning linted, found {findings}"


def test_empty_target_system_parses_and_lints_as_an_error() -> None:
    # November 2023: "Businesscentral to  Dataflow", sections "Businesscentral Contact person to  Contacts".
    text = document(
        "Businesscentral to  Dataflow",
        section(
            "Businesscentral Contact person to  Contacts",
            "Businesscentral Contact person",
            " Contacts",
            'email | primaryInfo.email | "string"',
            "",
        ),
    )
    checklist = parse_text(text, "empty.rst")
    systems = (checklist.source_system, checklist.target_system)
    assert systems == ("Businesscentral", ""), f"empty.rst: expected systems ('Businesscentral', ''), found {systems}"
    flow = checklist.flows[0]
    expected = (Endpoint("Businesscentral", "Contact", "person"), Endpoint("", "Contacts"))
    assert (flow.source, flow.target) == expected, f"empty.rst: expected {expected}, found {(flow.source, flow.target)}"
    codes = [(f.severity, f.code) for f in lint(checklist)]
    assert (Severity.ERROR, "empty-system") in codes, f"empty.rst: expected an empty-system error, found {codes}"


def test_system_spelled_differently_in_a_section_still_reads() -> None:
    # Keap to Business Central (2024-09-11): one section says "BusinessCentral Companies".
    text = document(
        "Keap to Business Central Dataflow",
        section(
            "Keap Companies to BusinessCentral Companies",
            "Keap Companies",
            "BusinessCentral Companies",
            'name | displayName | "string"',
            "BusinessCentral",
        ),
    )
    checklist = parse_text(text, "keap.rst")
    assert checklist.flows[0].target == Endpoint("BusinessCentral", "Companies"), (
        f"keap.rst: expected target BusinessCentral Companies, found {checklist.flows[0].target}"
    )
    findings = [(f.severity, f.code) for f in lint(checklist)]
    assert findings == [(Severity.INFO, "system-spelling")], f"keap.rst: expected one spelling info, found {findings}"


def test_unknown_types_conditions_and_rst_special_characters_are_kept_verbatim() -> None:
    # The 2023 PowerOfficeGov1 checklists leaked transform code into the type column and glued conditions together.
    rows = """
Domains | Domains | "list"
OrgNr (Dependant on having NO in Country.TwoLetterISOCountry) | organizationNumber | "replace"," ","", "string"]
id (Dependant on having  in typeDependant on having NO in type) | sync_org_nr | "string"
name_ | *id | N/A
"""
    text = document(
        "SuperOffice to PowerOfficeGov1 Dataflow",
        section(
            "SuperOffice Contact to PowerOfficeGov1 Customer",
            "SuperOffice Contact",
            "PowerOfficeGov1 Customer",
            rows,
            "PowerOfficeGov1",
        ),
    )
    checklist = parse_text(text, "types.rst")
    expected = (
        PropertyRow("Domains", "Domains", DataType.UNKNOWN, type_text='"list"'),
        PropertyRow(
            "OrgNr",
            "organizationNumber",
            DataType.UNKNOWN,
            type_text='"replace"," ","", "string"]',
            source_condition="Dependant on having NO in Country.TwoLetterISOCountry",
        ),
        PropertyRow(
            "id",
            "sync_org_nr",
            DataType.STRING,
            source_condition="Dependant on having  in typeDependant on having NO in type",
        ),
        PropertyRow("name_", "*id", DataType.NOT_APPLICABLE),
    )
    actual = checklist.flows[0].properties
    assert actual == expected, f"types.rst: expected {expected}, found {actual}"
    type_texts = [row.type_text for row in actual]
    assert type_texts[:2] == ['"list"', '"replace"," ","", "string"]'], f"types.rst: found type texts {type_texts}"
    unknown = [f.message for f in lint(checklist) if f.code == "unknown-type"]
    assert len(unknown) == 2 and '"list"' in unknown[0], f"types.rst: expected 2 unknown-type errors, found {unknown}"


def test_link_only_flow_created_when_connected_to_several_datatypes() -> None:
    # SuperOffice to PowerOfficeGov1 (2023-08-14).
    created = "A new PowerOfficeGov1 Contact will be created from a SuperOffice Contact if it is connected to a SuperOffice User, or Person that is synchronized into PowerOfficeGov1.\n\n"  # noqa: E501
    body = section(
        "SuperOffice Contact to PowerOfficeGov1 Contact",
        "SuperOffice Contact",
        "PowerOfficeGov1 Contact",
        'Name | Name | "string"',
        "PowerOfficeGov1",
        extra=created
        + "A SuperOffice Contact will merge with a PowerOfficeGov1 Contact if one of the following property "
        "combinations match:\n\n.. list-table::\n   :header-rows: 1\n\n   * - SuperOffice Contact Property\n"
        "     - PowerOfficeGov1 Contact Property\n   * - ContactId\n     - ContactId\n\n",
    ).replace(
        "Every SuperOffice Contact will be synchronized with a PowerOfficeGov1 Contact.",
        "Before any synchronization can take place, a link between a SuperOffice Contact and a PowerOfficeGov1 "
        "Contact must be established.",
    )
    flow = parse_text(document("SuperOffice to PowerOfficeGov1 Dataflow", body), "link.rst").flows[0]
    assert flow.template is Template.LINK_ONLY, f"link.rst: expected link-only, found {flow.template}"
    assert (
        flow.created_when == "connected to a SuperOffice User, or Person that is synchronized into PowerOfficeGov1"
    ), f"link.rst: expected the dependency kept, found {flow.created_when!r}"


def test_an_before_a_vowel_is_read_like_a() -> None:
    body = section("Asana Users to Invoiced Customers", "Asana Users", "Invoiced Customers", "", "Invoiced")
    body = body.replace("with a Invoiced", "with an Invoiced").replace("and a Invoiced", "and an Invoiced")
    flow = parse_text(document("Asana to Invoiced Dataflow", body), "an.rst").flows[0]
    assert flow.target == Endpoint("Invoiced", "Customers"), f"an.rst: expected Invoiced Customers, found {flow.target}"
    assert not flow.notes, f"an.rst: expected every sentence recognised, found notes {flow.notes}"


def test_header_only_tables_are_relaxed_for_checklists_only(tmp_path: Path) -> None:
    text = document("A to B Dataflow", section("A X to B Y", "A X", "B Y", "", "B"))
    path = tmp_path / "empty-table.rst"
    path.write_text(text, encoding="utf-8")
    assert parse_file(path).flows[0].properties == (), "expected a header-only table to read as zero rows"
    # Stock docutils in the same process still rejects it: the checklist parser changed nothing global.
    doctree = publish_doctree(text, settings_overrides={"report_level": 5, "halt_level": 5})
    errors = [m.astext() for m in doctree.findall(nodes.system_message) if m["level"] >= 3]
    assert any("no data remaining for table body" in error for error in errors), (
        f"expected stock docutils to still reject a header-only list-table, found messages {errors}"
    )
