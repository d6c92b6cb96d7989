"""The Business Central API v2.0 entities the dataflow touches, as the fake and the client both need them.

Field kinds follow the AL tables behind the API pages: ``Text[n]`` keeps case, ``Code[n]`` is upper-cased on write,
phone fields refuse letters, enums accept only their options. ``caption`` is the table field's caption, which Business
Central's error messages use instead of the API property name (``Phone No. must not contain letters ...``).
Sources: Microsoft's API v2.0 pages for customers and contacts and their base tables (``docs/tenants.md``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "COMPANY",
    "COMPANY_FIELDS",
    "CONTACT",
    "CUSTOMER",
    "EMPTY_GUID",
    "ENTITIES",
    "REQUIRED_ON_CREATE",
    "EntitySchema",
    "Field",
    "FieldKind",
    "Navigation",
    "edm_decimal",
    "edm_timestamp",
    "entity_types",
    "member_name",
    "option_of",
]

FieldKind = Literal[
    "guid",
    "text",
    "code",
    "phone",
    "email",
    "enum",
    "boolean",
    "decimal",
    "integer",
    "int64",
    "date",
    "datetime",
    "stream",
]

EMPTY_GUID = "00000000-0000-0000-0000-000000000000"
"""What Business Central shows in a reference to another table (``currencyId`` …) that is not set."""


@functools.lru_cache(maxsize=1024)
def member_name(option: str) -> str:
    """An option as Business Central writes it in JSON and ``$metadata``: the enum member's name, each character an
    identifier cannot hold as ``_xHHHH_`` (XmlConvert), so the blank option is ``_x0020_`` and "Bank Account" is
    ``Bank_x0020_Account`` (recorded: tests/captures/tfenster-wiremock-demo.json, rebelpl-bc-api2-client.json)."""
    return re.sub(r"[^A-Za-z0-9_]", lambda match: f"_x{ord(match.group()):04X}_", option)


def option_of(value: str, options: tuple[str, ...]) -> str | None:
    """The option a written value names, by its caption (``" "``, ``"Bank Account"``) or its member name
    (``_x0020_``); None when it names none."""
    if value in options:
        return value
    return next((option for option in options if member_name(option) == value), None)


@functools.lru_cache(maxsize=4096)
def edm_timestamp(moment: datetime) -> str:
    """An ``Edm.DateTimeOffset`` as Business Central writes it: UTC, ``Z``, milliseconds without trailing zeros
    (``2025-02-02T18:28:34.08Z``, ``2025-09-29T09:58:45Z``), as recorded."""
    moment = moment.astimezone(UTC)
    # isoformat, then trim: about three times as fast as strftime, and a page of contacts holds two of these each.
    # Remembered: records written together share their millisecond, and each is rendered when written and read.
    whole, _, fraction = moment.replace(tzinfo=None).isoformat(timespec="milliseconds").partition(".")
    fraction = fraction.rstrip("0")
    return f"{whole}.{fraction}Z" if fraction else f"{whole}Z"


def edm_decimal(value: float) -> int | float:
    """An ``Edm.Decimal`` as Business Central writes it: a whole amount without a fraction (``0``, ``2000``), any other
    as it is (``2311.3``), as recorded."""
    return int(value) if float(value).is_integer() else value


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
    enum_type: str = ""
    """For an enum: its type in the service's metadata (``contactType`` is ``Microsoft.NAV.contactType``)."""

    @property
    def edm_type(self) -> str:
        """The primitive type a ``$filter`` compares it as (an enum compares as its option's name)."""
        return {
            "guid": "Edm.Guid",
            "boolean": "Edm.Boolean",
            "decimal": "Edm.Decimal",
            "integer": "Edm.Int32",
            "int64": "Edm.Int64",
            "date": "Edm.Date",
            "datetime": "Edm.DateTimeOffset",
            "stream": "Edm.Stream",
        }.get(self.kind, "Edm.String")

    @property
    def metadata_type(self) -> str:
        """The type ``$metadata`` declares: the primitive type, or the enum type."""
        return f"Microsoft.NAV.{self.enum_type}" if self.kind == "enum" else self.edm_type


@dataclass(frozen=True)
class Navigation:
    """A navigation property: a part of the API page (contained) or a lookup through one of the record's properties.

    ``collection`` for a part of multiplicity many; a lookup names the property here and the one it matches on the
    target (``currencyId`` -> ``id``).
    """

    name: str
    target: EntitySchema
    collection: bool = False
    lookup: tuple[str, str] | None = None

    @property
    def contained(self) -> bool:
        return self.lookup is None

    @property
    def metadata_type(self) -> str:
        return f"Collection({self.target.odata_type})" if self.collection else self.target.odata_type


