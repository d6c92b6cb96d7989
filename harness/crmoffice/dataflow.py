"""What a Sesam Talk dataflow needs to know about CRMOffice: datatypes, record kinds and display names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.crmoffice.client import Resource

__all__ = ["display_name", "is_organisation", "resource_for"]


def resource_for(datatype: str) -> Resource:
    key = "".join(datatype.split()).casefold()
    if key == "companies":
        return "companies"
    if key == "contacts":
        return "contacts"
    raise ValueError(f"CRMOffice has no resource for the datatype {datatype!r}; known: Companies, Contacts")


def is_organisation(resource: Resource) -> bool:
    return resource == "companies"


def display_name(resource: Resource, record: Mapping[str, Any]) -> str:
    """A company's ``name``; a contact's ``givenName familyName``."""
    if resource == "companies":
        return str(record.get("name") or "").strip()
    parts = [str(record.get(key) or "").strip() for key in ("givenName", "familyName")]
    return " ".join(part for part in parts if part)
