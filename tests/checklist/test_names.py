"""Splitting titles and ``<System> <Datatype>[ (<classification>)]`` when system names contain spaces."""

from __future__ import annotations

import pytest

from harness.checklist import Endpoint, normalise_name
from harness.checklist.names import parse_endpoint, split_pair, split_title


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("CRMOffice to Business Central Dataflow", ("CRMOffice", "Business Central")),
        ("PowerOffice GO to Business Central Dataflow", ("PowerOffice GO", "Business Central")),
        ("Businesscentral to Businesscentral Dataflow", ("Businesscentral", "Businesscentral")),
        ("Businesscentral to  Dataflow", ("Businesscentral", "")),
        ("Businesscentral to Dataflow", ("Businesscentral", "")),
        ("Release notes", None),
        ("CRMOffice and Business Central Dataflow", None),
    ],
)
def test_split_title(title: str, expected: tuple[str, str] | None) -> None:
    assert split_title(title) == expected, f"{title!r}: expected {expected}, found {split_title(title)}"


@pytest.mark.parametrize(
    ("text", "system", "expected"),
    [
        (
            "Business Central Contacts (human data)",
            "Business Central",
            Endpoint("Business Central", "Contacts", "human data"),
        ),
        ("BusinessCentral Companies", "Business Central", Endpoint("BusinessCentral", "Companies")),
        ("Businesscentral Contacts person", "Business Central", Endpoint("Businesscentral", "Contacts", "person")),
        (
            "Businesscentral Contactsinformation person customer relation",
            "Businesscentral",
            Endpoint("Businesscentral", "Contactsinformation", "person customer relation"),
        ),
        ("PowerOffice GO Customers", "PowerOffice GO", Endpoint("PowerOffice GO", "Customers")),
        ("  Contacts", "", Endpoint("", "Contacts")),
        (
            "Business Central Businesscentral-salesorderlines",
            "Business Central",
            Endpoint("Business Central", "Businesscentral-salesorderlines"),
        ),
        ("HubSpot Contact", "Business Central", None),
        ("Business Central", "Business Central", None),
    ],
)
def test_parse_endpoint(text: str, system: str, expected: Endpoint | None) -> None:
    actual = parse_endpoint(text, system)
    assert actual == expected, f"{text!r} with system {system!r}: expected {expected}, found {actual}"


def test_split_pair_with_the_same_system_on_both_sides() -> None:
    pair = split_pair("Business Central Customers company to Business Central Companies", " to ", BC, BC)
    expected = (Endpoint(BC, "Customers", "company"), Endpoint(BC, "Companies"))
    assert pair == expected, f"expected {expected}, found {pair}"


def test_split_pair_skips_a_separator_that_does_not_read_on_both_sides() -> None:
    # "to" inside the source side: only the second " to " leaves a target that starts with the target system.
    pair = split_pair("Tidsbanken Moves to inbox to Business Central Items", " to ", "Tidsbanken", BC)
    expected = (Endpoint("Tidsbanken", "Moves", "to inbox"), Endpoint(BC, "Items"))
    assert pair == expected, f"expected {expected}, found {pair}"


BC = "Business Central"


@pytest.mark.parametrize("spelling", ["Business Central", "BusinessCentral", "Businesscentral", " business  central "])
def test_normalise_name_ignores_case_and_spaces(spelling: str) -> None:
    assert normalise_name(spelling) == "businesscentral", f"{spelling!r}: found {normalise_name(spelling)!r}"
