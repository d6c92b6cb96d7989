"""Findings about a parsed checklist: what QA should know before signing against it.

Severities: ``error`` = the checklist cannot be carried out as written, or contradicts itself; ``warning`` = it can,
but something is missing, repeated or unreadable; ``info`` = worth knowing, harmless. Each finding names the
section (the flow's heading, or None for the whole document) and the line.

Codes: ``heading-mismatch``, ``contradictory-template``, ``no-merge-criteria`` (error for link-only, warning for
merge-or-create), ``unknown-type``, ``unknown-property``, ``empty-name``, ``empty-system`` (errors);
``required-field-unmapped`` (the sync must supply a creation default), ``empty-properties``, ``duplicate-row``,
``target-mapped-twice``, ``duplicate-flow``, ``no-flows``, ``unrecognised-text``, ``rst-warning`` (warnings);
``system-spelling`` (info).

Knowledge about the systems is not the linter's: which fields a target requires when a record is created is passed
in as ``required_on_create``, and which properties a system's datatype has as ``known_properties`` (a row naming one
it does not have is an ``unknown-property`` error listing the ones it has; systems not given are not checked); both
keyed by (system, datatype) and compared case- and space-insensitively.
"""

from __future__ import annotations

import enum
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

from harness.checklist.model import Checklist, DataType, Flow, Mention, Template, normalise_name
from harness.checklist.sentences import endpoint_slots

__all__ = ["Finding", "KnownProperties", "RequiredOnCreate", "Severity", "lint"]

RequiredOnCreate = Mapping[tuple[str, str], Collection[str]]
"""Target fields that must be given when a record is created, per (system, datatype)."""

KnownProperties = Mapping[tuple[str, str], Collection[str]]
"""The properties a system's datatype has (those a sync may read or write), per (system, datatype)."""


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    section: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "section": self.section,
            "line": self.line,
        }


def lint(
    checklist: Checklist,
    *,
    required_on_create: RequiredOnCreate | None = None,
    known_properties: KnownProperties | None = None,
) -> tuple[Finding, ...]:
    """All findings, in document order."""
    required = _by_key(required_on_create)
    known = _by_key(known_properties)
    findings = list(_document_findings(checklist))
    for flow in checklist.flows:
        findings.extend(_flow_findings(flow, required))
        findings.extend(_property_findings(flow, known))
    return tuple(sorted(findings, key=lambda finding: finding.line or 0))


def _by_key(fields: Mapping[tuple[str, str], Collection[str]] | None) -> dict[tuple[str, str], frozenset[str]]:
    return {
        (normalise_name(system), normalise_name(datatype)): frozenset(names)
        for (system, datatype), names in (fields or {}).items()
    }


def _property_findings(flow: Flow, known: Mapping[tuple[str, str], frozenset[str]]) -> Iterator[Finding]:
    for row in flow.properties:
        for endpoint, name in ((flow.source, row.source), (flow.target, row.target)):
            names = known.get(endpoint.key())
            if names is None or not name or name in names:
                continue
            yield Finding(
                Severity.ERROR,
                "unknown-property",
                f"{row.source} -> {row.target}: {endpoint.system} {endpoint.datatype} have no property {name!r}; "
                f"they have {', '.join(sorted(names, key=str.casefold))}",
                flow.heading,
                row.line,
            )


# -- the whole document ----------------------------------------------------------------------------------------


def _document_findings(checklist: Checklist) -> Iterator[Finding]:
    for side, system in (("source", checklist.source_system), ("target", checklist.target_system)):
        if not system:
            yield Finding(
                Severity.ERROR,
                "empty-system",
                f"the title {checklist.title!r} names no {side} system",
                line=1,
            )
    if not checklist.flows:
        yield Finding(Severity.WARNING, "no-flows", "the checklist has no entity-flow section", line=1)
    for note in checklist.notes:
        yield Finding(Severity.WARNING, note.code, note.message, line=note.line)
    yield from _spelling_findings(checklist)
    yield from _duplicate_flow_findings(checklist)


def _spelling_findings(checklist: Checklist) -> Iterator[Finding]:
    reported: set[str] = set()
    for flow in checklist.flows:
        for endpoint, title_system in ((flow.source, checklist.source_system), (flow.target, checklist.target_system)):
            if endpoint.system != title_system and endpoint.system not in reported:
                reported.add(endpoint.system)
                yield Finding(
                    Severity.INFO,
                    "system-spelling",
                    f"the section spells the system {endpoint.system!r}, the title {title_system!r}",
                    flow.heading,
                    flow.line,
                )


def _duplicate_flow_findings(checklist: Checklist) -> Iterator[Finding]:
    seen: dict[tuple[str, ...], Flow] = {}
    for flow in checklist.flows:
        identity = (
            *flow.key(),
            normalise_name(flow.source.classification or ""),
            normalise_name(flow.target.classification or ""),
        )
        first = seen.setdefault(identity, flow)
        if first is not flow:
            same = "with the same rows" if first == flow else "with different rows"
            yield Finding(
                Severity.WARNING,
                "duplicate-flow",
                f"the flow {flow.label()!r} appears again ({same}); first at line {first.line}",
                flow.heading,
                flow.line,
            )


# -- one flow --------------------------------------------------------------------------------------------------


def _flow_findings(flow: Flow, required: Mapping[tuple[str, str], frozenset[str]]) -> Iterator[Finding]:
    yield from _heading_findings(flow)
    yield from _template_findings(flow)
    if not flow.properties:
        yield Finding(
            Severity.WARNING,
            "empty-properties",
            "the property table has no rows: once linked, nothing is kept in sync",
            flow.heading,
            flow.line,
        )
    yield from _required_field_findings(flow, required)
    yield from _row_findings(flow)
    for note in flow.notes:
        yield Finding(Severity.WARNING, note.code, note.message, flow.heading, note.line)


