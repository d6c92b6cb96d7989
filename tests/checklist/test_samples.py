"""Every sample checklist parses; selected ones parse to exactly the model written out here by hand.

The expected models were read off the files, not produced by the parser: a test that compared the parser with
its own earlier output could not fail for the right reasons.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from harness.checklist import (
    Checklist,
    DataType,
    Endpoint,
    Flow,
    MergeRow,
    PropertyRow,
    Template,
    parse_file,
    parse_text,
    to_rst,
)

DATA = Path(__file__).parent / "data"
FEATURES = Path(__file__).parents[2] / "features"
SAMPLES = sorted(DATA.rglob("*.rst"))
# The two history versions from before mid-September 2024 write classifications as bare words ("Contacts
# person"); the writer always uses the current parenthesised form, so only their models round-trip, not bytes.
BARE_CLASSIFICATION = {
    "crmoffice-businesscentral@2024-09-03-88f015ec21.rst",
    "crmoffice-businesscentral@2024-09-17-7c7321514d.rst",
}

S, INT, F, B, NA = DataType.STRING, DataType.INTEGER, DataType.FLOAT, DataType.BOOLEAN, DataType.NOT_APPLICABLE
_TYPES = {"string": S, "integer": INT, "float": F, "boolean": B, "N/A": NA}


def rows(table: str) -> tuple[PropertyRow, ...]:
    """One row per line: ``source target type`` (names contain no spaces in these samples)."""
    parsed = []
    for line in table.splitlines():
        if not line.strip():
            continue
        source, target, kind = line.split()
        parsed.append(PropertyRow(source, target, _TYPES[kind]))
    return tuple(parsed)


def endpoint(system: str, datatype: str, classification: str | None = None) -> Endpoint:
    return Endpoint(system, datatype, classification)


CRM = "CRMOffice"
BC = "Business Central"
PHONES = rows("""
directPhone phoneNumber string
mobilePhone mobilePhoneNumber string
""")

CURRENT = Checklist(
    title="CRMOffice to Business Central Dataflow",
    source_system=CRM,
    target_system=BC,
    generated=datetime(2024, 11, 13, 0, 0, 0),
    flows=(
        Flow(endpoint(CRM, "Companies"), endpoint(BC, "Customers", "classification data"), Template.EVERY),
        Flow(endpoint(CRM, "Contacts"), endpoint(BC, "Contacts", "human data"), Template.EVERY, properties=PHONES),
    ),
)

HISTORY = {
    "crmoffice-businesscentral@2024-09-03-88f015ec21.rst": Checklist(
        title="Crmoffice to Businesscentral Dataflow",
        source_system="Crmoffice",
        target_system="Businesscentral",
        generated=datetime(2024, 9, 3, 9, 2, 43),
        flows=(
            Flow(
                endpoint("Crmoffice", "Contacts"),
                endpoint("Businesscentral", "Contacts", "person"),
                Template.EVERY,
                properties=PHONES,
            ),
        ),
    ),
    "crmoffice-businesscentral@2024-09-17-7c7321514d.rst": Checklist(
        title="CRMOffice to Business Central Dataflow",
        source_system=CRM,
        target_system=BC,
        generated=datetime(2024, 9, 17, 7, 26, 52),
        flows=(
            Flow(endpoint(CRM, "Companies"), endpoint(BC, "Customers", "company"), Template.EVERY),
            Flow(endpoint(CRM, "Contacts"), endpoint(BC, "Contacts", "person"), Template.EVERY),
        ),
    ),
    "crmoffice-businesscentral@2024-09-17-1152f3d90e.rst": Checklist(
        title="CRMOffice to Business Central Dataflow",
        source_system=CRM,
        target_system=BC,
        generated=datetime(2024, 9, 17, 9, 13, 5),
        flows=(
            Flow(endpoint(CRM, "Companies"), endpoint(BC, "Customers", "classification data"), Template.EVERY),
            Flow(endpoint(CRM, "Contacts"), endpoint(BC, "Contacts", "human data"), Template.EVERY),
        ),
    ),
}

CRMOFFICE_CRMOFFICE = Checklist(
    title="CRMOffice to CRMOffice Dataflow",
    source_system=CRM,
    target_system=CRM,
    generated=datetime(2024, 11, 13),
    flows=(
        Flow(
            endpoint(CRM, "Companies"),
            endpoint(CRM, "Companies"),
            Template.LINK_ONLY,
            merge=(MergeRow("orgNr", "orgNr"),),
            properties=rows("""
