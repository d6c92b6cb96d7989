"""``$select`` and ``$expand`` on single records and collections; navigation properties read on their own URLs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.businesscentral.fake import BusinessCentralFake
from tests.businesscentral.helpers import assert_error

# Microsoft's "Get customers" page expands these on one customer; the financial details under the name a recorded
# Business Central 26.0 $metadata gives them (customerFinancialDetail, singular; tests/captures).
DOCUMENTED = "customerFinancialDetail,picture,defaultDimensions,currency,paymentTerm,shipmentMethod,paymentMethod"


@pytest.fixture
def customer(raw: httpx.Client, records: str) -> dict[str, Any]:
    body: dict[str, Any] = raw.post(
        f"{records}/customers", json={"displayName": "Fjord AS", "phoneNumber": "22 33 44 55", "currencyCode": "nok"}
    ).json()
    return body


def test_select_by_id_answers_only_the_selected_properties_and_the_etag(
    raw: httpx.Client, records: str, customer: dict[str, Any]
) -> None:
    response = raw.get(f"{records}/customers({customer['id']})", params={"$select": "number,phoneNumber"})
    body = response.json()
    assert {k: v for k, v in body.items() if not k.startswith("@")} == {
        "number": "C00001",
        "phoneNumber": "22 33 44 55",
    }
    assert body["@odata.etag"] == customer["@odata.etag"], body
    assert_error(raw.get(f"{records}/customers({customer['id']})", params={"$select": "fax"}), 400, "BadRequest")


def test_the_documented_expansion_of_one_customer(raw: httpx.Client, records: str, customer: dict[str, Any]) -> None:
    body = raw.get(f"{records}/customers({customer['id']})", params={"$expand": DOCUMENTED}).json()
    assert body["displayName"] == "Fjord AS", "the customer's own properties stay beside its expansions"
    assert body["customerFinancialDetail"] == {
        "id": customer["id"],
        "number": "C00001",
        "balance": 0.0,
        "totalSalesExcludingTax": 0.0,
        "overdueAmount": 0.0,
        "lastModifiedDateTime": customer["lastModifiedDateTime"],
    }, body["customerFinancialDetail"]
    picture = body["picture"]
    content = f"{str(raw.base_url).rstrip('/')}{records}/customers({customer['id']})/picture({customer['id']})/content"
    assert picture == {
        "id": customer["id"],
        "parentType": "Customer",
        "width": 0,
        "height": 0,
        "contentType": "",
        "pictureContent@odata.mediaEditLink": content,
        "pictureContent@odata.mediaReadLink": content,
    }, picture
    assert body["defaultDimensions"] == [], body["defaultDimensions"]
    lookups = {name: body[name] for name in ("currency", "paymentTerm", "shipmentMethod", "paymentMethod")}
    assert lookups == dict.fromkeys(lookups), f"a lookup through the empty GUID finds nothing: {lookups}"
    assert raw.get(picture["pictureContent@odata.mediaReadLink"]).status_code == 204, "an empty picture has no content"


def test_aged_receivables_are_zero_as_of_the_tenant_date(
    raw: httpx.Client, records: str, customer: dict[str, Any]
) -> None:
    body = raw.get(f"{records}/customers({customer['id']})", params={"$expand": "agedAccountsReceivable"}).json()
    assert body["agedAccountsReceivable"] == {
        "customerId": customer["id"],
        "customerNumber": "C00001",
        "name": "Fjord AS",
        "currencyCode": "NOK",
        "balanceDue": 0.0,
        "currentAmount": 0.0,
        "period1Amount": 0.0,
        "period2Amount": 0.0,
        "period3Amount": 0.0,
        "agedAsOfDate": customer["lastModifiedDateTime"][:10],
        "periodLengthFilter": "30D",
    }, body["agedAccountsReceivable"]


def test_nested_select_inside_expand(raw: httpx.Client, records: str, customer: dict[str, Any]) -> None:
    params = {"$select": "number", "$expand": "picture($select=width,height),customerFinancialDetail($select=balance)"}
    body = raw.get(f"{records}/customers({customer['id']})", params=params).json()
    assert {k: v for k, v in body.items() if not k.startswith("@")} == {
        "number": "C00001",
        "picture": {"width": 0, "height": 0},
        "customerFinancialDetail": {"balance": 0.0},
    }, body


def test_expand_on_a_collection_expands_every_record(raw: httpx.Client, records: str) -> None:
    for name in ("Fjord AS", "Bre AS", "Elv AS"):
        raw.post(f"{records}/customers", json={"displayName": name})
    params = {"$select": "displayName", "$expand": "customerFinancialDetail($select=number)", "$orderby": "number"}
    value = raw.get(f"{records}/customers", params=params).json()["value"]
    shown = [(c["displayName"], c["customerFinancialDetail"]) for c in value]
    assert shown == [
        ("Fjord AS", {"number": "C00001"}),
        ("Bre AS", {"number": "C00002"}),
        ("Elv AS", {"number": "C00003"}),
    ], shown


def test_a_contact_expands_its_picture(raw: httpx.Client, records: str) -> None:
    contact = raw.post(f"{records}/contacts", json={"displayName": "Kari Nordmann", "type": "Person"}).json()
    for url in (f"{records}/contacts", f"{records}/contacts({contact['id']})"):
        body = raw.get(url, params={"$expand": "picture($select=parentType,id)"}).json()
        picture = body["value"][0]["picture"] if "value" in body else body["picture"]
        assert picture == {"id": contact["id"], "parentType": "Contact"}, (url, picture)
    assert_error(
        raw.get(f"{records}/contacts", params={"$expand": "customerFinancialDetail"}),
        400,
        "BadRequest",
        "Could not find a property named 'customerFinancialDetail' on type 'Microsoft.NAV.contact'.",
    )


def test_contacts_information_lists_the_customers_related_contacts(
    raw: httpx.Client, records: str, bc: BusinessCentralFake
) -> None:
    alone = raw.post(f"{records}/customers", json={"displayName": "Uten kontakt AS"}).json()
    bc.model.marketing_setup = True
    related = raw.post(f"{records}/customers", json={"displayName": "Med kontakt AS"}).json()
    (contact,) = raw.get(f"{records}/contacts").json()["value"]
    params = {"$expand": "contactsInformation($expand=contact($select=number,contactBusinessRelation))"}
    body = raw.get(f"{records}/customers({related['id']})", params=params).json()
    assert body["contactsInformation"] == [
        {
            "contactId": contact["id"],
            "contactNumber": contact["number"],
            "contactName": "Med kontakt AS",
            "contactType": "Company",
            "relatedId": related["id"],
            "relatedType": "Customer",
            "contact": {
                "@odata.etag": contact["@odata.etag"],
                "number": contact["number"],
                "contactBusinessRelation": "Customer",
            },
        }
    ], body["contactsInformation"]
    none = raw.get(f"{records}/customers({alone['id']})", params={"$expand": "contactsInformation"}).json()
    assert none["contactsInformation"] == [], f"a customer without a related contact lists none: {none}"


def test_collection_options_inside_expand(raw: httpx.Client, records: str, bc: BusinessCentralFake) -> None:
    bc.model.marketing_setup = True
    related = raw.post(f"{records}/customers", json={"displayName": "Med kontakt AS"}).json()
    url = f"{records}/customers({related['id']})"
    kept = raw.get(url, params={"$expand": "contactsInformation($filter=contactType eq 'Company';$top=1)"}).json()
    assert [c["contactName"] for c in kept["contactsInformation"]] == ["Med kontakt AS"], kept
    dropped = raw.get(url, params={"$expand": "contactsInformation($filter=contactType eq 'Person')"}).json()
    assert dropped["contactsInformation"] == [], dropped
    skipped = raw.get(url, params={"$expand": "contactsInformation($skip=1;$orderby=contactNumber desc)"}).json()
    assert skipped["contactsInformation"] == [], skipped
    assert_error(
        raw.get(url, params={"$expand": "picture($top=1)"}),
        400,
        "BadRequest",
        "The query option '$top' is not allowed on the single-valued navigation property 'picture'.",
    )


@pytest.mark.parametrize(
    ("expand", "message"),
    [
        ("fax", "Could not find a property named 'fax' on type 'Microsoft.NAV.customer'."),
        (
            "displayName",
            "Property 'displayName' on type 'Microsoft.NAV.customer' is not a navigation property or complex property. "
            "Only navigation properties can be expanded.",
        ),
        ("picture($select=fax)", "Could not find a property named 'fax' on type 'Microsoft.NAV.picture'."),
        ("picture($expand=owner)", "Could not find a property named 'owner' on type 'Microsoft.NAV.picture'."),
        ("picture($select=width", "Syntax error in $expand 'picture($select=width': unbalanced '(' or quote."),
        ("picture,,currency", "Syntax error in $expand 'picture,,currency': an empty item."),
        ("picture($search=x)", "The query option '$search' is not supported inside $expand."),
    ],
)
def test_what_cannot_be_expanded_is_refused_with_the_odata_message(
    raw: httpx.Client, records: str, customer: dict[str, Any], expand: str, message: str
) -> None:
    for url in (f"{records}/customers", f"{records}/customers({customer['id']})"):
        assert_error(raw.get(url, params={"$expand": expand}), 400, "BadRequest", message)


def test_navigation_properties_have_their_own_urls(raw: httpx.Client, records: str, customer: dict[str, Any]) -> None:
    base = f"{records}/customers({customer['id']})"
    details = raw.get(f"{base}/customerFinancialDetail", params={"$select": "number,balance"}).json()
    context = f"$metadata#companies({records.rsplit('(', 1)[1][:-1]})/customers({customer['id']})"
    assert details["@odata.context"].endswith(f"{context}/customerFinancialDetail/$entity"), details
    assert {k: v for k, v in details.items() if not k.startswith("@")} == {"number": "C00001", "balance": 0.0}
    dimensions = raw.get(f"{base}/defaultDimensions").json()
    assert dimensions["value"] == [] and dimensions["@odata.context"].endswith(f"{context}/defaultDimensions"), (
        dimensions
    )
    currency = raw.get(f"{base}/currency")
    assert (currency.status_code, currency.content) == (204, b""), "a lookup that finds nothing has no content"
    assert_error(raw.get(f"{base}/vendors"), 404, "BadRequest_ResourceNotFound")
    assert_error(
        raw.get(f"{records}/customers({'0' * 8}-0000-0000-0000-{'0' * 11}1)/picture"),
        404,
        "BadRequest_ResourceNotFound",
    )


def test_expand_works_inside_a_batch(raw: httpx.Client, api: str, records: str, customer: dict[str, Any]) -> None:
    path = f"{records}/customers({customer['id']})?$expand=customerFinancialDetail($select=balance)"
    answer = raw.post(f"{api}/$batch", json={"requests": [{"id": "1", "method": "GET", "url": path}]}).json()
    (response,) = answer["responses"]
    assert response["status"] == 200 and response["body"]["customerFinancialDetail"] == {"balance": 0.0}, response