def _heading_findings(flow: Flow) -> Iterator[Finding]:
    disagreeing = [mention for mention in flow.mentions if not _agrees(mention, flow)]
    if not disagreeing:
        return
    first = disagreeing[0]
    more = f" (and {len(disagreeing) - 1} more)" if len(disagreeing) > 1 else ""
    yield Finding(
        Severity.ERROR,
        "heading-mismatch",
        f"the section's heading and text name different flows: the flow reads as {flow.label()!r}, but line "
        f"{first.line} ({first.clause.value}) says {first.text!r}{more}",
        flow.heading,
        first.line,
    )


def _agrees(mention: Mention, flow: Flow) -> bool:
    slots = endpoint_slots(mention.clause)
    for side, endpoint, expected in (("source", mention.source, flow.source), ("target", mention.target, flow.target)):
        if side in slots and (endpoint is None or not endpoint.same_as(expected)):
            return False
    return True


_TEMPLATE_CLAUSES = {
    "every": "'Every ... will be synchronized' (insert)",
    "conditional": "'<condition>, it will be synchronized' (insert on a condition)",
    "link-required": "'Before any synchronization can take place, a link ... must be established' (link only)",
}


def _template_findings(flow: Flow) -> Iterator[Finding]:
    clauses = {mention.clause.value for mention in flow.mentions}
    said = [sentence for clause, sentence in _TEMPLATE_CLAUSES.items() if clause in clauses]
    if len(said) > 1:
        yield Finding(
            Severity.ERROR,
            "contradictory-template",
            f"the section says both {said[0]} and {said[1]}",
            flow.heading,
            flow.line,
        )
    if flow.template is Template.CONDITIONAL:
        yield Finding(
            Severity.INFO,
            "conditional-flow",
            f"the flow syncs only the {flow.source.label()} records its condition selects ({flow.condition!r}); the "
            "others are never synchronized",
            flow.heading,
            flow.line,
        )
    if flow.template is Template.LINK_ONLY and not flow.merge:
        yield Finding(
            Severity.ERROR,
            "no-merge-criteria",
            "link-only flow without merge criteria: no record can ever be linked, so nothing syncs",
            flow.heading,
            flow.line,
        )
    elif flow.template is Template.MERGE_OR_CREATE and not flow.merge:
        yield Finding(
            Severity.WARNING,
            "no-merge-criteria",
            "merge-or-create flow without merge criteria: nothing can match, every record is inserted",
            flow.heading,
            flow.line,
        )


def _creates_records(flow: Flow) -> bool:
    return flow.template is not Template.LINK_ONLY or flow.created_when is not None


def _required_field_findings(flow: Flow, required: Mapping[tuple[str, str], frozenset[str]]) -> Iterator[Finding]:
    fields = required.get(flow.target.key(), frozenset())
    if not fields or not _creates_records(flow):
        return
    mapped = {row.target for row in flow.properties}
    for name in sorted(fields - mapped):
        # A warning, not an error: the flow can be carried out when the sync supplies the field as a creation
        # default (as Sesam Talk does with displayName), but QA must see that the checklist does not say so.
        yield Finding(
            Severity.WARNING,
            "required-field-unmapped",
            f"{flow.target.system} requires {name!r} to create a {flow.target.datatype} record, but no row maps "
            f"it: the sync must supply it as a creation default",
            flow.heading,
            flow.line,
        )


def _row_findings(flow: Flow) -> Iterator[Finding]:
    for row in flow.properties:
        if not row.source or not row.target:
            yield Finding(
                Severity.ERROR,
                "empty-name",
                f"a row with an empty {'source' if not row.source else 'target'} property: "
                f"{row.source!r} -> {row.target!r}",
                flow.heading,
                row.line,
            )
        if row.type is DataType.UNKNOWN:
            yield Finding(
                Severity.ERROR,
                "unknown-type",
                f'{row.source} -> {row.target}: unknown data type {row.type_text!r}; expected "string", '
                f'"integer", "float", "boolean" or N/A',
                flow.heading,
                row.line,
            )
    counts = Counter(row.key() for row in flow.properties)
    first_line: dict[tuple[str, str, str | None, str | None], int | None] = {}
    for row in flow.properties:
        first_line.setdefault(row.key(), row.line)
    for row in flow.properties:
        if counts[row.key()] > 1 and row.line != first_line[row.key()]:
            yield Finding(
                Severity.WARNING,
                "duplicate-row",
                f"the row {row.source} -> {row.target} is listed again (first at line {first_line[row.key()]})",
                flow.heading,
                row.line,
            )
    yield from _fan_in_findings(flow)
    merge_counts = Counter((row.source, row.target) for row in flow.merge)
    for (source, target), count in merge_counts.items():
        if count > 1:
            yield Finding(
                Severity.WARNING,
                "duplicate-row",
                f"the merge row {source} = {target} is listed {count} times",
                flow.heading,
                flow.line,
            )


def _fan_in_findings(flow: Flow) -> Iterator[Finding]:
    sources: dict[tuple[str, str | None], list[str]] = defaultdict(list)
    lines: dict[tuple[str, str | None], int | None] = {}
    for row in flow.properties:
        written = (row.target, row.target_condition)
        if row.source not in sources[written]:
            sources[written].append(row.source)
        lines.setdefault(written, row.line)
    for written, names in sources.items():
        if len(names) > 1:
            target, condition = written
            where = f" ({condition})" if condition else ""
            yield Finding(
                Severity.WARNING,
                "target-mapped-twice",
                f"the target property {target}{where} is mapped from {len(names)} source properties "
                f"({', '.join(names)}): which value wins is undefined",
                flow.heading,
                lines[written],
            )
