"""Plain-text renderings for people: a checklist, lint findings, a diff."""

from __future__ import annotations

from harness.checklist.diff import ChecklistDiff, FlowChange
from harness.checklist.lint import Finding
from harness.checklist.model import Checklist, Flow, PropertyRow, Template

__all__ = ["render_checklist", "render_diff", "render_finding"]

_TEMPLATE_MEANING = {
    Template.EVERY: "every source record gets a target record, then the pair is kept in sync",
    Template.MERGE_OR_CREATE: "linked to a matching target record if one exists, otherwise one is created",
    Template.LINK_ONLY: "linked only to a matching target record; none is created",
    Template.CONDITIONAL: "as every, for the source records meeting the condition only",
}


def render_checklist(checklist: Checklist) -> str:
    lines = [
        checklist.title,
        f"  file: {checklist.path}",
        f"  generated: {checklist.generated:%Y-%m-%d %H:%M:%S}",
        f"  source system: {checklist.source_system}",
        f"  target system: {checklist.target_system}",
        f"  flows: {len(checklist.flows)}",
    ]
    for number, flow in enumerate(checklist.flows, start=1):
        lines.append("")
        lines.extend(_flow_lines(number, flow))
    return "\n".join(lines) + "\n"


def _flow_lines(number: int, flow: Flow) -> list[str]:
    lines = [
        f"{number}. {flow.label()}" + (f"  (line {flow.line})" if flow.line else ""),
        f"   template: {flow.template.value} ({_TEMPLATE_MEANING[flow.template]})",
    ]
    if flow.created_when:
        lines.append(f"   created when: {flow.created_when}")
    if flow.condition is not None:
        lines.append(f"   condition: {flow.condition}")
    if flow.merge or flow.template is not Template.EVERY:
        lines.append(f"   merge criteria ({len(flow.merge)}):" if flow.merge else "   merge criteria: none")
        lines.extend(f"     {row.source} = {row.target}" for row in flow.merge)
    if not flow.properties:
        lines.append("   properties: none")
        return lines
    lines.append(f"   properties ({len(flow.properties)}):")
    width = max(len(f"{row.source} -> {row.target}") for row in flow.properties)
    for row in flow.properties:
        lines.append(f"     {_row_text(row, width)}")
    return lines


def _row_text(row: PropertyRow, width: int = 0) -> str:
    text = f"{row.source} -> {row.target}".ljust(width)
    text += f"  [{row.type_name}]"
    if row.source_condition:
        text += f"  source if: {row.source_condition}"
    if row.target_condition:
        text += f"  target if: {row.target_condition}"
    return text


def render_finding(path: str, finding: Finding) -> str:
    """``path:line: severity: [code] message (section)`` in the style of compilers and linters."""
    where = path if finding.line is None else f"{path}:{finding.line}"
    section = f" [section {finding.section!r}]" if finding.section else ""
    return f"{where}: {finding.severity.value}: {finding.code}: {finding.message}{section}"


def render_diff(diff: ChecklistDiff) -> str:
    """``--- old``/``+++ new`` headers, then ``+`` added, ``-`` removed and ``~`` changed flows and rows."""
    lines = [
        f"--- {diff.old.path} (generated {diff.old.generated:%Y-%m-%d %H:%M:%S})",
        f"+++ {diff.new.path} (generated {diff.new.generated:%Y-%m-%d %H:%M:%S})",
    ]
    lines.extend(f"~ {change.field}: {change.old!r} -> {change.new!r}" for change in diff.fields)
    for flow in diff.removed:
        lines.append(f"- flow {flow.label()}")
        lines.extend(f"    - property {_row_text(row)}" for row in flow.properties)
    for flow in diff.added:
        lines.append(f"+ flow {flow.label()}")
        lines.extend(f"    + property {_row_text(row)}" for row in flow.properties)
    for change in diff.changed:
        lines.extend(_change_lines(change))
    if diff.is_empty:
        lines.append("no differences")
    return "\n".join(lines) + "\n"


def _change_lines(change: FlowChange) -> list[str]:
    lines = [f"~ flow {change.new.label()}"]
    lines.extend(f"    ~ {field.field}: {field.old!r} -> {field.new!r}" for field in change.fields)
    lines.extend(f"    - merge {row.source} = {row.target}" for row in change.merge_removed)
    lines.extend(f"    + merge {row.source} = {row.target}" for row in change.merge_added)
    lines.extend(f"    - property {_row_text(row)}" for row in change.properties_removed)
    lines.extend(f"    + property {_row_text(row)}" for row in change.properties_added)
    lines.extend(
        f"    ~ property {new.source} -> {new.target}: type {old.type_name!r} -> {new.type_name!r}"
        for old, new in change.properties_changed
    )
    return lines