id id string
postAddress.country visitAddress.country string
postAddress.postCode visitAddress.postCode string
postAddress.postalArea visitAddress.postalArea string
postAddress.streetAddress visitAddress.streetAddress string
visitAddress.country postAddress.country string
visitAddress.postCode postAddress.postCode string
visitAddress.postalArea postAddress.postalArea string
visitAddress.streetAddress postAddress.streetAddress string
"""),
        ),
    ),
)

BUSINESSCENTRAL_FRESHTEAM = Checklist(
    title="Business Central to Freshteam Dataflow",
    source_system=BC,
    target_system="Freshteam",
    generated=datetime(2024, 11, 13),
    flows=(
        Flow(
            endpoint(BC, "Employees"),
            endpoint("Freshteam", "Employee"),
            Template.EVERY,
            properties=(
                PropertyRow("birthDate", "date_of_birth", S),
                PropertyRow("email", "official_email", S),
                PropertyRow("givenName", "first_name", S),
                PropertyRow(
                    "mobilePhone",
                    "phone_numbers.number",
                    S,
                    target_condition="Dependant on having wd:Q17517 in phone_numbers.name",
                ),
                PropertyRow("personalEmail", "personal_email", S),
                PropertyRow(
                    "phoneNumber",
                    "phone_numbers.number",
                    S,
                    target_condition="Dependant on having wd:Q214995 in phone_numbers.name",
                ),
                PropertyRow("surname", "last_name", S),
            ),
        ),
    ),
)

TT = "Tripletex"
_ADDRESS_ROWS = """
addressLine1 deliveryAddress.addressLine1 string
addressLine1 physicalAddress.addressLine1 string
addressLine1 postalAddress.addressLine1 string
addressLine2 deliveryAddress.addressLine2 string
addressLine2 physicalAddress.addressLine2 string
addressLine2 postalAddress.addressLine2 string
city deliveryAddress.city string
city physicalAddress.city string
city postalAddress.city string
country deliveryAddress.country.id string
country physicalAddress.country.id integer
country postalAddress.country.id integer
"""
_POSTAL_CODE_ROWS = """
postalCode deliveryAddress.postalCode string
postalCode physicalAddress.postalCode string
postalCode postalAddress.postalCode string
"""
BUSINESSCENTRAL_TRIPLETEX = Checklist(
    title="Business Central to Tripletex Dataflow",
    source_system=BC,
    target_system=TT,
    generated=datetime(2024, 11, 13),
    flows=(
        Flow(
            endpoint(BC, "Items"),
            endpoint(TT, "Product"),
            Template.LINK_ONLY,
            merge=(MergeRow("gtin", "ean"),),
            created_when="connected to a Business Central Businesscentral-salesorderlines that is synchronized into "
            "Tripletex",
        ),
        Flow(
            endpoint(BC, "Contacts", "human data"),
            endpoint(TT, "Contact"),
            Template.EVERY,
            properties=rows("""
email email string
mobilePhoneNumber phoneNumberMobile N/A
phoneNumber phoneNumberWork string
"""),
        ),
        Flow(
            endpoint(BC, "Contacts", "classification data"),
            endpoint(TT, "Customer", "classification data"),
            Template.EVERY,
            properties=rows(
                _ADDRESS_ROWS
                + """
displayName name string
email email string
id id integer
mobilePhoneNumber phoneNumberMobile string
phoneNumber phoneNumber string
"""
                + _POSTAL_CODE_ROWS
                + "type isPrivateIndividual boolean"
            ),
        ),
        Flow(
            endpoint(BC, "Customers", "organisation data"),
            endpoint(TT, "Customer"),
            Template.EVERY,
            properties=rows(
                _ADDRESS_ROWS
                + """
displayName name string
id id integer
phoneNumber phoneNumber string
"""
                + _POSTAL_CODE_ROWS
                + "website website string"
            ),
        ),
        Flow(
            endpoint(BC, "Customers", "human data"),
            endpoint(TT, "Customer", "human data"),
            Template.EVERY,
            properties=rows(_ADDRESS_ROWS + "id id integer" + _POSTAL_CODE_ROWS),
        ),
        Flow(endpoint(BC, "Customers", "organisation data"), endpoint(TT, "Customer"), Template.EVERY),
        Flow(
            endpoint(BC, "Customers", "classification data"),
            endpoint(TT, "Customer", "classification data"),
            Template.EVERY,
        ),
        Flow(
            endpoint(BC, "Customers", "human data"),
            endpoint(TT, "Customer", "human data"),
            Template.EVERY,
            properties=rows(
                _ADDRESS_ROWS
                + """
