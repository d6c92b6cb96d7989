"""What a record's navigation properties reach, and a record rendered with ``$select`` and ``$expand``.

The fake keeps no ledger, pictures, dimensions or reference tables, so each part answers what Business Central
answers for a record in a company without them: a customer's financial details and aged receivables are zeros, its
picture is the empty one (0 x 0, no content type), its default dimensions an empty collection, and a lookup through
the empty GUID (``currencyId`` …, the only value the fake accepts there) is ``null``. ``contactsInformation`` lists
the contacts whose business relation links them to the customer (the Company contact Marketing Setup creates).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from harness.businesscentral.fake.expand import Expand
from harness.businesscentral.schema import (
    CONTACT,
    CUSTOMER,
    EMPTY_GUID,
    ENTITIES,
    EntitySchema,
    Field,
    edm_decimal,
    edm_timestamp,
    member_name,
)

if TYPE_CHECKING:
    from harness.businesscentral.fake.model import BusinessCentralModel, Company

__all__ = ["RELATED_CUSTOMER", "Parts", "edm_value"]

RELATED_CUSTOMER = "@relatedCustomer"
"""Key, never rendered, on a contact that has a business relation with a customer: that customer's id."""

Record = Mapping[str, Any]
Follow = Callable[["Company", Record], Any]


class Parts:
    """Follows the navigation properties of one model's records and renders records with their expansions."""

    def __init__(self, model: BusinessCentralModel) -> None:
        self.model = model
        self._follow: dict[tuple[str, str], Follow] = {
            ("customer", "customerFinancialDetail"): self._financial_details,
            ("customer", "picture"): self._customer_picture,
            ("customer", "defaultDimensions"): lambda company, record: [],
            ("customer", "agedAccountsReceivable"): self._aged_receivable,
            ("customer", "contactsInformation"): self._contacts_information,
            ("customer", "currency"): self._lookup("currencyId"),
            ("customer", "paymentTerm"): self._lookup("paymentTermsId"),
            ("customer", "shipmentMethod"): self._lookup("shipmentMethodId"),
            ("customer", "paymentMethod"): self._lookup("paymentMethodId"),
            ("contact", "picture"): self._contact_picture,
            ("contactInformation", "contact"): self._information_contact,
        }

    def handles(self, schema: EntitySchema, navigation: str) -> bool:
        return (schema.entity_type, navigation) in self._follow

    def follow(self, company: Company, schema: EntitySchema, record: Record, navigation: str) -> Any:
        """The navigation property's value: a record, a list of records, or ``None`` (nothing to look up)."""
        return self._follow[(schema.entity_type, navigation)](company, record)

    def render(
        self,
        company: Company,
        schema: EntitySchema,
        record: Record,
        url: str,
        select: tuple[str, ...] | None = None,
        expand: tuple[Expand, ...] = (),
    ) -> dict[str, Any]:
        """The record's JSON with only ``select``'s properties (all without it) and each expansion inlined.

        ``url`` is the record's own address (``…/customers({id})``); media links and nested records hang off it.
        """
        if schema.entity_set in ENTITIES:
            body = self.model.render(company, schema.entity_set, record, select)
        else:
            body = _plain(schema, record, url, select)
        for item in expand:
            body[item.navigation.name] = self._expanded(company, schema, record, url, item)
        return body

    def _expanded(self, company: Company, schema: EntitySchema, record: Record, url: str, item: Expand) -> Any:
        name = item.navigation.name
        target = item.navigation.target
        value = self.follow(company, schema, record, name)
        if value is None:
            return None
        if not item.navigation.collection:
            return self.render(company, target, value, f"{url}/{name}", item.select, item.expand)
        rows: list[Record] = [row for row in value if item.filter is None or item.filter(row)]
        for order in reversed(item.orderby):
            rows.sort(key=functools.partial(_sort_key, order.field), reverse=order.descending)
        rows = rows[item.skip :]
        if item.top is not None:
            rows = rows[: item.top]
        return [self.render(company, target, row, f"{url}/{name}", item.select, item.expand) for row in rows]

    # --- the parts ------------------------------------------------------------------------------------------------
    def _financial_details(self, company: Company, customer: Record) -> dict[str, Any]:
        return {
            "id": customer["id"],
            "number": customer["number"],
            "balance": customer["balanceDue"],
            "totalSalesExcludingTax": 0.0,
            "overdueAmount": 0.0,
            "lastModifiedDateTime": customer["lastModifiedDateTime"],
        }

    def _customer_picture(self, company: Company, customer: Record) -> dict[str, Any]:
        return _empty_picture(customer["id"], "Customer")

    def _contact_picture(self, company: Company, contact: Record) -> dict[str, Any]:
        return _empty_picture(contact["id"], "Contact")

    def _aged_receivable(self, company: Company, customer: Record) -> dict[str, Any]:
        return {
            "customerId": customer["id"],
            "customerNumber": customer["number"],
            "name": customer["displayName"],
            "currencyCode": customer["currencyCode"],
            "balanceDue": 0.0,
            "currentAmount": 0.0,
            "period1Amount": 0.0,
            "period2Amount": 0.0,
            "period3Amount": 0.0,
            "agedAsOfDate": self.model.clock.now().date().isoformat(),
            "periodLengthFilter": "30D",
        }

    def _contacts_information(self, company: Company, customer: Record) -> list[dict[str, Any]]:
        contacts = company.store(CONTACT.entity_set).records.values()
        return [
            {
                "contactId": contact["id"],
                "contactNumber": contact["number"],
                "contactName": contact["displayName"],
                "contactType": contact["type"],
                "relatedId": customer["id"],
                "relatedType": "Customer",
            }
            for contact in sorted(contacts, key=lambda c: c["number"])
            if contact.get(RELATED_CUSTOMER) == customer["id"]
        ]

    def _information_contact(self, company: Company, information: Record) -> Record | None:
        return company.store(CONTACT.entity_set).records.get(information["contactId"])

    @staticmethod
    def _lookup(reference: str) -> Follow:
        def follow(company: Company, customer: Record) -> None:
            # The fake keeps none of the referenced tables and so accepts only the empty GUID: nothing to find.
            assert customer[reference] == EMPTY_GUID, f"{CUSTOMER.entity_type}.{reference} is {customer[reference]}"
            return

        return follow


