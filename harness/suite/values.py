"""Values for the checklist's property rows, chosen from what both tenants' schemas say about each property.

A row (``directPhone ↔ phoneNumber``, ``email ↔ email``, ``city ↔ city`` …) is filled with values both
tenants accept: the *kind* of value comes from Business Central's field (phone, e-mail, code, text; a text named like
a web address is a URL) and CRMOffice's rule for the property (its e-mail and organisation-number checks), the length
from the tighter of the two limits. Every value is realistic (Faker ``no_NO``) and drawn from the scenario's seeded
:class:`~harness.suite.data.NorwegianData`, so a run replays value for value.

Each row also knows a value CRMOffice accepts and Business Central refuses, when one exists (letters in a phone, an
e-mail address without a domain, a text longer than Business Central's limit), for the scenarios about refused values,
and how two of its values compare (phones by their digits, as people type them differently).

A row whose properties no generator knows (a property missing from a tenant's schema, or a pair of kinds no value
satisfies on both sides, such as a CRMOffice text against a Business Central boolean) is refused with
:class:`NoGenerator`, naming the row and where to add one: :data:`GENERATORS` below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from harness.businesscentral.schema import ENTITIES
from harness.businesscentral.schema import Field as BCField
from harness.crmoffice.schema import COMPANY, CONTACT, Kind, Text
from harness.suite.data import NorwegianData
from harness.sync.plan import FlowPlan, PropertyPair

__all__ = ["GENERATORS", "NoGenerator", "RowValues", "row_values", "values_by_property"]

_KINDS: Mapping[str, Kind] = {"companies": COMPANY, "contacts": CONTACT}
_URL_NAMES = re.compile(r"website|homepage|url", re.IGNORECASE)


class NoGenerator(ValueError):
    """No value generator knows a checklist row's properties; the message names the row and what to add."""


@dataclass(frozen=True)
class Generator:
    """How to make values of one kind: ``fresh(data, prop, max_length)`` a value both tenants accept;
    ``refused(data, prop, origin_max, target_max)`` one CRMOffice accepts and Business Central refuses (None when
    none exists); ``key(value)`` what makes two values the same to a user."""

    fresh: Callable[[NorwegianData, str, int], str]
    refused: Callable[[NorwegianData, str, int, int], str | None]
    key: Callable[[str], str] = str


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _longer_than_target(
    make: Callable[[NorwegianData, str, int], str], more: str = " og mer"
) -> Callable[[NorwegianData, str, int, int], str | None]:
    """A refused value for kinds Business Central only refuses by length: one character past its limit, made longer
    with ``more`` as needed, never ending in a space (a Gherkin table would trim it back under the limit)."""

    def refused(data: NorwegianData, prop: str, origin_max: int, target_max: int) -> str | None:
        if origin_max <= target_max:
            return None  # everything CRMOffice takes fits Business Central
        value = make(data, prop, origin_max)
        while len(value) <= target_max:
            value += more
        value = value[: target_max + 1]
        return value[:-1] + "e" if value[-1].isspace() else value

    return refused


GENERATORS: dict[str, Generator] = {
    "phone": Generator(
        fresh=lambda data, prop, _: data.phone_for(prop),
        # Business Central refuses letters in a phone; CRMOffice takes free text.
        refused=lambda data, prop, _o, _t: f"{data.phone_for(prop)} spør etter {data.person()['givenName']}",
        key=_digits,
    ),
    "email": Generator(
        fresh=lambda data, _, limit: data.email(data.person())[:limit],
        # CRMOffice wants one @ with text on both sides; Business Central a dot in the domain too.
        refused=lambda data, _p, _o, _t: data.email(data.person()).split("@")[0] + "@localhost",
        key=str.casefold,
    ),
    "url": Generator(
        fresh=lambda data, _, limit: data.website()[:limit],
        refused=_longer_than_target(lambda data, _, limit: data.website(), more="/om-oss/kontakt"),
    ),
    "text": Generator(
        fresh=lambda data, prop, limit: data.text_for(prop, limit),
        refused=_longer_than_target(lambda data, prop, limit: data.text_for(prop, limit)),
    ),
    "code": Generator(
        # Business Central upper-cases a Code on write; a value already upper-case reads back the same.
        fresh=lambda data, _, limit: data.code(limit),
        refused=_longer_than_target(lambda data, _, limit: data.code(limit)),
    ),
    "organisation number": Generator(
        fresh=lambda data, _p, _l: data.org_nr(),
        refused=lambda data, _p, _o, _t: None,
    ),
}


