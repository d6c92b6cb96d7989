"""The Examples rows a regenerated checklist needs, written into the features.

For every checklist row missing from a row outline of its section and direction (see
:mod:`harness.traceability.coverage`), the row is appended to that outline's Examples table, in place: the table is
re-aligned as it was (same indent, cells padded to the widest), nothing else in the file changes. A column besides the
two property columns is filled from the row's value generator when it has one (``refused value``: a value CRMOffice
accepts and Business Central refuses); otherwise the scaffold refuses.

It refuses, changing nothing in any file, when a section has rows but no row outline in a direction (it names the
outlines the section needs, for an engineer to write), when a row has no value generator, or when a column cannot be
filled. ``harness checklist scaffold CHECKLIST`` (:mod:`harness.commands.scaffold`) runs it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.checklist import Checklist
from harness.sync.plan import PlanError, plan_dataflow
from harness.testdata.norwegian import NorwegianData
from harness.testdata.values import NoGenerator, RowValues, row_values
from harness.traceability.contract import DIRECTIONS, ORIGIN_COLUMN, ROW_OUTLINES, TARGET_COLUMN, section_slug
from harness.traceability.coverage import ExamplesTable, read_features, row_tables

__all__ = ["Addition", "ScaffoldRefused", "plan_additions", "write_additions"]

SEED = 13
"""The seed of the values the scaffold writes (refused values), so that running it twice writes the same."""

FILLERS: Mapping[str, Callable[[RowValues, NorwegianData], str | None]] = {
    "refused value": lambda row, data: row.refused(data),
}
"""Examples columns besides the two properties that the scaffold knows how to fill, by column name."""

_CELL_SPLIT = re.compile(r"(?<!\\)\|")


class ScaffoldRefused(ValueError):
    """The scaffold cannot add what is missing by itself; the message says what an engineer must write."""


@dataclass(frozen=True)
class Addition:
    """A row to append to one Examples table."""

    table: ExamplesTable
    cells: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.table.where}: added | {' | '.join(self.cells)} |"


def plan_additions(checklist: Checklist, features: Path, root: Path) -> list[Addition]:
    """What to add, or :class:`ScaffoldRefused` listing everything the scaffold cannot do (nothing is added then)."""
    scenarios, _ = read_features(features, root=root)
    tables = row_tables(scenarios)
    try:
        plans = plan_dataflow(checklist)
    except PlanError as exc:
        raise ScaffoldRefused(str(exc)) from None
    data = NorwegianData(SEED)
    additions: list[Addition] = []
    refusals: list[str] = []
    for flow, plan in zip(checklist.flows, plans, strict=True):
        slug = section_slug(flow)
        for pair in plan.pairs:
            try:
                values = row_values(plan, pair)
            except NoGenerator as exc:
                refusals.append(str(exc))
                continue
            for direction in DIRECTIONS:
                outlines = tables.get((slug, direction), [])
                if not outlines:
                    refusals.append(
                        f"section {plan.heading!r} has rows but no scenario outline proving rows @{direction}; write "
                        f"them first (@checklist:{slug}, Examples columns | {ORIGIN_COLUMN} | {TARGET_COLUMN} |): "
                        + "; ".join(ROW_OUTLINES[direction])
                    )
                    continue
                for table in outlines:
                    if (pair.origin, pair.target) in table.rows:
                        continue
                    try:
                        additions.append(Addition(table, _cells(table, pair.origin, pair.target, values, data)))
                    except ScaffoldRefused as exc:
                        refusals.append(str(exc))
    if refusals:
        unique = list(dict.fromkeys(refusals))
        raise ScaffoldRefused("nothing was changed:\n" + "\n".join(f"  - {r}" for r in unique))
    return additions


def _cells(table: ExamplesTable, origin: str, target: str, values: RowValues, data: NorwegianData) -> tuple[str, ...]:
    def other(column: str) -> str:
        filler = FILLERS.get(column.casefold())
        if filler is None:
            raise ScaffoldRefused(
                f"{table.where}: the scaffold cannot fill column {column!r} for {origin} ↔ {target} (it fills "
                f"{', '.join(FILLERS) or 'none'}); add the row by hand"
            )
        value = filler(values, data)
        if value is None:
            raise ScaffoldRefused(
                f"{table.where}: no value fills column {column!r} for {origin} ↔ {target} (a {values.kind}: "
                "Business Central accepts every value CRMOffice does); write that row by hand"
            )
        return value.replace("|", "\\|")

    return table.cells(origin, target, other)


def write_additions(additions: Sequence[Addition], root: Path) -> list[str]:
    """Append the rows to their tables, re-aligning each table it touches; returns what it did, one line each."""
    by_file: dict[str, list[Addition]] = {}
    for addition in additions:
        by_file.setdefault(addition.table.path, []).append(addition)
    done: list[str] = []
    for path, file_additions in by_file.items():
        target = root / path
        lines = target.read_text(encoding="utf-8").splitlines(keepends=True)
        # From the bottom up, so the line numbers of the tables above stay right.
        for line in sorted({a.table.line for a in file_additions}, reverse=True):
            rows = [a.cells for a in file_additions if a.table.line == line]
            lines = _extend_table(lines, line, rows)
        target.write_text("".join(lines), encoding="utf-8")
        done += [a.describe() for a in file_additions]
    return done


def _extend_table(lines: list[str], examples_line: int, rows: list[tuple[str, ...]]) -> list[str]:
    start = examples_line  # 0-based index of the line after "Examples:"
    while start < len(lines) and not lines[start].lstrip().startswith("|"):
        start += 1
    end = start
    while end < len(lines) and lines[end].lstrip().startswith("|"):
        end += 1
    indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
    newline = "\r\n" if lines[start].endswith("\r\n") else "\n"
    table = [_split(line) for line in lines[start:end]] + [list(row) for row in rows]
    widths = [max(len(cells[i]) for cells in table if i < len(cells)) for i in range(len(table[0]))]
    rendered = [
        indent + "| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)) + " |" + newline
        for cells in table
    ]
    return lines[:start] + rendered + lines[end:]


def _split(line: str) -> list[str]:
    inner = line.strip()[1:-1] if line.strip().endswith("|") else line.strip()[1:]
    return [cell.strip() for cell in _CELL_SPLIT.split(inner)]
