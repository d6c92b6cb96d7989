"""What a scenario talks about: "the contact", "the company", and what the steps did to it.

Steps pass a :class:`Subject` along through fixtures: the CRMOffice record, its Business Central counterpart once
linked, the records as both sides held them before the When-steps (the baseline "nothing else changed" is judged
against), and the values the When-steps wrote (what "the new directPhone" refers to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.businesscentral.client import EntitySet
from harness.crmoffice.client import Resource

__all__ = ["NOUNS", "Noun", "Subject", "noun"]


@dataclass(frozen=True)
class Noun:
    """How the features name a record: CRMOffice's word, Business Central's word, and where each lives."""

    crmoffice: str
    businesscentral: str
    origin: Resource
    target: EntitySet


NOUNS = (
    Noun("contact", "contact", "contacts", "contacts"),
    Noun("company", "customer", "companies", "customers"),
)


def noun(word: str) -> Noun:
    """``contact`` / ``company`` / ``customer`` (either side's word) → the :class:`Noun`."""
    for item in NOUNS:
        if word in (item.crmoffice, item.businesscentral):
            return item
    known = sorted({w for item in NOUNS for w in (item.crmoffice, item.businesscentral)})
    raise ValueError(f"no record is called {word!r} in this dataflow; known: {', '.join(known)}")


@dataclass(repr=False)
class Subject:
    kind: Noun
    crm_id: str
    name: str
    """The display name the counterpart was created with (rule 2)."""
    bc_id: str | None = None
    baseline: dict[str, dict[str, Any]] = field(default_factory=dict)
    """``{"crmoffice": record, "businesscentral": record}`` as they were before the When-steps."""
    new: dict[str, Any] = field(default_factory=dict)
    """Property → the value a When-step wrote, on whichever side that property lives."""
    created: dict[str, Any] = field(default_factory=dict)
    """What the record was created with (CRMOffice fields, or Business Central fields for a BC-only record)."""

    def __repr__(self) -> str:
        return f"<{self.describe()}>"

    def written(self, prop: str) -> Any:
        """The value a step wrote to ``prop``. A planned edit that never happened (a user's edit waiting for a sync
        write that never came) is the product's doing, so it fails as an assertion, never as a KeyError."""
        if prop not in self.new:
            done = ", ".join(sorted(self.new)) or "none"
            raise AssertionError(
                f"expected a value written to {prop} by this scenario's steps, none was (written: {done}): an edit "
                f"planned for a moment in the sync never happened — {self.describe()}"
            )
        return self.new[prop]

    def describe(self) -> str:
        ids = f"CRMOffice id {self.crm_id}" if self.crm_id else "no CRMOffice record"
        if self.bc_id:
            ids += f", Business Central id {self.bc_id}"
        return f"{self.kind.crmoffice} {self.name!r} ({ids})"
