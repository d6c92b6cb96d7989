"""What target systems require when a record is created, for the linter's ``required_on_create``.

Interim home: this knowledge belongs to the tenant packages and will be supplied by ``harness.businesscentral``
once that package exposes it; until then it is written down here, kept apart from the parser and the linter,
which know no vendor. Keys are (system, datatype) as a checklist names them; the linter compares them case- and
space-insensitively.

Business Central's API rejects a customer or a contact POSTed without ``displayName`` ('A "displayName" must be
provided.'), while the CRMOffice -> Business Central checklist maps no name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["REQUIRED_ON_CREATE"]

REQUIRED_ON_CREATE: Mapping[tuple[str, str], frozenset[str]] = MappingProxyType(
    {
        ("Business Central", "Customers"): frozenset({"displayName"}),
        ("Business Central", "Contacts"): frozenset({"displayName"}),
    }
)