displayName name string
email email string
id id integer
phoneNumber phoneNumber string
"""
                + _POSTAL_CODE_ROWS
                + "type isPrivateIndividual boolean"
            ),
        ),
        Flow(
            endpoint(BC, "Employees"),
            endpoint(TT, "Employee"),
            Template.EVERY,
            properties=rows("""
birthDate dateOfBirth N/A
email email string
givenName firstName string
mobilePhone phoneNumberMobile N/A
phoneNumber phoneNumberWork string
surname lastName string
"""),
        ),
        Flow(
            endpoint(BC, "Items"),
            endpoint(TT, "Product"),
            Template.EVERY,
            properties=rows("""
displayName name string
gtin ean string
inventory stockOfGoods integer
unitCost costExcludingVatCurrency float
unitPrice priceExcludingVatCurrency float
"""),
        ),
        Flow(
            endpoint(BC, "Salesorderlines"),
            endpoint(TT, "Orderline"),
            Template.EVERY,
            properties=rows("""
discountPercent discount float
documentId order.id integer
itemId product.id integer
quantity count N/A
taxPercent vatType.id integer
unitPrice unitPriceExcludingVatCurrency float
"""),
        ),
        Flow(
            endpoint(BC, "Salesorders"),
            endpoint(TT, "Order"),
            Template.EVERY,
            properties=rows("""