@dataclass(frozen=True)
class RowValues:
    """The values of one checklist row, for either of its properties."""

    pair: PropertyPair
    kind: str
    max_length: int  # what both tenants accept
    origin_max_length: int
    target_max_length: int

    def fresh(self, data: NorwegianData, prop: str | None = None) -> str:
        """A new value for the row, named for ``prop`` (either side's name; phones pick landline or mobile by it)."""
        return GENERATORS[self.kind].fresh(data, prop or self.pair.origin, self.max_length)

    def refused(self, data: NorwegianData) -> str | None:
        """A value CRMOffice accepts and Business Central refuses, or None when there is none."""
        generator = GENERATORS[self.kind]
        return generator.refused(data, self.pair.origin, self.origin_max_length, self.target_max_length)

    def key(self, value: str) -> str:
        return GENERATORS[self.kind].key(value)


def _origin_rule(plan: FlowPlan, pair: PropertyPair) -> Text:
    kind = _KINDS[plan.origin]
    rule = kind.fields.get(pair.origin)
    if not isinstance(rule, Text):
        known = ", ".join(name for name, r in kind.fields.items() if isinstance(r, Text))
        raise NoGenerator(
            f"checklist row {pair.origin} ↔ {pair.target} ({plan.heading}): CRMOffice {plan.origin} have no text "
            f"property {pair.origin!r} (they have {known})"
        )
    return rule


def _target_field(plan: FlowPlan, pair: PropertyPair) -> BCField:
    schema = ENTITIES[plan.target]
    spec = schema.by_name.get(pair.target)
    if spec is None or spec.read_only:
        known = ", ".join(f.name for f in schema.fields if not f.read_only)
        raise NoGenerator(
            f"checklist row {pair.origin} ↔ {pair.target} ({plan.heading}): Business Central {plan.target} have no "
            f"writable property {pair.target!r} (they have {known})"
        )
    return spec


def _kind(origin: Text, target: BCField) -> str | None:
    check = getattr(origin.check, "__name__", "")
    if target.kind == "phone":
        return "phone"
    if target.kind == "email" or check == "_email":
        return "email" if target.kind in ("email", "text") else None
    if check == "_org_nr":
        return "organisation number" if target.kind in ("text", "code") else None
    if check:
        return None  # a CRMOffice format no generator knows
    if target.kind == "code":
        return "code"
    if target.kind == "text":
        return "url" if _URL_NAMES.search(target.name) else "text"
    return None  # a boolean, number, date or option in Business Central against CRMOffice's free text


def row_values(plan: FlowPlan, pair: PropertyPair) -> RowValues:
    """The generator for a row; :class:`NoGenerator` naming the row when none knows it."""
    origin, target = _origin_rule(plan, pair), _target_field(plan, pair)
    kind = _kind(origin, target)
    if kind is None:
        raise NoGenerator(
            f"checklist row {pair.origin} ↔ {pair.target} ({plan.heading}): no value generator knows a CRMOffice "
            f"{'text' if origin.check is None else origin.check.__name__.strip('_') + ' text'} against a Business "
            f"Central {target.kind}; add one to GENERATORS in harness/suite/values.py and to _kind() beside it"
        )
    origin_max = origin.max_length or 250
    target_max = target.length or origin_max
    return RowValues(pair, kind, min(origin_max, target_max), origin_max, target_max)


def values_by_property(plan: FlowPlan) -> dict[str, RowValues]:
    """Every row of the flow, under both of its property names."""
    rows: dict[str, RowValues] = {}
    for pair in plan.pairs:
        values = row_values(plan, pair)
        rows[pair.origin] = rows[pair.target] = values
    return rows
