"""What a Sesam Talk dataflow needs to know about Business Central: datatypes, classifications, creation defaults.

A checklist names Business Central datatypes ("Customers", "Contacts") and classifications ("human data",
"organisation data", "classification data"); this module turns them into API entity sets, the ``type`` a created
record gets and the ``$filter`` that keeps a flow to its own records. Business Central refuses a record without
``displayName``, which no checklist maps, so a flow must supply it on create (and never sync it afterwards).
"""

from __future__ import annotations

from typing import Any

from harness.businesscentral.client import EntitySet
from harness.businesscentral.schema import ENTITIES

__all__ = ["classification_type", "creation_defaults", "entity_set_for", "scope_filter"]

_MAX_DISPLAY_NAME = ENTITIES["contacts"].by_name["displayName"].length or 100


def _normalise(text: str) -> str:
    return "".join(text.split()).casefold()


def entity_set_for(datatype: str) -> EntitySet:
    """``Customers`` → ``customers``; raises ValueError naming the datatype when Business Central has no such set."""
    key = _normalise(datatype)
    if key == "customers":
        return "customers"
    if key == "contacts":
        return "contacts"
    raise ValueError(f"Business Central has no entity set for the datatype {datatype!r}; known: Customers, Contacts")


def classification_type(classification: str | None, *, organisation: bool) -> str:
    """The ``type`` a record of this classification has: persons for "human data", companies for "organisation
    data"; "classification data" (the view that carries the classifier itself) follows the origin record."""
    key = _normalise(classification or "")
    if key in ("humandata", "person"):
        return "Person"
    if key in ("organisationdata", "organizationdata", "company"):
        return "Company"
    return "Company" if organisation else "Person"


def scope_filter(classification: str | None) -> str | None:
    """The ``$filter`` that keeps a flow to the records of its classification (None: every record is in scope)."""
    key = _normalise(classification or "")
    if key in ("humandata", "person"):
        return "type eq 'Person'"
    if key in ("organisationdata", "organizationdata", "company"):
        return "type eq 'Company'"
    return None


def creation_defaults(display_name: str, record_type: str) -> dict[str, Any]:
    """The properties Business Central needs to create the record, beyond what the checklist maps."""
    name = " ".join(display_name.split())[:_MAX_DISPLAY_NAME].strip()
    return {"displayName": name or "(no name)", "type": record_type}
