"""The fixed sentences of a checklist section, for reading them and for writing them.

Sesam generated every section from the same handful of sentences with two slots, the source and target endpoint
(``CRMOffice Contacts``, ``Business Central Contacts (human data)``). One template per clause serves both ways:
``match_line`` recognises a line of a paragraph (the slots are filled with any text and read afterwards, so a
sentence naming the wrong systems is still recognised, and the linter can say so), ``render`` writes it.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from harness.checklist.model import Clause

__all__ = ["TEMPLATES", "SentenceMatch", "endpoint_slots", "match_line", "render", "table_header_subject"]

TEMPLATES: dict[Clause, str] = {
    Clause.EVERY: "Every {source} will be synchronized with a {target}.",
    Clause.CONDITIONAL: "When a {source} has {condition}, it will be synchronized with a {target}.",
    Clause.MERGE_IF_EXISTS: (
        "If a matching {target} already exists, the {source} will be merged with the existing one."
    ),
    Clause.CREATE_IF_MISSING: "If no matching {target} is found, a new {target} will be created.",
    Clause.LINK_REQUIRED: (
        "Before any synchronization can take place, a link between a {source} and a {target} must be established."
    ),
    Clause.CREATED_WHEN: "A new {target} will be created from a {source} if it is {condition}.",
    Clause.MERGE_CRITERIA: "A {source} will merge with a {target} if one of the following property combinations match:",
    Clause.KEEP_IN_SYNC: (
        "Once a link between a {source} and a {target} is established, it will keep in sync between the two "
        "systems, regardless of where it is edited."
    ),
    Clause.PROPERTIES: "The following properties are synchronized between a {source} and a {target}:",
}

_PROPERTY_HEADER_SUFFIX = " Property"
_DATA_TYPE_HEADER_SUFFIX = " Data Type"


@dataclass(frozen=True)
class SentenceMatch:
    """A recognised line: its clause and the raw text of its slots (``source``, ``target``, ``condition``)."""

    clause: Clause
    slots: dict[str, str]


def _compile(template: str) -> re.Pattern[str]:
    pattern: list[str] = []
    seen: set[str] = set()
    for literal, name, _, _ in string.Formatter().parse(template):
        escaped = re.escape(literal)
        # The generator always wrote "a", even before a vowel ("a Invoiced Customers"); accept "an" as well.
        escaped = re.sub(r"(^|(?<=\\ ))([aA])\\ $", r"\2n?\\ ", escaped)
        pattern.append(escaped)
        if name:
            pattern.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
    return re.compile("".join(pattern))


_PATTERNS = {clause: _compile(template) for clause, template in TEMPLATES.items()}


_BOTH_ENDPOINTS = frozenset({"source", "target"})


def endpoint_slots(clause: Clause) -> frozenset[str]:
    """Which endpoints a clause names: ``{"target"}`` for "If no matching <target> is found ...", else both."""
    if clause not in TEMPLATES:
        return _BOTH_ENDPOINTS  # the heading and the table headers name both
    names = {name for _, name, _, _ in string.Formatter().parse(TEMPLATES[clause]) if name}
    return frozenset(names & _BOTH_ENDPOINTS)


def match_line(line: str) -> SentenceMatch | None:
    """Recognise one line of a section paragraph, or None."""
    for clause, pattern in _PATTERNS.items():
        found = pattern.fullmatch(line)
        if found is not None:
            return SentenceMatch(clause, found.groupdict())
    return None


def render(clause: Clause, *, source: str = "", target: str = "", condition: str = "") -> str:
    """The sentence of ``clause`` with its slots filled, exactly as Sesam's generator wrote it."""
    return TEMPLATES[clause].format(source=source, target=target, condition=condition)


def table_header_subject(cell: str, data_type: bool = False) -> str | None:
    """``Business Central Contacts Property`` -> ``Business Central Contacts``; ``X Data Type`` with data_type."""
    suffix = _DATA_TYPE_HEADER_SUFFIX if data_type else _PROPERTY_HEADER_SUFFIX
    return cell[: -len(suffix)] if cell.endswith(suffix) else None
