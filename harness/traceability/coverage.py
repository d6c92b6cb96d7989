"""Which scenarios prove which checklist section, row and contract rule, and what no scenario proves.

The features cite what they prove with tags (see :mod:`harness.traceability.contract`); this module reads them with the
official Gherkin parser, without running anything, and holds them against the checklist under test. A *row outline*
is a scenario outline whose Examples table lists checklist rows in one direction (``@to_businesscentral`` or
``@to_crmoffice``); every row of a section must be in every row outline of that section and direction, so a new row
is proven by as many scenarios as the rows already there. A row missing from a row outline (the problem names each
Examples table, file:line, with the line to paste), a row with no row outline at all, a section without a linking
scenario, a contract rule without a scenario, or a scenario citing a section or row the checklist no longer has: each
is a :class:`Problem`, and the suite refuses to start while there is one, so a changed checklist never passes
silently. ``harness checklist scaffold`` adds the missing Examples rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from gherkin.errors import CompositeParserException, ParserError
from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

from harness.checklist import Checklist
from harness.traceability.contract import (
    DIRECTIONS,
    ORIGIN_COLUMN,
    ROW_OUTLINES,
    RULES,
    TARGET_COLUMN,
    TagError,
    parse_tag,
    row_id,
    section_slug,
)

__all__ = [
    "Coverage",
    "ExamplesTable",
    "FeatureError",
    "Problem",
    "ScenarioRef",
    "TraceItem",
    "check_coverage",
    "read_features",
    "row_tables",
]


class FeatureError(ValueError):
    """A feature file that cannot be read or parsed; the message names the file and line."""


@dataclass(frozen=True)
class ExampleRow:
    section: str
    origin: str
    target: str
    direction: str
    line: int


@dataclass(frozen=True)
class ExamplesTable:
    """An Examples table of checklist rows: where it is, its section and direction, its columns as written, and the
    (origin, target) rows it lists."""

    path: str
    line: int
    section: str
    direction: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, str], ...]

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    def cells(self, origin: str, target: str, other: Callable[[str], str]) -> tuple[str, ...]:
        """A checklist row's cells in this table's column order: its two properties, ``other(column)`` elsewhere."""
        cells = []
        for column in self.columns:
            name = column.strip().casefold()
            cells.append(
                origin if name == ORIGIN_COLUMN else target if name == TARGET_COLUMN else other(column.strip())
            )
        return tuple(cells)

    def row_line(self, origin: str, target: str) -> str:
        """The table row to paste for a checklist row, ``<column>`` in every other column."""
        return "| " + " | ".join(self.cells(origin, target, lambda column: f"<{column}>")) + " |"


@dataclass(frozen=True)
class ScenarioRef:
    path: str
    line: int
    name: str
    tags: tuple[str, ...]
    sections: tuple[str, ...]
    rules: tuple[int, ...]
    rows: tuple[ExampleRow, ...] = ()
    tables: tuple[ExamplesTable, ...] = ()

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class TraceItem:
    """A checklist section, a row in one direction, or a contract rule, and the scenarios that cite it."""

    trace: str
    kind: str  # "section" | "row" | "rule"
    title: str
    scenarios: list[ScenarioRef] = field(default_factory=list)


@dataclass
class Coverage:
    items: list[TraceItem]
    scenarios: list[ScenarioRef]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems

    def item(self, trace: str) -> TraceItem:
        for item in self.items:
            if item.trace == trace:
                return item
        raise KeyError(trace)


def section_trace(slug: str) -> str:
    return f"section:{slug}"


def rule_trace(rule: int) -> str:
    return f"rule:{rule}"


def row_trace(section: str, origin: str, target: str, direction: str) -> str:
    return f"row:{section}:{origin}:{target}:{direction}"


def read_features(features_dir: Path, root: Path | None = None) -> tuple[list[ScenarioRef], list[Problem]]:
    """Every scenario of every ``*.feature`` under ``features_dir``, with the tags it inherits."""
    if not features_dir.is_dir():
        raise FeatureError(f"{features_dir}: no such directory of feature files")
    scenarios: list[ScenarioRef] = []
    problems: list[Problem] = []
    for path in sorted(features_dir.rglob("*.feature")):
        shown = str(path.relative_to(root)) if root is not None and path.is_relative_to(root) else str(path)
        try:
            document = Parser().parse(TokenScanner(path.read_text(encoding="utf-8")))
        except (CompositeParserException, ParserError) as exc:
            raise FeatureError(f"{shown}: not valid Gherkin: {exc}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise FeatureError(f"{shown}: cannot be read: {exc}") from None
        # An empty file parses to a document without a feature, whatever the parser's type hints say.
        feature = cast("Mapping[str, Any] | None", document.get("feature"))
        if not feature:
            continue
        _walk(shown, feature["children"], _tag_names(feature), scenarios, problems)
    return scenarios, problems


def _tag_names(node: Mapping[str, Any]) -> list[str]:
    return [str(tag["name"]).lstrip("@") for tag in node.get("tags", ())]


def _walk(
    path: str,
    children: Iterable[Mapping[str, Any]],
    inherited: list[str],
    out: list[ScenarioRef],
    problems: list[Problem],
) -> None:
    for child in children:
        if "rule" in child:
            rule = child["rule"]
            _walk(path, rule["children"], inherited + _tag_names(rule), out, problems)
        elif "scenario" in child:
            out.append(_scenario(path, child["scenario"], inherited, problems))


def _scenario(path: str, node: Mapping[str, Any], inherited: list[str], problems: list[Problem]) -> ScenarioRef:
    line = int(node["location"]["line"])
    tags = inherited + _tag_names(node)
    sections: list[str] = []
    rules: list[int] = []
    for name in tags:
        try:
            tag = parse_tag(name)
        except TagError as exc:
            problems.append(Problem(f"{path}:{line}", str(exc)))
            continue
        if tag.kind == "checklist" and tag.value not in sections:
            sections.append(tag.value)
        elif tag.kind == "rule" and tag.rule not in rules:
            rules.append(tag.rule)
    rows: list[ExampleRow] = []
    tables: list[ExamplesTable] = []
    for examples in node.get("examples", ()):
        written = [str(cell["value"]) for cell in (examples.get("tableHeader") or {}).get("cells", ())]
        header = [column.strip().casefold() for column in written]
        if ORIGIN_COLUMN not in header or TARGET_COLUMN not in header:
            continue
        where = f"{path}:{examples['location']['line']}"
        directions = [t for t in _tag_names(examples) if t in DIRECTIONS]
        if len(directions) != 1:
            problems.append(
                Problem(where, f"Examples with checklist rows need exactly one of @{' or @'.join(DIRECTIONS)}")
            )
            continue
        if len(sections) != 1:
            problems.append(Problem(where, "Examples with checklist rows need exactly one @checklist:<section> tag"))
            continue
        o, t = header.index(ORIGIN_COLUMN), header.index(TARGET_COLUMN)
        listed = []
        for body in examples.get("tableBody", ()):
            cells = [cell["value"].strip() for cell in body["cells"]]
            rows.append(ExampleRow(sections[0], cells[o], cells[t], directions[0], int(body["location"]["line"])))
            listed.append((cells[o], cells[t]))
        line_of = int(examples["location"]["line"])
        tables.append(ExamplesTable(path, line_of, sections[0], directions[0], tuple(written), tuple(listed)))
    if not rules:
        problems.append(Problem(f"{path}:{line}", f"scenario {node['name']!r} cites no contract rule (@rule:<n>)"))
    return ScenarioRef(
        path, line, str(node["name"]), tuple(tags), tuple(sections), tuple(rules), tuple(rows), tuple(tables)
    )


def check_coverage(
    checklist: Checklist, scenarios: Sequence[ScenarioRef], problems: Sequence[Problem] = ()
) -> Coverage:
    """Trace every section, row (both directions) and rule to its scenarios; list what is uncovered or stale."""
    found = list(problems)
    items: dict[str, TraceItem] = {}
    rows_by_section: dict[str, set[tuple[str, str]]] = {}
    headings: dict[str, str] = {}
    for flow in checklist.flows:
        slug = section_slug(flow)
        heading = flow.heading or flow.label()
        headings[slug] = heading
        items[section_trace(slug)] = TraceItem(section_trace(slug), "section", heading)
        rows_by_section[slug] = set()
        for row in flow.properties:
            rows_by_section[slug].add((row.source, row.target))
            for direction, arrow in DIRECTIONS.items():
                trace = row_trace(slug, row.source, row.target, direction)
                items[trace] = TraceItem(trace, "row", f"{row_id(slug, row.source, row.target)} ({arrow})")
    for rule, title in RULES.items():
        items[rule_trace(rule)] = TraceItem(rule_trace(rule), "rule", f"Rule {rule}: {title}")

    for scenario in scenarios:
        for slug in scenario.sections:
            if slug not in headings:
                known = ", ".join(f"@checklist:{s}" for s in headings) or "none"
                found.append(
                    Problem(
                        scenario.where,
                        f"scenario {scenario.name!r} cites @checklist:{slug}, a section the checklist does not have "
                        f"(its sections: {known})",
                    )
                )
            elif 1 in scenario.rules:
                items[section_trace(slug)].scenarios.append(scenario)
        for rule in scenario.rules:
            items[rule_trace(rule)].scenarios.append(scenario)
        for example in scenario.rows:
            if example.section not in headings:
                continue  # already reported as an unknown section
            if (example.origin, example.target) not in rows_by_section[example.section]:
                have = ", ".join(f"{o} ↔ {t}" for o, t in sorted(rows_by_section[example.section])) or "no rows"
                found.append(
                    Problem(
                        f"{scenario.path}:{example.line}",
                        f"Examples row {example.origin} ↔ {example.target} is not a row of the checklist section "
                        f"{headings[example.section]!r} (its rows: {have})",
                    )
                )
                continue
            item = items[row_trace(example.section, example.origin, example.target, example.direction)]
            if scenario not in item.scenarios:
                item.scenarios.append(scenario)

    found.extend(_rows_missing_from_outlines(checklist, scenarios, headings))
    for item in items.values():
        if item.scenarios:
            continue
        if item.kind == "row":
            continue  # reported above, with the Examples tables to extend or the outlines to write
        if item.kind == "section":
            slug = item.trace.split(":", 1)[1]
            message = (
                f"checklist section {item.title!r} has no scenario tagged @checklist:{slug} @rule:1 proving its linking"
            )
        else:
            message = f"contract {item.title!r} has no scenario tagged @{item.trace}"
        found.append(Problem(checklist.path or "checklist", message))
    return Coverage(list(items.values()), list(scenarios), found)


def row_tables(scenarios: Iterable[ScenarioRef]) -> dict[tuple[str, str], list[ExamplesTable]]:
    """The Examples tables of checklist rows, per (section, direction)."""
    tables: dict[tuple[str, str], list[ExamplesTable]] = {}
    for scenario in scenarios:
        for table in scenario.tables:
            tables.setdefault((table.section, table.direction), []).append(table)
    return tables


def _rows_missing_from_outlines(
    checklist: Checklist, scenarios: Sequence[ScenarioRef], headings: Mapping[str, str]
) -> Iterator[Problem]:
    """Every row must be in every row outline of its section and direction: one problem per row and direction,
    listing each Examples table (file:line) that lacks it with the line to paste, or the outlines to write."""
    tables = row_tables(scenarios)
    where = checklist.path or "checklist"
    for flow in checklist.flows:
        slug = section_slug(flow)
        for row in flow.properties:
            for direction, arrow in DIRECTIONS.items():
                title = f"{row_id(slug, row.source, row.target)} ({arrow})"
                outlines = tables.get((slug, direction), [])
                if not outlines:
                    needed = "; ".join(ROW_OUTLINES[direction])
                    yield Problem(
                        where,
                        f"checklist row {title} has no scenario outline to be proven by: the section "
                        f"{headings[slug]!r} has no Examples of checklist rows tagged @{direction}. Write its row "
                        f"outlines first (@checklist:{slug}, Examples columns | {ORIGIN_COLUMN} | {TARGET_COLUMN} |): "
                        f"{needed}",
                    )
                    continue
                lacking = [t for t in outlines if (row.source, row.target) not in t.rows]
                if lacking:
                    listed = "; ".join(f"{t.where}: {t.row_line(row.source, row.target)}" for t in lacking)
                    yield Problem(
                        where,
                        f"checklist row {title} is missing from {len(lacking)} of the {len(outlines)} Examples tables "
                        f"that prove rows in this direction; add it to each (or run `harness checklist scaffold`): "
                        f"{listed}",
                    )
