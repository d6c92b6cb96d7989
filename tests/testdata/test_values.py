"""``harness.testdata.values``: a row's values come from both tenants' schemas, and both fakes agree with them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from harness.checklist import parse_file
from harness.client.errors import ValidationError
from harness.fake_pair import fake_pair
from harness.sync.plan import FlowPlan, PropertyPair, plan_dataflow
from harness.tenants import TenantPair
from harness.testdata.norwegian import NorwegianData
from harness.testdata.values import NoGenerator, RowValues, row_values, values_by_property

CHECKLIST = Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"
ROWS = {
    ("directPhone", "phoneNumber"): "phone",
    ("mobilePhone", "mobilePhoneNumber"): "phone",
    ("email", "email"): "email",
    ("city", "city"): "text",
    ("website", "website"): "url",
}


def _plan(*pairs: tuple[str, str], companies: bool = False) -> FlowPlan:
    """The contacts flow with these rows (with ``companies``, the companies-to-customers flow)."""
    plans = plan_dataflow(parse_file(CHECKLIST))
    plan = next(p for p in plans if p.origin == ("companies" if companies else "contacts"))
    return replace(plan, pairs=tuple(PropertyPair(origin, target) for origin, target in pairs))


@pytest.fixture
def tenants() -> Iterator[TenantPair]:
    with fake_pair("mock", seed=5) as pair:
        yield pair


@pytest.mark.parametrize(("row", "kind"), ROWS.items(), ids=[origin for origin, _ in ROWS])
def test_each_row_gets_the_kind_both_schemas_imply(row: tuple[str, str], kind: str) -> None:
    values = row_values(_plan(row), PropertyPair(*row))
    assert values.kind == kind, f"{row}: expected kind {kind!r}, found {values.kind!r}"


@pytest.mark.parametrize("row", list(ROWS), ids=[origin for origin, _ in ROWS])
def test_fresh_values_are_accepted_by_both_fakes_and_read_back_the_same(
    tenants: TenantPair, row: tuple[str, str]
) -> None:
    values = row_values(_plan(row), PropertyPair(*row))
    data = NorwegianData(11)
    for _ in range(10):
        crm_value, bc_value = values.fresh(data, row[0]), values.fresh(data, row[1])
        assert len(crm_value) <= values.max_length, f"{row}: {crm_value!r} is longer than {values.max_length}"
        crm = tenants.crmoffice.create("contacts", {"givenName": "Kari", row[0]: crm_value}).record
        bc = tenants.businesscentral.create("contacts", {"displayName": "Kari", "type": "Person", row[1]: bc_value})
        assert crm[row[0]] == crm_value, f"CRMOffice {row[0]}: expected {crm_value!r} back, found {crm[row[0]]!r}"
        assert bc.record[row[1]] == bc_value, f"Business Central {row[1]}: expected {bc_value!r}, found {bc.record}"


@pytest.mark.parametrize("row", list(ROWS), ids=[origin for origin, _ in ROWS])
def test_a_refused_value_is_taken_by_crmoffice_and_refused_by_business_central(
    tenants: TenantPair, row: tuple[str, str]
) -> None:
    values = row_values(_plan(row), PropertyPair(*row))
    refused = values.refused(NorwegianData(3))
    assert refused is not None, f"{row}: expected a value Business Central refuses"
    assert refused == refused.strip(), f"{row}: a refused value must not end in a space (Gherkin trims it): {refused!r}"
    crm = tenants.crmoffice.create("contacts", {"givenName": "Kari", row[0]: refused}).record
    assert crm[row[0]] == refused, f"CRMOffice {row[0]}: expected {refused!r} taken, found {crm[row[0]]!r}"
    with pytest.raises(ValidationError) as refusal:
        tenants.businesscentral.create("contacts", {"displayName": "Kari", "type": "Person", row[1]: refused})
    assert refusal.value.field == row[1], f"expected Business Central to name {row[1]}, found {refusal.value.field}"


def test_no_refused_value_where_business_central_takes_all_crmoffice_does() -> None:
    values = RowValues(PropertyPair("city", "city"), "text", 30, 30, 30)
    assert values.refused(NorwegianData(1)) is None, "expected no refused value when both limits are 30"


def test_phones_compare_by_their_digits_and_emails_without_case() -> None:
    rows = values_by_property(_plan(("directPhone", "phoneNumber"), ("email", "email")))
    assert rows["phoneNumber"].key("+47 22 33 44 55") == rows["directPhone"].key("4722334455")
    assert rows["email"].key("Kari@Eksempel.no") == rows["email"].key("kari@eksempel.no")


def test_the_same_seed_gives_the_same_values() -> None:
    rows = values_by_property(_plan(*ROWS))
    first = [rows[origin].fresh(NorwegianData(9), origin) for origin, _ in ROWS]
    again = [rows[origin].fresh(NorwegianData(9), origin) for origin, _ in ROWS]
    assert first == again, f"expected seed 9 to replay {first}, found {again}"


def test_an_unknown_crmoffice_property_is_refused_with_the_properties_it_has() -> None:
    with pytest.raises(NoGenerator, match=r"CRMOffice contacts have no text property 'emial' \(they have .*email"):
        row_values(_plan(("emial", "email")), PropertyPair("emial", "email"))


def test_an_unknown_business_central_property_is_refused_with_the_properties_it_has() -> None:
    with pytest.raises(NoGenerator, match=r"no writable property 'salutationCode' \(they have .*city"):
        row_values(_plan(("city", "salutationCode")), PropertyPair("city", "salutationCode"))


def test_a_pair_of_kinds_no_value_satisfies_names_where_to_add_a_generator() -> None:
    with pytest.raises(NoGenerator) as refused:
        row_values(_plan(("city", "privacyBlocked")), PropertyPair("city", "privacyBlocked"))
    message = str(refused.value)
    assert "city ↔ privacyBlocked" in message and "boolean" in message, message
    assert "harness/testdata/values.py" in message, f"expected the message to say where to add a generator: {message}"


def test_an_option_field_takes_its_options_and_refuses_other_words(tenants: TenantPair) -> None:
    row = ("name", "blocked")
    values = row_values(_plan(row, companies=True), PropertyPair(*row))
    assert values.kind == "option", f"expected an option row, found {values.kind!r}"
    data = NorwegianData(4)
    drawn = {values.fresh(data, "blocked") for _ in range(30)}
    assert drawn == {"Ship", "Invoice", "All"}, f"expected the non-blank options of blocked, found {drawn}"
    refused = values.refused(data)
    assert refused is not None
    with pytest.raises(ValidationError):
        tenants.businesscentral.create("customers", {"displayName": "Valg AS", "blocked": refused})


def test_an_organisation_number_row_has_no_refused_value_and_companies_take_its_values(tenants: TenantPair) -> None:
    row = ("orgNr", "taxRegistrationNumber")
    values = row_values(_plan(row, companies=True), PropertyPair(*row))
    assert values.kind == "organisation number", f"expected an organisation-number row, found {values.kind!r}"
    value = values.fresh(NorwegianData(6))
    company = tenants.crmoffice.create("companies", {"name": "Nummer AS", "orgNr": value}).record
    customer = tenants.businesscentral.create("customers", {"displayName": "Nummer AS", "taxRegistrationNumber": value})
    assert (company["orgNr"], customer.record["taxRegistrationNumber"]) == (value, value), (company, customer.record)
    assert values.refused(NorwegianData(6)) is None, "expected no value CRMOffice takes that Business Central refuses"
