"""What the systems require when a record is created (the linter's ``required_on_create``) and which properties they
have (its ``known_properties``).

The knowledge belongs to the tenant packages (Business Central's lives in :mod:`harness.businesscentral.schema`);
this module only re-keys it by (system, datatype) as a checklist names them, so the parser and the linter stay free
of vendor knowledge. The linter compares keys case- and space-insensitively.

Business Central's API rejects a customer or a contact POSTed without ``displayName`` ('A "displayName" must be
provided.'), while the CRMOffice -> Business Central checklist maps no name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from harness.businesscentral.schema import ENTITIES
from harness.businesscentral.schema import REQUIRED_ON_CREATE as BUSINESS_CENTRAL_REQUIRED
from harness.crmoffice.schema import ACTIVITY, COMPANY, CONTACT, Kind, Nested

__all__ = ["KNOWN_PROPERTIES", "REQUIRED_ON_CREATE"]

REQUIRED_ON_CREATE: Mapping[tuple[str, str], frozenset[str]] = MappingProxyType(
    {("Business Central", datatype): frozenset(fields) for datatype, fields in BUSINESS_CENTRAL_REQUIRED.items()}
)


def _crmoffice_properties(kind: Kind) -> frozenset[str]:
    """A kind's fields, and its nested parts by their dotted path (``postAddress.postCode``, ``company.id``), as
    checklists name them."""
    parts = {f"{name}.{part}" for name, rule in kind.fields.items() if isinstance(rule, Nested) for part in rule.parts}
    return frozenset(kind.field_names) | parts


KNOWN_PROPERTIES: Mapping[tuple[str, str], frozenset[str]] = MappingProxyType(
    {
        ("Business Central", "Customers"): frozenset(f.name for f in ENTITIES["customers"].fields),
        ("Business Central", "Contacts"): frozenset(f.name for f in ENTITIES["contacts"].fields),
        ("CRMOffice", "Companies"): _crmoffice_properties(COMPANY),
        ("CRMOffice", "Contacts"): _crmoffice_properties(CONTACT),
        ("CRMOffice", "Activities"): _crmoffice_properties(ACTIVITY),
    }
)
"""The properties of the datatypes the harness knows (Business Central's API pages, CRMOffice's assumed contract)."""
