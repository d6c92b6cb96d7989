"""Lint findings: each rule on a checklist that breaks it, and its silence on one that does not."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from harness.checklist import (
    Checklist,
    DataType,
    Endpoint,
    Finding,
    Flow,
    MergeRow,
    PropertyRow,
    Severity,
    Template,
    lint,
    parse_file,
    parse_text,
    to_rst,
)
from harness.checklist.targets import KNOWN_PROPERTIES, REQUIRED_ON_CREATE

DATA = Path(__file__).parent / "data"
OURS = DATA / "crmoffice-businesscentral.rst"
COMPANIES = "CRMOffice Companies to Business Central Customers (classification data)"
CONTACTS = "CRMOffice Contacts to Business Central Contacts (human data)"


def summary(findings: tuple[Finding, ...]) -> list[tuple[str, str, int | None, str | None]]:
    return [(f.severity.value, f.code, f.line, f.section) for f in findings]


def codes(findings: tuple[Finding, ...]) -> list[str]:
    return [finding.code for finding in findings]


def checklist_of(*flows: Flow, source: str = "CRMOffice", target: str = "Business Central") -> Checklist:
    """A checklist as Sesam would write it, read back through the parser (so lines and sentences are real)."""
    model = Checklist(f"{source} to {target} Dataflow", source, target, datetime(2024, 11, 13), flows)
    return parse_text(to_rst(model), "synthetic.rst")


CRM_CONTACTS = Endpoint("CRMOffice", "Contacts")
BC_CONTACTS = Endpoint("Business Central", "Contacts", "human data")
PHONE = PropertyRow("directPhone", "phoneNumber", DataType.STRING)


def test_our_checklist_findings_with_business_central_knowledge() -> None:
    findings = lint(parse_file(OURS), required_on_create=REQUIRED_ON_CREATE)
    expected = [
        ("warning", "empty-properties", 12, COMPANIES),
        ("warning", "required-field-unmapped", 12, COMPANIES),
        ("warning", "required-field-unmapped", 28, CONTACTS),
    ]
    assert summary(findings) == expected, f"{OURS.name}: expected {expected}, found {summary(findings)}"
    messages = [finding.message for finding in findings if finding.code == "required-field-unmapped"]
    assert all("'displayName'" in message for message in messages), f"expected displayName named, found {messages}"


def test_required_fields_come_only_from_the_mapping_passed_in() -> None:
    checklist = parse_file(OURS)
    without = lint(checklist)
    assert codes(without) == ["empty-properties"], f"no target knowledge: expected no required-field finding, {without}"
    custom = lint(checklist, required_on_create={("businesscentral", "CONTACTS"): ["email", "displayName"]})
    found = [(f.line, f.message.split("'")[1]) for f in custom if f.code == "required-field-unmapped"]
    assert found == [(28, "displayName"), (28, "email")], (
        f"custom mapping keyed case- and space-insensitively: expected displayName and email on line 28, found {found}"
    )


def test_a_mapped_required_field_or_a_flow_that_never_creates_is_not_a_finding() -> None:
    named = Flow(
        CRM_CONTACTS,
        BC_CONTACTS,
        Template.EVERY,
        properties=(PHONE, PropertyRow("name", "displayName", DataType.STRING)),
    )
    link_only = Flow(
        CRM_CONTACTS, BC_CONTACTS, Template.LINK_ONLY, merge=(MergeRow("email", "email"),), properties=(PHONE,)
    )
    for flow in (named, link_only):
        findings = lint(checklist_of(flow), required_on_create=REQUIRED_ON_CREATE)
        assert findings == (), f"{flow.template.value} flow {flow.label()}: expected no finding, found {findings}"


def test_a_link_only_flow_that_still_creates_needs_the_required_fields() -> None:
    flow = Flow(
        CRM_CONTACTS,
        BC_CONTACTS,
        Template.LINK_ONLY,
        merge=(MergeRow("email", "email"),),
        properties=(PHONE,),
        created_when="connected to a CRMOffice Companies that is synchronized into Business Central",
    )
    findings = lint(checklist_of(flow), required_on_create=REQUIRED_ON_CREATE)
    assert codes(findings) == ["required-field-unmapped"], f"expected the missing displayName, found {findings}"


def test_property_mapped_twice() -> None:
    rows = (
        PHONE,
        PropertyRow("mobilePhone", "phoneNumber", DataType.STRING),
        PHONE,
        PropertyRow("mobilePhone", "mobilePhoneNumber", DataType.STRING),
    )
    findings = lint(checklist_of(Flow(CRM_CONTACTS, BC_CONTACTS, Template.EVERY, properties=rows)))
    found = [(f.severity.value, f.code, f.line) for f in findings]
    # The one section starts on line 12; its rows on line 26, three lines each.
    expected = [("warning", "target-mapped-twice", 26), ("warning", "duplicate-row", 32)]
    assert found == expected, f"expected fan-in on phoneNumber and the repeated row, found {found}"
    assert "directPhone, mobilePhone" in findings[0].message, f"expected both sources named, found {findings[0]}"


def test_the_same_target_under_different_conditions_is_not_mapped_twice() -> None:
    findings = lint(parse_file(DATA / "businesscentral-freshteam.rst"))
    assert findings == (), f"businesscentral-freshteam.rst: expected no finding, found {findings}"


def test_unknown_data_type() -> None:
    rows = (PropertyRow("birthday", "birthDate", DataType.UNKNOWN, type_text='"date"'),)
    findings = lint(checklist_of(Flow(CRM_CONTACTS, BC_CONTACTS, Template.EVERY, properties=rows)))
    assert summary(findings) == [("error", "unknown-type", 26, CONTACTS)], f"expected '\"date\"' flagged, {findings}"
    assert "'\"date\"'" in findings[0].message, f"expected the type quoted in the message, found {findings[0].message}"


def test_a_row_naming_a_property_a_system_lacks_is_an_error_listing_what_it_has() -> None:
    rows = (
        PHONE,
        PropertyRow("emial", "email", DataType.STRING),
        PropertyRow("city", "salutationCode", DataType.STRING),
    )
    flow = Flow(CRM_CONTACTS, BC_CONTACTS, Template.EVERY, properties=rows)
    findings = [f for f in lint(checklist_of(flow), known_properties=KNOWN_PROPERTIES) if f.code == "unknown-property"]
    assert summary(tuple(findings)) == [
        ("error", "unknown-property", 29, CONTACTS),
        ("error", "unknown-property", 32, CONTACTS),
    ], f"expected the misspelt CRMOffice 'emial' and Business Central 'salutationCode' flagged, found {findings}"
    assert "CRMOffice Contacts have no property 'emial'; they have" in findings[0].message, findings[0].message
    assert ", email," in findings[0].message, f"expected CRMOffice's properties listed, found {findings[0].message}"
    # Business Central's contact API page has no job title, though its Contact table does.
    assert "Business Central Contacts have no property 'salutationCode'" in findings[1].message, findings[1].message
    assert ", city," in findings[1].message.split("they have")[1], findings[1].message


def test_properties_are_checked_only_for_systems_whose_properties_are_known() -> None:
    rows = (PropertyRow("anything", "whatever", DataType.STRING),)
    flow = Flow(Endpoint("HubSpot", "Contacts"), Endpoint("SuperOffice", "Persons"), Template.EVERY, properties=rows)
    findings = lint(checklist_of(flow, source="HubSpot", target="SuperOffice"), known_properties=KNOWN_PROPERTIES)
    assert "unknown-property" not in codes(findings), (
        f"expected systems the harness does not know unchecked: {findings}"
    )


def test_every_row_of_the_real_talk_checklists_names_a_known_property() -> None:
    for path in sorted(DATA.glob("*.rst")):
        findings = lint(parse_file(path), known_properties=KNOWN_PROPERTIES)
        unknown = [f.message for f in findings if f.code == "unknown-property"]
        assert unknown == [], f"{path.name}: expected every CRMOffice and Business Central property known: {unknown}"


def test_heading_that_names_another_flow_than_its_text() -> None:
    text = to_rst(parse_file(OURS))
    heading = f"{CONTACTS}\n{'-' * len(CONTACTS)}\n"
    wrong = "Contacts to Business Central Contacts (human data)"
    broken = text.replace(heading, f"{wrong}\n{'-' * len(wrong)}\n")
    assert broken != text, "test setup: expected the Contacts heading replaced"
    checklist = parse_text(broken, "heading.rst")
    flow = checklist.flows[1]
    assert (flow.heading, flow.source, flow.target) == (wrong, CRM_CONTACTS, BC_CONTACTS), (
        f"heading.rst: expected the endpoints read from the sentences, found {flow.source} {flow.target}"
    )
    mismatches = [f for f in lint(checklist) if f.code == "heading-mismatch"]
    assert summary(tuple(mismatches)) == [("error", "heading-mismatch", 28, wrong)], (
        f"heading.rst: expected one heading-mismatch error on line 28, found {summary(tuple(mismatches))}"
    )


def test_sentences_that_name_another_flow_than_the_heading() -> None:
    text = to_rst(parse_file(OURS)).replace(
        "Once a link between a CRMOffice Contacts and", "Once a link between a CRMOffice Companies and"
    )
    mismatches = [f for f in lint(parse_text(text, "sentence.rst")) if f.code == "heading-mismatch"]
    assert [(f.line, f.section) for f in mismatches] == [(32, CONTACTS)], (
        f"sentence.rst: expected the Contacts section's line 32 flagged, found {summary(tuple(mismatches))}"
    )
    assert "CRMOffice Companies" in mismatches[0].message, f"expected the odd sentence quoted, {mismatches[0].message}"


def test_link_only_without_merge_criteria_and_contradictory_templates() -> None:
    flow = Flow(CRM_CONTACTS, BC_CONTACTS, Template.LINK_ONLY, properties=(PHONE,))
    text = to_rst(checklist_of(flow))
    found = summary(lint(parse_text(text)))
    assert found == [("error", "no-merge-criteria", 12, CONTACTS)], f"expected no-merge-criteria, found {found}"
    both = text.replace(
        "must be established.\n",
        "must be established.\n\nEvery CRMOffice Contacts will be synchronized with a Business Central Contacts "
        "(human data).\n",
    )
    found = summary(lint(parse_text(both)))
    assert ("error", "contradictory-template", 12, CONTACTS) in found, f"expected contradictory-template, {found}"


def test_duplicate_sections_in_a_published_checklist() -> None:
    findings = lint(parse_file(DATA / "businesscentral-tripletex.rst"))
    duplicates = [(f.line, f.message.split(" appears again ")[1]) for f in findings if f.code == "duplicate-flow"]
    expected = [
        (281, "(with different rows); first at line 144"),
        (313, "(with different rows); first at line 217"),
        (423, "(with different rows); first at line 12"),
    ]
    assert duplicates == expected, f"businesscentral-tripletex.rst: expected {expected}, found {duplicates}"


def test_unrecognised_text_in_a_section() -> None:
    text = to_rst(parse_file(OURS)).replace(
        "Every CRMOffice Contacts will be synchronized",
        "Note: phones only.\n\nEvery CRMOffice Contacts will be synchronized",
    )
    found = [(f.severity.value, f.code, f.line) for f in lint(parse_text(text))]
    assert ("warning", "unrecognised-text", 30) in found, f"expected the stray note on line 30 reported, found {found}"


def test_empty_property_name() -> None:
    text = to_rst(parse_file(OURS)).replace("   * - mobilePhone\n", "   * -\n")
    findings = lint(parse_text(text))
    found = [(f.code, f.line) for f in findings if f.severity is Severity.ERROR]
    assert found == [("empty-name", None)] or found == [("empty-name", 45)], (
        f"expected an empty-name error, found {found}"
    )


def test_every_finding_of_every_sample_names_its_section_or_the_document() -> None:
    for path in sorted(DATA.rglob("*.rst")):
        checklist = parse_file(path)
        headings = {flow.heading for flow in checklist.flows}
        for finding in lint(checklist, required_on_create=REQUIRED_ON_CREATE):
            assert finding.section is None or finding.section in headings, (
                f"{path.name}: expected a finding's section to be a heading, found {finding}"
            )
            assert finding.line is not None, f"{path.name}: expected every finding to carry a line, found {finding}"