def _empty_picture(parent_id: str, parent_type: str) -> dict[str, Any]:
    return {"id": parent_id, "parentType": parent_type, "width": 0, "height": 0, "contentType": ""}


def _plain(schema: EntitySchema, record: Record, url: str, select: tuple[str, ...] | None) -> dict[str, Any]:
    body: dict[str, Any] = {}
    for spec in schema.fields:
        if select is not None and spec.name not in select:
            continue
        if spec.kind == "stream":
            # A stream is not inlined: clients read it from its media link.
            link = f"{url}({record['id']})/content"
            body[f"{spec.name}@odata.mediaEditLink"] = link
            body[f"{spec.name}@odata.mediaReadLink"] = link
            continue
        body[spec.name] = edm_value(spec, record[spec.name])
    return body


def edm_value(spec: Field, value: Any) -> Any:
    """A stored value as Business Central writes it in JSON: enum members by name, times and decimals as recorded."""
    if type(value) is str and spec.kind != "enum":
        return value  # most values, and the render of a page of 20,000 records asks this of each
    if spec.kind == "enum" and isinstance(value, str):
        return member_name(value)
    if spec.kind == "decimal" and isinstance(value, int | float) and not isinstance(value, bool):
        return edm_decimal(value)
    if isinstance(value, datetime):
        return edm_timestamp(value)
    return value


def _sort_key(name: str, row: Record) -> tuple[bool, Any]:
    value = row.get(name)
    return (value is not None, value)
