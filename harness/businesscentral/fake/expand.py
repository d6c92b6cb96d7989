"""``$expand`` as Business Central's OData layer reads it: navigation properties, with options nested in parentheses.

``$expand=customerFinancialDetail,picture($select=width,height),defaultDimensions($top=5)``. Inside the parentheses
options are separated by ``;``: ``$select`` and ``$expand`` on any navigation property, and ``$filter``,
``$orderby``, ``$top`` and ``$skip`` on a collection (OData allows them on nothing else). Errors are the OData
layer's: an unknown name is "Could not find a property named …", a structural property is "… is not a navigation
property or complex property …".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from harness.businesscentral.fake.errors import BadRequest
from harness.businesscentral.fake.odata import Filter, OrderBy, parse_count, parse_filter, parse_orderby, parse_select
from harness.businesscentral.schema import EntitySchema, Navigation

__all__ = ["NAVIGATION_OPTIONS", "Expand", "expansion", "parse_expand"]

_COLLECTION_ONLY = ("$filter", "$orderby", "$top", "$skip")
NAVIGATION_OPTIONS = ("$select", "$expand", *_COLLECTION_ONLY)
"""The query options a navigation property takes, inside ``$expand`` or on its own URL."""


@dataclass(frozen=True)
class Expand:
    """One expanded navigation property and what its parentheses asked of it."""

    navigation: Navigation
    select: tuple[str, ...] | None = None
    expand: tuple[Expand, ...] = ()
    filter: Filter | None = None
    orderby: tuple[OrderBy, ...] = ()
    top: int | None = None
    skip: int = 0


def parse_expand(text: str, schema: EntitySchema) -> tuple[Expand, ...]:
    items = _split(text, ",", text)
    if not all(item.strip() for item in items):
        raise BadRequest(f"Syntax error in $expand '{text}': an empty item.")
    return tuple(_item(item.strip(), schema, text) for item in items)


def _item(item: str, schema: EntitySchema, whole: str) -> Expand:
    name, _, rest = item.partition("(")
    if rest and not rest.endswith(")"):
        raise BadRequest(f"Syntax error in $expand '{whole}': ')' expected after '{item}'.")
    return expansion(name.strip(), schema, _options(rest[:-1], whole) if rest else {})


def expansion(name: str, schema: EntitySchema, options: Mapping[str, str]) -> Expand:
    """The navigation property ``name`` of ``schema`` with its options (``{"$select": "id,number"}`` …) parsed."""
    navigation = _navigation(name, schema)
    target = navigation.target
    misplaced = [option for option in _COLLECTION_ONLY if option in options and not navigation.collection]
    if misplaced:
        raise BadRequest(
            f"The query option '{misplaced[0]}' is not allowed on the single-valued navigation property '{name}'."
        )
    return Expand(
        navigation=navigation,
        select=tuple(parse_select(options["$select"], target)) if "$select" in options else None,
        expand=parse_expand(options["$expand"], target) if "$expand" in options else (),
        filter=parse_filter(options["$filter"], target) if "$filter" in options else None,
        orderby=tuple(parse_orderby(options["$orderby"], target)) if "$orderby" in options else (),
        top=parse_count(options, "$top"),
        skip=parse_count(options, "$skip") or 0,
    )


def _navigation(name: str, schema: EntitySchema) -> Navigation:
    navigation = schema.navigation_by_name.get(name)
    if navigation is not None:
        return navigation
    if name in schema.by_name:
        raise BadRequest(
            f"Property '{name}' on type '{schema.odata_type}' is not a navigation property or complex property. "
            "Only navigation properties can be expanded."
        )
    raise BadRequest(f"Could not find a property named '{name}' on type '{schema.odata_type}'.")


def _options(text: str, whole: str) -> dict[str, str]:
    options: dict[str, str] = {}
    for part in _split(text, ";", whole):
        key, equals, value = part.strip().partition("=")
        if not equals or not value.strip():
            raise BadRequest(f"Syntax error in $expand '{whole}': '{part.strip()}' is no query option.")
        if key not in NAVIGATION_OPTIONS:
            raise BadRequest(f"The query option '{key}' is not supported inside $expand.")
        if key in options:
            raise BadRequest(f"The query option '{key}' is given twice inside $expand.")
        options[key] = value.strip()
    return options


def _split(text: str, separator: str, whole: str) -> list[str]:
    """``text`` cut at each ``separator`` outside parentheses and quoted strings."""
    parts: list[str] = []
    depth = 0
    quoted = False
    start = 0
    for index, char in enumerate(text):
        if char == "'":
            quoted = not quoted  # '' inside a string toggles twice: still inside
        elif quoted:
            continue
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise BadRequest(f"Syntax error in $expand '{whole}': unbalanced ')'.")
        elif char == separator and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    if depth or quoted:
        raise BadRequest(f"Syntax error in $expand '{whole}': unbalanced '(' or quote.")
    parts.append(text[start:])
    return parts
