"""Values for the checklist's property rows, chosen from what both tenants' schemas say about each property.

A row (``directPhone ↔ phoneNumber``, ``email ↔ email``, ``city ↔ city`` …) is filled with values both tenants
accept: the *kind* of value comes from Business Central's field (phone, e-mail, code, option, text; a text named like
a web address is a URL) and CRMOffice's rule for the property (its e-mail and organisation-number checks), the length
from the tighter of the two limits, an option field's values from its options. Every value is realistic (Faker
``no_NO``) and drawn from the scenario's seeded :class:`~harness.testdata.norwegian.NorwegianData`, so a run replays
value for value.

Each row also knows a value CRMOffice accepts and Business Central refuses, when one exists (letters in a phone, an
e-mail address without a domain, a text longer than Business Central's limit, a word that is no option), for the
scenarios about refused values, and how two of its values compare (phones by their digits, as people type them).

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
from harness.sync.plan import FlowPlan, PropertyPair
from harness.testdata.norwegian import NorwegianData

__all__ = ["GENERATORS", "NoGenerator", "RowValues", "row_values", "values_by_property"]

_KINDS: Mapping[str, Kind] = {"companies": COMPANY, "contacts": CONTACT}
_URL_NAMES = re.compile(r"website|homepage|url", re.IGNORECASE)


class NoGenerator(ValueError):
    """No value generator knows a checklist row's properties; the message names the row and what to add."""


@dataclass(frozen=True)
class RowValues:
    """The values of one checklist row, for either of its properties."""

    pair: PropertyPair
    kind: str
    max_length: int  # what both tenants accept
    origin_max_length: int
    target_max_length: int
    options: tuple[str, ...] = ()  # Business Central's, for an option field

    def fresh(self, data: NorwegianData, prop: str | None = None) -> str:
        """A new value for the row, named for ``prop`` (either side's name; phones pick landline or mobile by it)."""
        return GENERATORS[self.kind].fresh(data, prop or self.pair.origin, self)

    def refused(self, data: NorwegianData) -> str | None:
        """A value CRMOffice accepts and Business Central refuses, or None when there is none."""
        return GENERATORS[self.kind].refused(data, self)

    def key(self, value: str) -> str:
        """What makes two values the same to a user (a phone's digits, an address without case)."""
        return GENERATORS[self.kind].key(value)


@dataclass(frozen=True)
class Generator:
    """How to make values of one kind: ``fresh(data, prop, row)`` a value both tenants accept; ``refused(data, row)``
    one CRMOffice accepts and Business Central refuses (None when none exists); ``key(value)`` what makes two values
    the same to a user."""

    fresh: Callable[[NorwegianData, str, RowValues], str]
    refused: Callable[[NorwegianData, RowValues], str | None]
    key: Callable[[str], str] = str


def _digits(value: str) -> str:
    return "".join(ch for ch in value if ch.isdigit())


def _longer_than_target(
    make: Callable[[NorwegianData, str, int], str], more: str = " og mer"
) -> Callable[[NorwegianData, RowValues], str | None]:
    """A refused value for kinds Business Central only refuses by length: one character past its limit, made longer
    with ``more`` as needed, never ending in a space (a Gherkin table would trim it back under the limit)."""

    def refused(data: NorwegianData, row: RowValues) -> str | None:
        if row.origin_max_length <= row.target_max_length:
            return None  # everything CRMOffice takes fits Business Central
        value = make(data, row.pair.origin, row.origin_max_length)
        while len(value) <= row.target_max_length:
            value += more
        value = value[: row.target_max_length + 1]
        return value[:-1] + "e" if value[-1].isspace() else value

    return refused


def _not_an_option(data: NorwegianData, row: RowValues) -> str | None:
    value = "Ukjent"
    while value in row.options:
        value += "?"
    return value if len(value) <= row.origin_max_length else None


GENERATORS: dict[str, Generator] = {
    "phone": Generator(
        fresh=lambda data, prop, _: data.phone_for(prop),
        # Business Central refuses letters in a phone; CRMOffice takes free text.
        refused=lambda data, row: f"{data.phone_for(row.pair.origin)} spør etter {data.person()['givenName']}",
        key=_digits,
    ),
    "email": Generator(
        fresh=lambda data, _, row: data.email(data.person())[: row.max_length],
        # CRMOffice wants one @ with text on both sides; Business Central a dot in the domain too.
        refused=lambda data, _: data.email(data.person()).split("@")[0] + "@localhost",
        key=str.casefold,
    ),
    "url": Generator(
        fresh=lambda data, _, row: data.website()[: row.max_length],
        refused=_longer_than_target(lambda data, _, limit: data.website(), more="/om-oss/kontakt"),
    ),
    "text": Generator(
        fresh=lambda data, prop, row: data.text_for(prop, row.max_length),
        refused=_longer_than_target(lambda data, prop, limit: data.text_for(prop, limit)),
    ),
    "code": Generator(
        # Business Central upper-cases a Code on write; a value already upper-case reads back the same.
        fresh=lambda data, _, row: data.code(row.max_length),
        refused=_longer_than_target(lambda data, _, limit: data.code(limit)),
    ),
    "option": Generator(
        # An option field takes one of its options, spelt as Business Central spells it; CRMOffice keeps the text.
        fresh=lambda data, _, row: data.choice([o for o in row.options if o.strip()]),
        refused=_not_an_option,
    ),
    "organisation number": Generator(
        fresh=lambda data, _p, _r: data.org_nr(),
        refused=lambda data, _: None,
    ),
}


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
    if target.kind == "enum":
        return "option"
    if target.kind == "text":
        return "url" if _URL_NAMES.search(target.name) else "text"
    # A boolean, number or date in Business Central against CRMOffice's free text: the reference sync copies values
    # as they are (JSON string against JSON boolean or number), so no value suits both.
    return None


def row_values(plan: FlowPlan, pair: PropertyPair) -> RowValues:
    """The generator for a row; :class:`NoGenerator` naming the row when none knows it."""
    origin, target = _origin_rule(plan, pair), _target_field(plan, pair)
    kind = _kind(origin, target)
    if kind is None:
        raise NoGenerator(
            f"checklist row {pair.origin} ↔ {pair.target} ({plan.heading}): no value generator knows a CRMOffice "
            f"{'text' if origin.check is None else origin.check.__name__.strip('_') + ' text'} against a Business "
            f"Central {target.kind}; add one to GENERATORS in harness/testdata/values.py and to _kind() beside it"
        )
    origin_max = origin.max_length or 250
    target_max = target.length or origin_max
    return RowValues(pair, kind, min(origin_max, target_max), origin_max, target_max, target.options)


def values_by_property(plan: FlowPlan) -> dict[str, RowValues]:
    """Every row of the flow, under both of its property names."""
    rows: dict[str, RowValues] = {}
    for pair in plan.pairs:
        values = row_values(plan, pair)
        rows[pair.origin] = rows[pair.target] = values
    return rows
