"""The Business Central API v2.0 entities the dataflow touches, as the fake and the client both need them.

Field kinds follow the AL tables behind the API pages: ``Text[n]`` keeps case, ``Code[n]`` is upper-cased on write,
phone fields refuse letters, enums accept only their options. ``caption`` is the table field's caption, which Business
Central's error messages use instead of the API property name (``Phone No. must not contain letters ...``).
Sources: Microsoft's API v2.0 pages for customers and contacts and their base tables (``docs/tenants.md``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "COMPANY_FIELDS",
    "CONTACT",
    "CUSTOMER",
    "EMPTY_GUID",
    "ENTITIES",
    "REQUIRED_ON_CREATE",
    "EntitySchema",
    "Field",
    "FieldKind",
]

FieldKind = Literal["guid", "text", "code", "phone", "email", "enum", "boolean", "decimal", "date", "datetime"]

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
"""What Business Central shows in a reference to another table (``currencyId`` …) that is not set."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: FieldKind
    length: int | None = None
    caption: str = ""
    read_only: bool = False
    options: tuple[str, ...] = ()
    default: str | bool | float | None = ""
    related: str = ""
    """For a reference to a record of another table (``currencyId``, ``salespersonCode``): that table. The fake has
    none of those tables, so only the empty GUID (or a blank code) is accepted, as Business Central refuses a
    reference it cannot find."""

    @property
    def edm_type(self) -> str:
        return {
            "guid": "Edm.Guid",
            "boolean": "Edm.Boolean",
            "decimal": "Edm.Decimal",
            "date": "Edm.Date",
            "datetime": "Edm.DateTimeOffset",
        }.get(self.kind, "Edm.String")


@dataclass(frozen=True)
class EntitySchema:
    """One API entity set: ``customers`` (table Customer) or ``contacts`` (table Contact)."""

    entity_set: str
    entity_type: str
    table: str
    number_prefix: str
    number_digits: int
    fields: tuple[Field, ...]
    required_on_create: tuple[str, ...] = ("displayName",)
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})

    @property
    def odata_type(self) -> str:
        return f"Microsoft.NAV.{self.entity_type}"


def _common_address() -> tuple[Field, ...]:
    return (
        Field("addressLine1", "text", 100, "Address"),
        Field("addressLine2", "text", 50, "Address 2"),
        Field("city", "text", 30, "City"),
        Field("state", "text", 30, "County"),
        Field("country", "code", 10, "Country/Region Code"),
        Field("postalCode", "code", 20, "Post Code"),
    )


CUSTOMER = EntitySchema(
    entity_set="customers",
    entity_type="customer",
    table="Customer",
    number_prefix="C",
    number_digits=5,
    fields=(
        Field("id", "guid", caption="SystemId", read_only=True, default=None),
        Field("number", "code", 20, "No."),
        Field("displayName", "text", 100, "Name"),
        Field("type", "enum", caption="Contact Type", options=("Company", "Person"), default="Company"),
        *_common_address(),
        Field("phoneNumber", "phone", 30, "Phone No."),
        Field("email", "email", 80, "E-Mail"),
        Field("website", "text", 80, "Home Page"),
        Field("salespersonCode", "code", 20, "Salesperson Code", related="Salesperson/Purchaser"),
        Field("balanceDue", "decimal", caption="Balance Due", read_only=True, default=0.0),
        Field("creditLimit", "decimal", caption="Credit Limit (LCY)", default=0.0),
        Field("taxLiable", "boolean", caption="Tax Liable", default=False),
        Field("taxAreaId", "guid", caption="Tax Area ID", default=EMPTY_GUID, related="Tax Area"),
        Field("taxAreaDisplayName", "text", 100, "Tax Area Display Name", read_only=True),
        Field("taxRegistrationNumber", "text", 20, "VAT Registration No."),
        Field("currencyId", "guid", caption="Currency Id", default=EMPTY_GUID, related="Currency"),
        Field("currencyCode", "code", 10, "Currency Code"),
        Field("paymentTermsId", "guid", caption="Payment Terms Id", default=EMPTY_GUID, related="Payment Terms"),
        Field("shipmentMethodId", "guid", caption="Shipment Method Id", default=EMPTY_GUID, related="Shipment Method"),
        Field("paymentMethodId", "guid", caption="Payment Method Id", default=EMPTY_GUID, related="Payment Method"),
        Field("blocked", "enum", caption="Blocked", options=(" ", "Ship", "Invoice", "All"), default=" "),
        Field("lastModifiedDateTime", "datetime", caption="Last Modified Date Time", read_only=True, default=None),
    ),
)

CONTACT = EntitySchema(
    entity_set="contacts",
    entity_type="contact",
    table="Contact",
    number_prefix="CT",
    number_digits=6,
    fields=(
        Field("id", "guid", caption="SystemId", read_only=True, default=None),
        Field("number", "code", 20, "No."),
        Field("type", "enum", caption="Type", options=("Company", "Person"), default="Company"),
        Field("displayName", "text", 100, "Name"),
        Field("companyNumber", "code", 20, "Company No."),
        Field("companyName", "text", 100, "Company Name", read_only=True),
        Field(
            "contactBusinessRelation",
            "enum",
            caption="Contact Business Relation",
            read_only=True,
            options=("None", "Customer", "Vendor", "Bank Account", "Employee", "Other", "Multiple"),
            default="None",
        ),
        *_common_address(),
        Field("phoneNumber", "phone", 30, "Phone No."),
        Field("mobilePhoneNumber", "phone", 30, "Mobile Phone No."),
        Field("email", "email", 80, "E-Mail"),
        Field("website", "text", 80, "Home Page"),
        Field("searchName", "code", 100, "Search Name"),
        Field("privacyBlocked", "boolean", caption="Privacy Blocked", default=False),
        Field("taxRegistrationNumber", "text", 20, "VAT Registration No."),
        Field("lastInteractionDate", "date", caption="Date of Last Interaction", read_only=True, default="0001-01-01"),
        Field("lastModifiedDateTime", "datetime", caption="Last Modified Date Time", read_only=True, default=None),
    ),
)

ENTITIES: dict[str, EntitySchema] = {CUSTOMER.entity_set: CUSTOMER, CONTACT.entity_set: CONTACT}

# Company properties as the read-only `companies` entity set shows them.
COMPANY_FIELDS: tuple[str, ...] = (
    "id",
    "systemVersion",
    "timestamp",
    "name",
    "displayName",
    "businessProfileId",
    "systemCreatedAt",
    "systemCreatedBy",
    "systemModifiedAt",
    "systemModifiedBy",
)

# What a checklist linter needs to know: the fields Business Central refuses to create a record without,
# keyed by the checklist's datatype names.
REQUIRED_ON_CREATE: dict[str, tuple[str, ...]] = {
    "Customers": CUSTOMER.required_on_create,
    "Contacts": CONTACT.required_on_create,
}
