"""``diff_checklists`` and ``harness checklist diff``: what a regenerated checklist changed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

import harness.cli
from harness.checklist import (
    Checklist,
    DataType,
    Endpoint,
    FieldChange,
    Flow,
    FlowChange,
    MergeRow,
    PropertyRow,
    Template,
    diff_checklists,
    parse_file,
)

DATA = Path(__file__).parent / "data"
CURRENT = DATA / "crmoffice-businesscentral.rst"
SEPT_03 = DATA / "history" / "crmoffice-businesscentral@2024-09-03-88f015ec21.rst"
SEPT_17 = DATA / "history" / "crmoffice-businesscentral@2024-09-17-1152f3d90e.rst"
PHONES = (
    PropertyRow("directPhone", "phoneNumber", DataType.STRING),
    PropertyRow("mobilePhone", "mobilePhoneNumber", DataType.STRING),
)


def test_since_2024_09_17_exactly_the_two_phone_rows_were_added_to_contacts() -> None:
    diff = diff_checklists(parse_file(SEPT_17), parse_file(CURRENT))
    assert (diff.fields, diff.added, diff.removed) == ((), (), ()), f"expected no flow added or removed, found {diff}"
    assert len(diff.changed) == 1, f"expected one changed flow, found {[c.new.label() for c in diff.changed]}"
    change = diff.changed[0]
    expected = FlowChange(change.old, change.new, properties_added=PHONES)
    assert change == expected, f"Contacts flow: expected only {PHONES} added, found {change}"
    assert change.new.label() == "CRMOffice Contacts to Business Central Contacts (human data)", (
        f"expected the Contacts flow changed, found {change.new.label()}"
    )


def test_since_2024_09_03_companies_was_added_and_contacts_changed_classification_only() -> None:
    old, new = parse_file(SEPT_03), parse_file(CURRENT)
    diff = diff_checklists(old, new)
    assert diff.fields == (), f"'Crmoffice to Businesscentral' is the same title respelled; found {diff.fields}"
    added = [flow.label() for flow in diff.added]
    assert added == ["CRMOffice Companies to Business Central Customers (classification data)"], (
        f"expected the Companies flow added, found {added}"
    )
    assert diff.removed == (), f"expected no flow removed, found {diff.removed}"
    expected = (
        FlowChange(old.flows[0], new.flows[1], fields=(FieldChange("target classification", "person", "human data"),)),
    )
    assert diff.changed == expected, f"expected the Contacts classification change only, found {diff.changed}"


def test_cli_diff_since_2024_09_17(capsys: pytest.CaptureFixture[str]) -> None:
    status = harness.cli.main(["checklist", "diff", str(SEPT_17), str(CURRENT)])
    out, err = capsys.readouterr()
    expected = (
        f"--- {SEPT_17} (generated 2024-09-17 09:13:05)\n"
        f"+++ {CURRENT} (generated 2024-11-13 00:00:00)\n"
        "~ flow CRMOffice Contacts to Business Central Contacts (human data)\n"
        "    + property directPhone -> phoneNumber  [string]\n"
        "    + property mobilePhone -> mobilePhoneNumber  [string]\n"
    )
    assert (status, out, err) == (1, expected, ""), f"expected exit 1 and\n{expected}\nfound {status}\n{out}\n{err}"


def test_cli_diff_since_2024_09_03(capsys: pytest.CaptureFixture[str]) -> None:
    status = harness.cli.main(["checklist", "diff", str(SEPT_03), str(CURRENT)])
    out, err = capsys.readouterr()
    expected = (
        f"--- {SEPT_03} (generated 2024-09-03 09:02:43)\n"
        f"+++ {CURRENT} (generated 2024-11-13 00:00:00)\n"
        "+ flow CRMOffice Companies to Business Central Customers (classification data)\n"
        "~ flow CRMOffice Contacts to Business Central Contacts (human data)\n"
        "    ~ target classification: 'person' -> 'human data'\n"
    )
    assert (status, out, err) == (1, expected, ""), f"expected exit 1 and\n{expected}\nfound {status}\n{out}\n{err}"


def test_cli_diff_of_a_file_with_itself_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    status = harness.cli.main(["checklist", "diff", str(CURRENT), str(CURRENT)])
    out, _ = capsys.readouterr()
    assert status == 0 and out.endswith("no differences\n"), (
        f"expected exit 0 and 'no differences', found {status} {out!r}"
    )


def _checklist(*flows: Flow, title: str = "CRMOffice to Business Central Dataflow") -> Checklist:
    return Checklist(title, "CRMOffice", "Business Central", datetime(2024, 11, 13), flows)


def test_flows_match_case_and_space_insensitively_and_rows_by_their_names() -> None:
    old = _checklist(
        Flow(
            Endpoint("Crmoffice", "contacts"),
            Endpoint("Businesscentral", "Contacts", "Human Data"),
            Template.EVERY,
            merge=(MergeRow("email", "email"),),
            properties=(*PHONES, PropertyRow("id", "number", DataType.STRING)),
        ),
        title="Crmoffice to Businesscentral Dataflow",
    )
    new = _checklist(
        Flow(
            Endpoint("CRMOffice", "Contacts"),
            Endpoint("Business Central", "Contacts", "human data"),
            Template.MERGE_OR_CREATE,
            merge=(MergeRow("email", "eMail"),),
            properties=(PHONES[0], PropertyRow("id", "number", DataType.INTEGER), PHONES[1]),
        )
    )
    diff = diff_checklists(old, new)
    assert (diff.fields, diff.added, diff.removed) == ((), (), ()), f"expected one flow matched, found {diff}"
    (change,) = diff.changed
    expected = FlowChange(
        old.flows[0],
        new.flows[0],
        fields=(FieldChange("template", "every", "merge-or-create"),),
        merge_added=(MergeRow("email", "eMail"),),
        merge_removed=(MergeRow("email", "email"),),
        properties_changed=((old.flows[0].properties[2], new.flows[0].properties[1]),),
    )
    assert change == expected, f"expected template, merge row and id type changes only, found {change}"


def test_flows_with_the_same_datatypes_pair_by_classification_first() -> None:
    def customers(classification: str, *rows: PropertyRow) -> Flow:
        return Flow(
            Endpoint("CRMOffice", "Companies"),
            Endpoint("Business Central", "Customers", classification),
            Template.EVERY,
            properties=rows,
        )

    name = PropertyRow("name", "displayName", DataType.STRING)
    old = _checklist(customers("organisation data", name), customers("classification data"))
    new = _checklist(customers("classification data"), customers("human data", name))
    diff = diff_checklists(old, new)
    assert (diff.added, diff.removed) == ((), ()), (
        f"expected two pairs, found added {diff.added} removed {diff.removed}"
    )
    fields = [change.fields for change in diff.changed]
    assert fields == [(FieldChange("target classification", "organisation data", "human data"),)], (
        f"expected the unchanged classification paired with itself and the other pair reclassified, found {fields}"
    )


def test_removed_flow_and_document_fields() -> None:
    flow = Flow(Endpoint("CRMOffice", "Contacts"), Endpoint("Business Central", "Contacts"), Template.EVERY)
    old = _checklist(flow)
    new = Checklist("CRMOffice to HubSpot Dataflow", "CRMOffice", "HubSpot", datetime(2024, 11, 13), ())
    diff = diff_checklists(old, new)
    assert diff.removed == (flow,) and diff.added == () and diff.changed == (), f"expected {flow} removed, found {diff}"
    expected = (
        FieldChange("title", "CRMOffice to Business Central Dataflow", "CRMOffice to HubSpot Dataflow"),
        FieldChange("target system", "Business Central", "HubSpot"),
    )
    assert diff.fields == expected, f"expected title and target system changed, found {diff.fields}"