currencyId currency.id integer
customerId contact.id integer
customerId customer.id integer
orderDate orderDate N/A
requestedDeliveryDate deliveryDate N/A
salesperson ourContactEmployee.id integer
"""),
        ),
    ),
)

EXACT = {
    "crmoffice-businesscentral.rst": CURRENT,
    **HISTORY,
    "crmoffice-crmoffice.rst": CRMOFFICE_CRMOFFICE,
    "businesscentral-freshteam.rst": BUSINESSCENTRAL_FRESHTEAM,
    "businesscentral-tripletex.rst": BUSINESSCENTRAL_TRIPLETEX,
}


def _sample(name: str) -> Path:
    matches = [path for path in SAMPLES if path.name == name]
    assert len(matches) == 1, f"expected exactly one sample named {name!r} under {DATA}, found {matches}"
    return matches[0]


def _first_difference(expected: Checklist, actual: Checklist) -> str:
    """Name the first flow or row that differs, so a failure says where to look."""
    for field in ("title", "source_system", "target_system", "generated"):
        if getattr(expected, field) != getattr(actual, field):
            return f"{field}: expected {getattr(expected, field)!r}, found {getattr(actual, field)!r}"
    if len(expected.flows) != len(actual.flows):
        return f"expected {len(expected.flows)} flows, found {len(actual.flows)}: {[f.label() for f in actual.flows]}"
    for number, (want, got) in enumerate(zip(expected.flows, actual.flows, strict=True), start=1):
        if want != got:
            for index, (row_want, row_got) in enumerate(zip(want.properties, got.properties, strict=False)):
                if row_want != row_got:
                    return f"flow {number} ({got.label()}), row {index + 1}: expected {row_want}, found {row_got}"
            return f"flow {number}: expected {want}, found {got}"
    return "no difference"


def test_every_sample_is_in_the_test_data() -> None:
    names = sorted(path.name for path in SAMPLES)
    assert len(names) == 11, f"expected the 8 current and 3 history checklists, found {names}"


@pytest.mark.parametrize("path", SAMPLES, ids=[path.name for path in SAMPLES])
def test_every_sample_parses_with_flows_and_rows(path: Path) -> None:
    checklist = parse_file(path)
    assert checklist.flows, f"{path.name}: expected at least one flow, found none"
    assert checklist.path == str(path), f"{path.name}: expected the model to remember its path, found {checklist.path}"
    assert b"\r\n" in path.read_bytes(), f"{path.name}: expected the sample to keep Sesam's CRLF line ends"


@pytest.mark.parametrize("name", sorted(EXACT), ids=sorted(EXACT))
def test_sample_parses_to_the_exact_model(name: str) -> None:
    actual = parse_file(_sample(name))
    expected = EXACT[name]
    assert actual == expected, f"{name}: {_first_difference(expected, actual)}"


@pytest.mark.parametrize("path", SAMPLES, ids=[path.name for path in SAMPLES])
def test_writing_a_sample_back_reproduces_its_model_and_bytes(path: Path) -> None:
    original = path.read_bytes()
    checklist = parse_file(path)
    written = to_rst(checklist, newline="\r\n")
    again = parse_text(written)
    assert again == checklist, f"{path.name}: {_first_difference(checklist, again)}"
    if path.name not in BARE_CLASSIFICATION:
        assert written.encode() == original, f"{path.name}: expected the writer to reproduce the file byte for byte"


def test_the_document_under_test_is_our_current_checklist() -> None:
    under_test = FEATURES / "crmoffice-businesscentral.rst"
    assert under_test.read_bytes() == _sample("crmoffice-businesscentral.rst").read_bytes(), (
        f"expected {under_test} to be byte-identical to the checklist QA was given"
    )
    parsed = parse_file(under_test)
    assert parsed == CURRENT, f"{under_test}: {_first_difference(CURRENT, parsed)}"


def test_lf_and_crlf_read_the_same() -> None:
    crlf = _sample("hubspot-superoffice.rst").read_bytes()
    lf = crlf.replace(b"\r\n", b"\n")
    assert b"\r" not in lf, "expected the LF variant to hold no carriage return"
    from_crlf, from_lf = parse_text(crlf.decode()), parse_text(lf.decode())
    assert from_lf == from_crlf, f"LF vs CRLF: {_first_difference(from_crlf, from_lf)}"
    lines_crlf = [flow.line for flow in from_crlf.flows]
    lines_lf = [flow.line for flow in from_lf.flows]
    assert lines_lf == lines_crlf, f"expected the same flow lines for LF and CRLF, found {lines_lf} vs {lines_crlf}"


def test_hubspot_superoffice_has_merge_or_create_integer_float_and_a_source_condition() -> None:
    checklist = parse_file(_sample("hubspot-superoffice.rst"))
    contact = checklist.flows[0]
    assert (contact.template, contact.merge) == (
        Template.MERGE_OR_CREATE,
        (MergeRow("properties.email", "Emails.Value"),),
    ), f"HubSpot Contact flow: expected merge-or-create on email, found {contact.template} {contact.merge}"
    association = checklist.flows[2]
    expected_row = PropertyRow(
        "toObjectId",
        "Contact.ContactId",
        INT,
        source_condition="Dependant on having wd:Q703534 in sesam_simpleAssociationTypes",
    )
    assert association.properties == (expected_row,), (
        f"{association.label()}: expected {expected_row}, found {association.properties}"
    )
    deal_types = [row.type for row in checklist.flows[4].properties]
    assert deal_types == [F, NA, INT, S], f"HubSpot Deal rows: expected float, N/A, integer, string, found {deal_types}"


def test_lines_point_at_the_heading_and_the_row() -> None:
    checklist = parse_file(_sample("crmoffice-businesscentral.rst"))
    flow_lines = [flow.line for flow in checklist.flows]
    assert flow_lines == [12, 28], f"expected the flow headings on lines 12 and 28, found {flow_lines}"
    row_lines = [row.line for row in checklist.flows[1].properties]
    assert row_lines == [42, 45], f"expected the Contacts rows on lines 42 and 45, found {row_lines}"


def test_to_dict_is_the_json_shape_of_show() -> None:
    expected = {
        "title": "CRMOffice to Business Central Dataflow",
        "source_system": "CRMOffice",
        "target_system": "Business Central",
        "generated": "2024-11-13 00:00:00",
        "flows": [
            {
                "source": {"system": "CRMOffice", "datatype": "Companies", "classification": None},
                "target": {
                    "system": "Business Central",
                    "datatype": "Customers",
                    "classification": "classification data",
                },
                "template": "every",
                "merge": [],
                "properties": [],
            },
            {
                "source": {"system": "CRMOffice", "datatype": "Contacts", "classification": None},
                "target": {"system": "Business Central", "datatype": "Contacts", "classification": "human data"},
                "template": "every",
                "merge": [],
                "properties": [
                    {"source": "directPhone", "target": "phoneNumber", "type": "string", "condition": None},
                    {"source": "mobilePhone", "target": "mobilePhoneNumber", "type": "string", "condition": None},
                ],
            },
        ],
    }
    actual = parse_file(_sample("crmoffice-businesscentral.rst")).to_dict()
    assert actual == expected, f"crmoffice-businesscentral.rst to_dict: expected {expected}, found {actual}"
