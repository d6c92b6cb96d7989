"""What target systems require when a record is created, for the linter's ``required_on_create``.

The knowledge belongs to the tenant packages (Business Central's lives in :mod:`harness.businesscentral.schema`);
this module only re-keys it by (system, datatype) as a checklist names them, so the parser and the linter stay free
of vendor knowledge. The linter compares keys case- and space-insensitively.

Business Central's API rejects a customer or a contact POSTed without ``displayName`` ('A "displayName" must be
provided.'), while the CRMOffice -> Business Central checklist maps no name.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from harness.businesscentral.schema import REQUIRED_ON_CREATE as BUSINESS_CENTRAL_REQUIRED

__all__ = ["REQUIRED_ON_CREATE"]

REQUIRED_ON_CREATE: Mapping[tuple[str, str], frozenset[str]] = MappingProxyType(
    {("Business Central", datatype): frozenset(fields) for datatype, fields in BUSINESS_CENTRAL_REQUIRED.items()}
)
