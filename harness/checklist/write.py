"""``Checklist`` -> reStructuredText, exactly as Sesam's generator laid it out.

Writing a parsed checklist back reproduces the original bytes of a current-format checklist: every one of the
1,152 checklists Sesam published (datanav/docs, branch ``systemtype-docs-test``; ``scripts/bench_checklists.py``
checks them) and every sample in the tests. That makes the writer a faithful source of synthetic checklists for
round-trip tests. What it normalises, by design, is only what reads the same: classifications are always written in
the current, parenthesised form ("Contacts person" -> "Contacts (person)"), "an" before a vowel as the generator's
"a", and each fixed sentence in the generator's spelling, on one line with its own spacing (a sentence that was
wrapped over lines, or spaced otherwise, reads as the same sentence; see ``harness.checklist.sentences``).
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.checklist.model import Checklist, Clause, Endpoint, Flow, MergeRow, PropertyRow, Template
from harness.checklist.sentences import render

__all__ = ["INTRODUCTION", "to_rst"]

INTRODUCTION = (
    "This technical document provides a detailed overview of the Sesam Talk data flow from {source} to {target}. "
    "It serves as a QA checklist for testing purposes and is the intellectual property of Sesam.io AS. The content "
    "contains confidential information regulated under an NDA agreement, and sharing or distributing it without "
    "written permission is prohibited."
)


def to_rst(checklist: Checklist, *, newline: str = "\n") -> str:
    """The checklist as Sesam wrote it; ``newline="\\r\\n"`` gives the CRLF files Sesam published."""
    rule = "=" * len(checklist.title)
    lines = [
        rule,
        checklist.title,
        rule,
        "",
        f"Generated: {checklist.generated:%Y-%m-%d %H:%M:%S}",
        "",
        "Introduction",
        "------------",
        "",
        INTRODUCTION.format(source=checklist.source_system, target=checklist.target_system),
    ]
    # A blank line opens each section and one closes its table, so a checklist without flows ends at the
    # Introduction's last line, as Sesam's do, and two blank lines part two flows.
    for flow in checklist.flows:
        lines.append("")
        lines.extend(_flow_lines(flow))
    return newline.join(lines) + newline


def _spelled(endpoint: Endpoint) -> str:
    """An endpoint as the generator wrote it: its system, a space and its datatype, even when the system is empty
    (" Inventory" under "Business Central to  Dataflow"), where ``Endpoint.label`` leaves the space out."""
    text = f"{endpoint.system} {endpoint.datatype}"
    return f"{text} ({endpoint.classification})" if endpoint.classification else text


def _flow_lines(flow: Flow) -> list[str]:
    source, target = _spelled(flow.source), _spelled(flow.target)
    heading = f"{source} to {target}"
    lines = [heading, "-" * len(heading)]
    if flow.template is Template.LINK_ONLY:
        lines += [render(Clause.LINK_REQUIRED, source=source, target=target), ""]
        if flow.created_when is not None:
            lines += [render(Clause.CREATED_WHEN, source=source, target=target, condition=flow.created_when), ""]
    elif flow.template is Template.CONDITIONAL:
        lines += [render(Clause.CONDITIONAL, source=source, target=target, condition=flow.condition or ""), ""]
    else:
        lines += [render(Clause.EVERY, source=source, target=target), ""]
    if flow.template is Template.MERGE_OR_CREATE or (flow.template is Template.CONDITIONAL and flow.merge):
        lines += [
            render(Clause.MERGE_IF_EXISTS, source=source, target=target),
            render(Clause.CREATE_IF_MISSING, source=source, target=target),
            "",
        ]
    if flow.template in (Template.MERGE_OR_CREATE, Template.LINK_ONLY) or flow.merge:
        lines += [render(Clause.MERGE_CRITERIA, source=source, target=target), ""]
        lines += _table([f"{source} Property", f"{target} Property"], [_merge_cells(row) for row in flow.merge])
        lines.append("")
    lines += [render(Clause.KEEP_IN_SYNC, source=source, target=target), ""]
    lines += [render(Clause.PROPERTIES, source=source, target=target), ""]
    header = [f"{source} Property", f"{target} Property", f"{flow.target.system} Data Type"]
    lines += _table(header, [_property_cells(row) for row in flow.properties])
    lines.append("")
    return lines


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = [".. list-table::", "   :header-rows: 1", ""]
    for cells in (header, *rows):
        lines.append(f"   * - {cells[0]}")
        lines.extend(f"     - {cell}" for cell in cells[1:])
    return lines


def _merge_cells(row: MergeRow) -> list[str]:
    return [row.source, row.target]


def _property_cells(row: PropertyRow) -> list[str]:
    return [
        _with_condition(row.source, row.source_condition),
        _with_condition(row.target, row.target_condition),
        row.type_text,
    ]


def _with_condition(name: str, condition: str | None) -> str:
    return name if condition is None else f"{name} ({condition})"
