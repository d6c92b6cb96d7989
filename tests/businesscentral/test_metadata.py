"""``$metadata``: a CSDL document that parses, holds together, and promises exactly what the fake does.

The document is checked against the fake's behaviour, not against the schema module it is written from: every
property it declares is probed over HTTP (its type, its length, whether it may be written), every navigation
property is expanded, and a general-purpose OData client (odatapy) reads the service through it.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
import pytest
from odatapy.client import EdmEnabledODataClient, HttpxTransport

from harness.businesscentral.fake import BusinessCentralFake
from harness.fakes import Mounted
from tests.businesscentral.helpers import assert_error, error_of

NS = {"edmx": "http://docs.oasis-open.org/odata/ns/edmx", "edm": "http://docs.oasis-open.org/odata/ns/edm"}
COMPUTED = "Org.OData.Core.V1.Computed"
EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
# A customer's salesperson is a reference to a table the fake does not keep: only the blank code is accepted, as
# Business Central refuses a code it cannot find (docs/tenants.md).
ONLY_BLANK = {("customer", "salespersonCode")}


@dataclass(frozen=True)
class Prop:
    entity: str
    name: str
    type: str
    max_length: int | None
    nullable: bool
    computed: bool


@pytest.fixture
def document(raw: httpx.Client, api: str) -> ET.Element:
    response = raw.get(f"{api}/$metadata")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml"), response.headers["content-type"]
    return ET.fromstring(response.content)


def _schema(document: ET.Element) -> ET.Element:
    schemas = document.findall("edmx:DataServices/edm:Schema", NS)
    assert [s.get("Namespace") for s in schemas] == ["Microsoft.NAV"], [s.get("Namespace") for s in schemas]
    return schemas[0]


def _entity_types(document: ET.Element) -> dict[str, ET.Element]:
    return {t.get("Name", ""): t for t in _schema(document).findall("edm:EntityType", NS)}


def _properties(document: ET.Element, entity: str) -> list[Prop]:
    props = []
    for element in _entity_types(document)[entity].findall("edm:Property", NS):
        computed = any(
            a.get("Term") == COMPUTED and a.get("Bool") == "true" for a in element.findall("edm:Annotation", NS)
        )
        length = element.get("MaxLength")
        props.append(
            Prop(
                entity,
                element.get("Name", ""),
                element.get("Type", ""),
                int(length) if length else None,
                element.get("Nullable", "true") == "true",
                computed,
            )
        )
    return props


def _enum_members(document: ET.Element, qualified: str) -> list[str]:
    name = qualified.removeprefix("Microsoft.NAV.")
    enum = _schema(document).find(f"edm:EnumType[@Name='{name}']", NS)
    assert enum is not None, f"expected an EnumType {name} for a property typed {qualified}"
    # Member names are XML-encoded identifiers (_x0020_ is a space), and JSON writes an option by its member name.
    return [m.get("Name", "") for m in enum]


def test_the_document_is_odata_v4_csdl_and_holds_together(document: ET.Element) -> None:
    assert document.tag == f"{{{NS['edmx']}}}Edmx" and document.get("Version") == "4.0", (document.tag, document.attrib)
    schema = _schema(document)
    types = _entity_types(document)
    enums = {e.get("Name") for e in schema.findall("edm:EnumType", NS)}
    containers = schema.findall("edm:EntityContainer", NS)
    assert len(containers) == 1, f"expected one entity container, got {len(containers)}"
    sets = {s.get("Name"): s.get("EntityType") for s in containers[0].findall("edm:EntitySet", NS)}
    # As a recorded Business Central 26.0 document (tests/captures): an entity set for every entity type.
    assert sorted(sets.values()) == sorted(f"Microsoft.NAV.{name}" for name in types), sets
    assert (sets["customers"], sets["contacts"]) == ("Microsoft.NAV.customer", "Microsoft.NAV.contact"), sets
    for name, element in types.items():
        declared = {p.get("Name") for p in element.findall("edm:Property", NS)}
        keys = [r.get("Name") for r in element.findall("edm:Key/edm:PropertyRef", NS)]
        assert keys and set(keys) <= declared, f"{name}: key {keys} must name declared properties {sorted(declared)}"
        for prop in element.findall("edm:Property", NS):
            kind = prop.get("Type", "")
            if kind.startswith("Microsoft.NAV."):
                assert kind.removeprefix("Microsoft.NAV.") in enums, f"{name}.{prop.get('Name')}: no enum {kind}"
            else:
                assert kind.startswith("Edm."), f"{name}.{prop.get('Name')}: unexpected type {kind}"
        for nav in element.findall("edm:NavigationProperty", NS):
            target = re.sub(r"^Collection\((.*)\)$", r"\1", nav.get("Type", "")).removeprefix("Microsoft.NAV.")
            assert target in types, f"{name}.{nav.get('Name')} points at undeclared type {target}"
            for constraint in nav.findall("edm:ReferentialConstraint", NS):
                assert constraint.get("Property") in declared, f"{name}.{nav.get('Name')}: {constraint.attrib}"
    customer_navigation = {n.get("Name") for n in types["customer"].findall("edm:NavigationProperty", NS)}
    documented = {"customerFinancialDetail", "picture", "defaultDimensions", "currency", "paymentTerm"}
    assert documented | {"shipmentMethod", "paymentMethod"} <= customer_navigation, sorted(customer_navigation)


@pytest.mark.parametrize("entity_set", ["customers", "contacts"])
def test_a_record_shows_exactly_the_declared_properties(
    document: ET.Element, raw: httpx.Client, records: str, entity_set: str
) -> None:
    body = raw.post(f"{records}/{entity_set}", json={"displayName": "Fjord AS"}).json()
    shown = [key for key in body if not key.startswith("@")]
    declared = [p.name for p in _properties(document, entity_set.removesuffix("s"))]
    assert shown == declared, f"{entity_set}: the record shows {shown}, $metadata declares {declared}"
    company = raw.get(f"{records}").json()
    declared_company = [p.name for p in _properties(document, "company")]
    assert [k for k in company if not k.startswith("@")] == declared_company, (company, declared_company)


@pytest.mark.parametrize("entity", ["customer", "contact"])
def test_every_declared_property_is_honoured_as_declared(
    document: ET.Element, raw: httpx.Client, records: str, entity: str
) -> None:
    props = _properties(document, entity)
    assert props, f"no properties declared for {entity}"
    for prop in props:
        url = f"{records}/{entity}s({raw.post(f'{records}/{entity}s', json={'displayName': 'Probe'}).json()['id']})"
        _probe(document, raw, url, prop)
    for undeclared in ("fax", "salutationCode"):
        response = raw.patch(_first(raw, records, entity), json={undeclared: "x"}, headers={"If-Match": "*"})
        assert_error(response, 400, "BadRequest")


def _first(raw: httpx.Client, records: str, entity: str) -> str:
    return f"{records}/{entity}s({raw.get(f'{records}/{entity}s').json()['value'][0]['id']})"


def _patch(raw: httpx.Client, url: str, name: str, value: Any) -> httpx.Response:
    return raw.patch(url, json={name: value}, headers={"If-Match": "*"})


def _probe(document: ET.Element, raw: httpx.Client, url: str, prop: Prop) -> None:
    where = f"{prop.entity}.{prop.name} ({prop.type})"
    assert not prop.nullable, f"{where}: the fake takes null for no property, so none may be declared nullable"
    if prop.computed:
        current = raw.get(url).json()[prop.name]
        refused = _patch(raw, url, prop.name, current)
        assert refused.status_code == 400 and "read-only" in error_of(refused)["message"], (where, refused.text)
        return
    assert _patch(raw, url, prop.name, None).status_code == 400, f"{where}: null must be refused"
    for value in _accepted_values(document, prop):
        response = _patch(raw, url, prop.name, value)
        assert response.status_code == 200, f"{where}: {value!r} should be accepted, got {response.text}"
        assert response.json()[prop.name] == value, f"{where}: wrote {value!r}, read {response.json()[prop.name]!r}"
    wrong = {"Edm.Boolean": "yes", "Edm.Decimal": "12", "Edm.Guid": "not-a-guid"}.get(prop.type)
    if wrong is not None:
        refused = _patch(raw, url, prop.name, wrong)
        assert prop.type in error_of(refused)["message"], f"{where}: {wrong!r} refused as another type: {refused.text}"
    elif prop.type.startswith("Microsoft.NAV."):
        assert _patch(raw, url, prop.name, "NoSuchOption").status_code == 400, f"{where}: an unknown option passed"
    else:
        _probe_length(raw, url, prop, where)


def _accepted_values(document: ET.Element, prop: Prop) -> list[Any]:
    if prop.type == "Edm.Boolean":
        return [True, False]
    if prop.type == "Edm.Decimal":
        return [12.5]
    if prop.type == "Edm.Guid":
        return [EMPTY_GUID]
    if prop.type.startswith("Microsoft.NAV."):
        return _enum_members(document, prop.type)
    return []


def _probe_length(raw: httpx.Client, url: str, prop: Prop, where: str) -> None:
    assert prop.type == "Edm.String" and prop.max_length is not None, f"{where}: a writable string needs a MaxLength"
    if (prop.entity, prop.name) in ONLY_BLANK:
        assert _patch(raw, url, prop.name, "").status_code == 200, f"{where}: the blank code must be accepted"
        assert _patch(raw, url, prop.name, "1").status_code == 400, f"{where}: a code the fake cannot find passed"
        return
    n = prop.max_length
    # Digits suit every kind of text property but an e-mail address, which gets an address of the same length.
    for fits, too_long in (("1" * n, "1" * (n + 1)), ("a" * (n - 5) + "@b.no", "a" * (n - 4) + "@b.no")):
        if _patch(raw, url, prop.name, fits).status_code == 200:
            refused = _patch(raw, url, prop.name, too_long)
            assert error_of(refused)["message"].startswith(f"The length of the string is {n + 1}, but it must be"), (
                where,
                refused.text,
            )
            return
    pytest.fail(f"{where}: no value of MaxLength {n} characters was accepted")


def test_every_declared_navigation_property_expands_to_its_declared_type(
    document: ET.Element, raw: httpx.Client, records: str
) -> None:
    types = _entity_types(document)
    for entity in ("customer", "contact"):
        record = raw.post(f"{records}/{entity}s", json={"displayName": "Fjord AS"}).json()
        for nav in types[entity].findall("edm:NavigationProperty", NS):
            name = nav.get("Name", "")
            response = raw.get(f"{records}/{entity}s({record['id']})", params={"$expand": name})
            assert response.status_code == 200, f"{entity}.{name}: {response.text}"
            value = response.json()[name]
            target = re.sub(r"^Collection\((.*)\)$", r"\1", nav.get("Type", "")).removeprefix("Microsoft.NAV.")
            rows = value if nav.get("Type", "").startswith("Collection(") else [value]
            for row in (r for r in rows if r is not None):
                declared = {p.name for p in _properties(document, target)}
                streams = {p.name for p in _properties(document, target) if p.type == "Edm.Stream"}
                shown = {k.split("@")[0] for k in row if not k.startswith("@")}
                assert shown == declared, f"{entity}.{name}: shows {sorted(shown)}, declares {sorted(declared)}"
                assert all(f"{s}@odata.mediaReadLink" in row for s in streams), f"{entity}.{name}: {row}"


def test_metadata_needs_a_token_and_is_xml_only(anonymous: httpx.Client, raw: httpx.Client, api: str) -> None:
    assert_error(anonymous.get(f"{api}/$metadata"), 401, "Authentication_InvalidCredentials")
    assert_error(raw.get(f"{api}/$metadata", params={"$format": "json"}), 406, "BadRequest_NotAcceptable")
    assert raw.get(f"{api}/$metadata", params={"$format": "xml"}).status_code == 200


def test_a_general_purpose_odata_client_reads_the_service_through_its_metadata(
    mounted: Mounted, bc: BusinessCentralFake
) -> None:
    info = bc.info()
    created = bc.seed({"customers": [{"displayName": "Fjord AS", "phoneNumber": "22 33 44 55", "creditLimit": 1500.5}]})
    with mounted.client(headers={"Authorization": f"Bearer {info['token']}"}) as http:
        client = EdmEnabledODataClient(info["api"], HttpxTransport(client=http))
        edm = client.get_edm()
        sets = [entity_set.name for entity_set in edm.entity_container.entity_sets]
        assert {"companies", "customers", "contacts"} <= set(sets), f"expected customers and contacts listed: {sets}"
        company_key = uuid.UUID(info["company_id"])
        companies = client.get_entity_set(client.entity_set_uri("companies"))
        assert [e.get_value("id") for e in companies.entities] == [company_key], companies
        uri = client.entity_uri("companies", company_key).append_navigation_segment("customers")
        (customer,) = client.get_entity_set(uri).entities
        expected = created["customers"][0]
        assert customer.get_value("id") == uuid.UUID(expected["id"]), customer
        assert customer.get_value("displayName") == "Fjord AS", customer
        assert customer.get_value("creditLimit") == Decimal("1500.5"), customer
        assert customer.get_property("type").type == "Microsoft.NAV.contactType", customer.get_property("type")
        one = uri.append_key_segment(uuid.UUID(expected["id"])).select("number", "phoneNumber")
        read = client.get_entity(one)
        shown = {p.name: p.value for p in read.properties}
        assert shown == {"number": "C00001", "phoneNumber": "22 33 44 55"}, f"expected only the selected, got {shown}"
