"""The fake's fields against the public evidence: every CRMOffice property Sesam Talk's checklists name.

The properties are those of the 67 CRMOffice checklists in datanav/docs, branch ``systemtype-docs-test`` (commit
f57c77c0feadd81c9410f9ea9dee3317b0141ed3, folder ``technical/``); the branch's 5,660 earlier versions of those files
name no other. ``docs/tenants.md`` gives the files each comes from.
"""

from __future__ import annotations

import pytest

from harness.checklist.targets import KNOWN_PROPERTIES
from harness.crmoffice.schema import KINDS, READ_ONLY, Nested, Text

EVIDENCE = {
    "companies": [
        "id",
        "orgNr",
        "postAddress.country",
        "postAddress.postCode",
        "postAddress.postalArea",
        "postAddress.streetAddress",
        "visitAddress.country",
        "visitAddress.postCode",
        "visitAddress.postalArea",
        "visitAddress.streetAddress",
    ],
    "contacts": ["company.id", "directPhone", "familyName", "givenName", "mobilePhone"],
    "activities": ["address.country", "address.postalArea", "endsAt", "ownerId", "startsAt", "subject"],
}


def _is_field(resource: str, path: str) -> bool:
    fields = KINDS[resource].fields
    name, _, part = path.partition(".")
    rule = fields.get(name)
    if part:
        return isinstance(rule, Nested) and part in rule.parts
    return isinstance(rule, Text) or name in READ_ONLY


@pytest.mark.parametrize(("resource", "path"), [(r, p) for r, paths in EVIDENCE.items() for p in paths])
def test_every_property_the_checklists_name_is_a_field(resource: str, path: str) -> None:
    assert _is_field(resource, path), f"CRMOffice {resource}: the checklists name {path!r}, the fake has no such field"


def test_the_checklist_reader_knows_a_contacts_company_as_company_id() -> None:
    known = KNOWN_PROPERTIES[("CRMOffice", "Contacts")]
    assert "company.id" in known, f"expected company.id among the contact properties, got {sorted(known)}"
    assert "companyId" not in known, f"expected no companyId, which no checklist names, got {sorted(known)}"