@dataclass(frozen=True)
class EntitySchema:
    """One API page: ``customers`` (table Customer), ``contacts`` (table Contact), or one their navigation reaches."""

    entity_set: str
    entity_type: str
    table: str
    fields: tuple[Field, ...]
    number_prefix: str = ""
    number_digits: int = 0
    required_on_create: tuple[str, ...] = ("displayName",)
    key: tuple[str, ...] = ("id",)
    navigation: tuple[Navigation, ...] = ()
    by_name: dict[str, Field] = field(init=False, repr=False, compare=False)
    navigation_by_name: dict[str, Navigation] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {f.name: f for f in self.fields})
        object.__setattr__(self, "navigation_by_name", {n.name: n for n in self.navigation})

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


_CONTACT_TYPES = ("Company", "Person")


def _read_only(name: str, kind: FieldKind, length: int | None = None, **extra: Any) -> Field:
    return Field(name, kind, length, read_only=True, **extra)


def _reference_table(entity_type: str, entity_set: str, table: str, *extra: Field) -> EntitySchema:
    """A table the customer only refers to (currency, payment terms …): the fake keeps none, so a lookup is empty."""
    return EntitySchema(
        entity_set,
        entity_type,
        table,
        (
            _read_only("id", "guid"),
            _read_only("code", "code", 10),
            _read_only("displayName", "text", 30 if entity_type == "currency" else 100),
            *extra,
            _read_only("lastModifiedDateTime", "datetime"),
        ),
    )


# What a customer's and a contact's navigation properties reach: the parts of Microsoft's API v2.0 pages (page
# numbers in docs/tenants.md), read-only here, with the values a fresh record has in a company without ledger entries.
_FINANCIAL_DETAIL = EntitySchema(
    "customerFinancialDetails",
    "customerFinancialDetail",
    "Customer",
    (
        _read_only("id", "guid"),
        _read_only("number", "code", 20),
        _read_only("balance", "decimal"),
        _read_only("totalSalesExcludingTax", "decimal"),
        _read_only("overdueAmount", "decimal"),
        _read_only("lastModifiedDateTime", "datetime"),
    ),
)
_PICTURE = EntitySchema(
    "pictures",
    "picture",
    "Picture Entity",
    (
        _read_only("id", "guid"),
        _read_only(
            "parentType",
            "enum",
            options=("Customer", "Item", "Vendor", "Employee", "Contact"),
            enum_type="pictureEntityParentType",
        ),
        _read_only("width", "integer"),
        _read_only("height", "integer"),
        _read_only("contentType", "text", 100),
        _read_only("pictureContent", "stream"),
    ),
)
_DEFAULT_DIMENSION = EntitySchema(
    "defaultDimensions",
    "defaultDimension",
    "Default Dimension",
    (
        _read_only("id", "guid"),
        _read_only(
            "parentType",
            "enum",
            options=(" ", "Customer", "Item", "Vendor", "Employee"),
            enum_type="defaultDimensionParentType",
        ),
        _read_only("parentId", "guid"),
        _read_only("dimensionId", "guid"),
        _read_only("dimensionCode", "code", 20),
        _read_only("dimensionValueId", "guid"),
        _read_only("dimensionValueCode", "code", 20),
        _read_only(
            "postingValidation",
            "enum",
            options=(" ", "Code Mandatory", "Same Code", "No Code"),
            enum_type="defaultDimensionValuePostingType",
        ),
        _read_only("lastModifiedDateTime", "datetime"),
    ),
)
_AGED_RECEIVABLE = EntitySchema(
    "agedAccountsReceivables",
    "agedAccountsReceivable",
    "Aged Report Entity",
    (
        _read_only("customerId", "guid"),
        _read_only("customerNumber", "code", 20),
        _read_only("name", "text", 100),
        _read_only("currencyCode", "code", 10),
        _read_only("balanceDue", "decimal"),
        _read_only("currentAmount", "decimal"),
        _read_only("period1Amount", "decimal"),
        _read_only("period2Amount", "decimal"),
        _read_only("period3Amount", "decimal"),
        _read_only("agedAsOfDate", "date"),
        _read_only("periodLengthFilter", "text", 10),
    ),
    key=("customerId",),
)
_CURRENCY = _reference_table(
    "currency",
    "currencies",
    "Currency",
    _read_only("symbol", "text", 10),
    _read_only("amountDecimalPlaces", "text", 5),
    _read_only("amountRoundingPrecision", "decimal"),
)
_PAYMENT_TERM = _reference_table(
    "paymentTerm",
    "paymentTerms",
    "Payment Terms",
    _read_only("dueDateCalculation", "text"),
    _read_only("discountDateCalculation", "text"),
    _read_only("discountPercent", "decimal"),
    _read_only("calculateDiscountOnCreditMemos", "boolean"),
)
_SHIPMENT_METHOD = _reference_table("shipmentMethod", "shipmentMethods", "Shipment Method")
_PAYMENT_METHOD = _reference_table("paymentMethod", "paymentMethods", "Payment Method")

CONTACT = EntitySchema(
    entity_set="contacts",
    entity_type="contact",
    table="Contact",
    number_prefix="CT",
    number_digits=6,
    fields=(
        Field("id", "guid", caption="SystemId", read_only=True, default=None),
        Field("number", "code", 20, "No."),
        Field("type", "enum", caption="Type", options=_CONTACT_TYPES, default="Company", enum_type="contactType"),
        Field("displayName", "text", 100, "Name"),
        Field("jobTitle", "text", 30, "Job Title"),
        Field("companyNumber", "code", 20, "Company No."),
        Field("companyName", "text", 100, "Company Name", read_only=True),
        Field(
            "contactBusinessRelation",
            "enum",
            caption="Contact Business Relation",
            read_only=True,
            options=(" ", "Customer", "Vendor", "Bank Account", "Employee", "None", "Other", "Multiple"),
            default="None",
            enum_type="contactBusinessRelation",
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
    navigation=(Navigation("picture", _PICTURE),),
)

_CONTACT_INFORMATION = EntitySchema(
    "contactsInformation",
    "contactInformation",
    "Contact Information Buffer",
    (
        _read_only("contactId", "guid"),
        _read_only("contactNumber", "code", 20),
        _read_only("contactName", "text", 100),
        _read_only("contactType", "enum", options=_CONTACT_TYPES, enum_type="contactType"),
        _read_only("relatedId", "guid"),
        _read_only(
            "relatedType",
            "enum",
            options=(" ", "Customer", "Vendor", "Bank Account", "Employee"),
            enum_type="contactBusinessRelationLinkToTable",
        ),
    ),
    key=("contactId",),
    navigation=(Navigation("contact", CONTACT),),
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
        Field(
            "type", "enum", caption="Contact Type", options=_CONTACT_TYPES, default="Company", enum_type="contactType"
        ),
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
        Field(
            "blocked",
            "enum",
            caption="Blocked",
            options=(" ", "Ship", "Invoice", "All"),
            default=" ",
            enum_type="customerBlocked",
        ),
        Field("lastModifiedDateTime", "datetime", caption="Last Modified Date Time", read_only=True, default=None),
    ),
    navigation=(
        Navigation("customerFinancialDetail", _FINANCIAL_DETAIL),
        Navigation("picture", _PICTURE),
        Navigation("defaultDimensions", _DEFAULT_DIMENSION, collection=True),
        Navigation("agedAccountsReceivable", _AGED_RECEIVABLE),
        Navigation("contactsInformation", _CONTACT_INFORMATION, collection=True),
        Navigation("currency", _CURRENCY, lookup=("currencyId", "id")),
        Navigation("paymentTerm", _PAYMENT_TERM, lookup=("paymentTermsId", "id")),
        Navigation("shipmentMethod", _SHIPMENT_METHOD, lookup=("shipmentMethodId", "id")),
        Navigation("paymentMethod", _PAYMENT_METHOD, lookup=("paymentMethodId", "id")),
    ),
)

ENTITIES: dict[str, EntitySchema] = {CUSTOMER.entity_set: CUSTOMER, CONTACT.entity_set: CONTACT}

COMPANY = EntitySchema(
    "companies",
    "company",
    "Company",
    (
        _read_only("id", "guid"),
        _read_only("systemVersion", "text"),
        _read_only("timestamp", "int64"),
        _read_only("name", "text", 30),
        _read_only("displayName", "text", 250),
        _read_only("businessProfileId", "text", 250),
        _read_only("systemCreatedAt", "datetime"),
        _read_only("systemCreatedBy", "guid"),
        _read_only("systemModifiedAt", "datetime"),
        _read_only("systemModifiedBy", "guid"),
    ),
    navigation=tuple(Navigation(schema.entity_set, schema, collection=True) for schema in ENTITIES.values()),
)
"""The read-only ``companies`` entity set; customers and contacts are contained in a company."""

COMPANY_FIELDS: tuple[str, ...] = tuple(spec.name for spec in COMPANY.fields)


def entity_types() -> list[EntitySchema]:
    """Every entity type the service declares, each once, from the companies down its navigation."""
    found: dict[str, EntitySchema] = {}
    pending = [COMPANY]
    while pending:
        schema = pending.pop(0)
        if schema.entity_type not in found:
            found[schema.entity_type] = schema
            pending.extend(navigation.target for navigation in schema.navigation)
    return list(found.values())


# What a checklist linter needs to know: the fields Business Central refuses to create a record without,
# keyed by the checklist's datatype names.
REQUIRED_ON_CREATE: dict[str, tuple[str, ...]] = {
    "Customers": CUSTOMER.required_on_create,
    "Contacts": CONTACT.required_on_create,
}
