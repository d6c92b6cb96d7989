"""A Sesam Talk checklist file -> ``Checklist``, by walking the docutils doctree.

The document is a title section ``<A> to <B> Dataflow`` holding a ``Generated:`` paragraph, an Introduction and
one sub-section per entity flow. In a flow section every paragraph is read as the fixed sentences
(``harness.checklist.sentences``: a sentence may wrap, text that is none of them is taken a line at a time); each
``list-table`` is a merge table (2 columns) or a property table (3 columns) according to the sentence that
introduces it. Structure that breaks the format raises ``ChecklistError``; text that is merely unexpected is kept
as a ``Note`` for the linter, so that one odd sentence in a 40-section file does not stop QA from reading the other
39.

Cell and sentence text is taken from the doctree's raw source of each paragraph: the generator never escaped
reStructuredText, so a property such as ``name_`` or ``*id`` means exactly those characters, not a reference or
emphasis. No vendor knowledge lives here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from docutils import nodes

from harness.checklist.errors import ChecklistError
from harness.checklist.model import (
    Checklist,
    Clause,
    DataType,
    Endpoint,
    Flow,
    Mention,
    MergeRow,
    Note,
    PropertyRow,
    Template,
)
from harness.checklist.names import AmbiguousSystem, parse_endpoint, split_pair, split_title
from harness.checklist.rst import decode, parse_rst
from harness.checklist.sentences import read_paragraph, table_header_subject

__all__ = ["parse_bytes", "parse_file", "parse_text"]

_GENERATED_PREFIX = "Generated:"
_GENERATED_FORMAT = "%Y-%m-%d %H:%M:%S"
_INTRODUCTION = "introduction"
_MERGE_COLUMNS = 2
_PROPERTY_COLUMNS = 3
_TEMPLATE_SENTENCES = (
    "'Every <source> will be synchronized with a <target>.', '<condition>, it will be synchronized with a "
    "<target>.' (as in 'When a <source> has <condition>, it will be ...') or 'Before any synchronization can take "
    "place, a link between a <source> and a <target> must be established.'"
)


def parse_file(path: str | os.PathLike[str]) -> Checklist:
    """Read and parse one checklist file."""
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise ChecklistError(
            name, None, f"cannot read the file ({exc.strerror or exc}); expected a checklist file"
        ) from exc
    return parse_bytes(data, name)


def parse_bytes(data: bytes, path: str = "<bytes>") -> Checklist:
    """Parse the bytes of a checklist (UTF-8, LF or CRLF line ends)."""
    return parse_text(decode(data, path), path)


def parse_text(text: str, path: str = "<text>") -> Checklist:
    """Parse the text of a checklist; ``path`` only names it in errors and in ``Checklist.path``."""
    if not text.strip():
        raise ChecklistError(path, 1, "the file is empty; expected a Sesam Talk checklist")
    document, warnings = parse_rst(text, path)
    return _DocumentReader(path).read(document, warnings)


@dataclass
class _FlowDraft:
    """What has been read of one flow section so far."""

    heading: str
    line: int | None
    mentions: list[Mention] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    merge: tuple[MergeRow, ...] | None = None
    properties: tuple[PropertyRow, ...] | None = None
    created_when: str | None = None
    condition: str | None = None
    pending_table: Mention | None = None


class _DocumentReader:
    def __init__(self, path: str) -> None:
        self.path = path
        self.source_system = ""
        self.target_system = ""
        self.heading = ""  # the flow section being read, for errors

    def error(self, line: int | None, message: str) -> ChecklistError:
        return ChecklistError(self.path, line, message)

    # -- document level -------------------------------------------------------------------------------------

    def read(self, document: nodes.document, warnings: tuple[Note, ...]) -> Checklist:
        sections = [child for child in document.children if isinstance(child, nodes.section)]
        if not sections:
            raise self.error(
                _first_line(document) or 1,
                "no section found; expected a reStructuredText checklist titled '<Source> to <Target> Dataflow'",
            )
        if len(sections) > 1:
            raise self.error(
                _title_line(sections[1]),
                "a second top-level title; expected one title '<Source> to <Target> Dataflow' over the whole file",
            )
        top = sections[0]
        title, title_line = _section_title(top)
        systems = split_title(title)
        if systems is None:
            raise self.error(title_line, f"expected the title '<Source> to <Target> Dataflow', found {title!r}")
        self.source_system, self.target_system = systems

        notes = list(warnings)
        generated: datetime | None = None
        flows: list[Flow] = []
        for child in top.children[1:]:
            if isinstance(child, nodes.paragraph) and generated is None:
                generated = self.read_generated(child)
            elif isinstance(child, nodes.section):
                heading, _ = _section_title(child)
                if heading.strip().rstrip(".").casefold() == _INTRODUCTION:
                    self.check_introduction(child)
                    continue
                flows.append(self.read_flow(child))
            elif not isinstance(child, (nodes.comment, nodes.system_message)):
                notes.append(Note(f"unexpected {_kind(child)} below the title: {_snippet(child)}", child.line))
        if generated is None:
            raise self.error(title_line + 1, f"expected '{_GENERATED_PREFIX} YYYY-MM-DD HH:MM:SS' below the title")
        return Checklist(
            title=title,
            source_system=self.source_system,
            target_system=self.target_system,
            generated=generated,
            flows=tuple(flows),
            path=self.path,
            notes=tuple(notes),
        )

    def check_introduction(self, section: nodes.section) -> None:
        # Flows nested under the Introduction (a heading underlined one level too deep) would otherwise vanish.
        for child in section.children:
            if isinstance(child, nodes.section):
                raise self.error(
                    _title_line(child),
                    "a sub-section inside the Introduction; expected entity-flow sections one level below the title",
                )

    def read_generated(self, paragraph: nodes.paragraph) -> datetime:
        text = _raw(paragraph)
        if not text.startswith(_GENERATED_PREFIX):
            raise self.error(
                paragraph.line,
                f"expected '{_GENERATED_PREFIX} YYYY-MM-DD HH:MM:SS' below the title, found {text!r}",
            )
        value = text[len(_GENERATED_PREFIX) :].strip()
        try:
            return datetime.strptime(value, _GENERATED_FORMAT)
        except ValueError as exc:
            raise self.error(
                paragraph.line, f"expected a date 'YYYY-MM-DD HH:MM:SS' after '{_GENERATED_PREFIX}', found {value!r}"
            ) from exc

    # -- one flow section -----------------------------------------------------------------------------------

    def read_flow(self, section: nodes.section) -> Flow:
        heading, line = _section_title(section)
        self.heading = heading
        draft = _FlowDraft(heading=heading, line=line)
        draft.mentions.append(self.mention(Clause.HEADING, heading, line, " to ", {"pair": heading}))
        for child in section.children[1:]:
            if isinstance(child, nodes.paragraph):
                self.read_paragraph(draft, child)
            elif isinstance(child, nodes.table):
                self.read_table(draft, child)
            elif isinstance(child, nodes.section):
                raise self.error(
                    _title_line(child),
                    f"a sub-section inside section {heading!r}; expected sections one level below the title only",
                )
            elif not isinstance(child, (nodes.comment, nodes.system_message)):
                draft.notes.append(Note(f"unexpected {_kind(child)}: {_snippet(child)}", child.line))
        if draft.pending_table is not None:
            raise self.expected_table(draft.pending_table)
        return self.finish_flow(draft)

    def read_paragraph(self, draft: _FlowDraft, paragraph: nodes.paragraph) -> None:
        if draft.pending_table is not None:
            raise self.expected_table(draft.pending_table)
        for sentence in read_paragraph(_raw(paragraph)):
            line = paragraph.line + sentence.line if paragraph.line is not None else None
            found = sentence.found
            if found is None:
                draft.notes.append(Note(f"unrecognised text: {sentence.text!r}", line))
                continue
            mention = self.mention(found.clause, sentence.text, line, None, found.slots)
            draft.mentions.append(mention)
            if found.clause is Clause.CREATED_WHEN:
                draft.created_when = found.slots["condition"]
            if found.clause is Clause.CONDITIONAL:
                draft.condition = found.slots["condition"]
            if found.clause in (Clause.MERGE_CRITERIA, Clause.PROPERTIES):
                draft.pending_table = mention

    def read_table(self, draft: _FlowDraft, table: nodes.table) -> None:
        intro = draft.pending_table
        if intro is None:
            raise self.error(
                table.line,
                "a table without its introducing sentence; expected 'A <source> will merge with a <target> if one "
                "of the following property combinations match:' or 'The following properties are synchronized "
                "between a <source> and a <target>:' before it",
            )
        draft.pending_table = None
        header, body, columns = self.table_rows(table)
        if intro.clause is Clause.MERGE_CRITERIA:
            if columns != _MERGE_COLUMNS:
                raise self.error(
                    table.line,
                    f"expected a merge table with {_MERGE_COLUMNS} columns (source property, target property), "
                    f"found {columns}",
                )
            if draft.merge is not None:
                raise self.error(table.line, f"a second merge table in section {draft.heading!r}; expected one")
            draft.mentions.append(self.header_mention(Clause.MERGE_TABLE_HEADER, header, table.line))
            draft.merge = tuple(MergeRow(cells[0][0], cells[1][0], _row_line(cells)) for cells in body)
        else:
            if columns != _PROPERTY_COLUMNS:
                raise self.error(
                    table.line,
                    f"expected a property table with {_PROPERTY_COLUMNS} columns (source property, target "
                    f"property, target data type), found {columns}",
                )
            if draft.properties is not None:
                raise self.error(table.line, f"a second property table in section {draft.heading!r}; expected one")
            draft.mentions.append(self.header_mention(Clause.PROPERTY_TABLE_HEADER, header, table.line))
            draft.properties = tuple(_property_row(cells) for cells in body)

    def table_rows(
        self, table: nodes.table
    ) -> tuple[list[tuple[str, int | None]], list[list[tuple[str, int | None]]], int]:
        groups = [child for child in table.children if isinstance(child, nodes.tgroup)]
        if len(groups) != 1:
            raise self.error(table.line, "expected a simple list-table")
        group = groups[0]
        columns = int(group.get("cols", 0))
        heads = [child for child in group.children if isinstance(child, nodes.thead)]
        if not heads or len(heads[0].children) != 1:
            raise self.error(
                table.line, "expected ':header-rows: 1' on the list-table (one header row naming the columns)"
            )
        bodies = [child for child in group.children if isinstance(child, nodes.tbody)]
        header = self.row_cells(heads[0].children[0])
        body = [self.row_cells(row) for row in bodies[0].children] if bodies else []
        return header, body, columns

    def row_cells(self, row: nodes.Node) -> list[tuple[str, int | None]]:
        cells: list[tuple[str, int | None]] = []
        for entry in row.children:
            blocks = [child for child in entry.children if not isinstance(child, nodes.system_message)]
            if not blocks:
                cells.append(("", None))
            elif len(blocks) == 1 and isinstance(blocks[0], nodes.paragraph):
                # Inner spacing is kept: "having  in type" (two spaces) is how Sesam wrote an empty value.
                text = " ".join(line.strip() for line in _raw(blocks[0]).splitlines())
                cells.append((text.strip(), blocks[0].line))
            else:
                raise self.error(
                    _first_line(entry), f"expected one line of plain text in a table cell, found {_snippet(entry)!r}"
                )
        return cells

    def header_mention(self, clause: Clause, header: list[tuple[str, int | None]], line: int | None) -> Mention:
        subjects = [table_header_subject(text) for text, _ in header[:2]]
        text = " | ".join(cell for cell, _ in header)
        if subjects[0] is None or subjects[1] is None:
            return Mention(clause, text, header[0][1] or line)
        return self.mention(clause, text, header[0][1] or line, None, {"source": subjects[0], "target": subjects[1]})

    def mention(
        self, clause: Clause, text: str, line: int | None, separator: str | None, slots: dict[str, str]
    ) -> Mention:
        source: Endpoint | None
        target: Endpoint | None
        systems = (self.source_system, self.target_system)
        try:
            if separator is not None:
                pair = split_pair(slots["pair"], separator, *systems)
                source, target = pair if pair is not None else (None, None)
            else:
                source = parse_endpoint(slots["source"], *systems) if "source" in slots else None
                target = parse_endpoint(slots["target"], *reversed(systems)) if "target" in slots else None
        except AmbiguousSystem as exc:
            raise self.error(
                line,
                f"section {self.heading!r}: {exc.spelled!r} in {text!r} could name either of the title's systems, "
                f"{exc.candidates[0]!r} or {exc.candidates[1]!r}; expected a spelling of one of them only",
            ) from None
        return Mention(clause, text, line, source, target)

    def expected_table(self, intro: Mention) -> ChecklistError:
        return self.error(intro.line, f"expected a list-table after {intro.text!r}")

    def finish_flow(self, draft: _FlowDraft) -> Flow:
        clauses = {mention.clause for mention in draft.mentions}
        if Clause.LINK_REQUIRED in clauses:
            template = Template.LINK_ONLY
        elif Clause.CONDITIONAL in clauses:
            template = Template.CONDITIONAL
        elif Clause.EVERY in clauses:
            merges = Clause.MERGE_IF_EXISTS in clauses or draft.merge is not None
            template = Template.MERGE_OR_CREATE if merges else Template.EVERY
        else:
            raise self.error(
                draft.line, f"section {draft.heading!r} has no template sentence; expected {_TEMPLATE_SENTENCES}"
            )
        if draft.properties is None:
            raise self.error(
                draft.line,
                f"section {draft.heading!r} has no property table; expected 'The following properties are "
                "synchronized between a <source> and a <target>:' followed by a list-table",
            )
        source, target = self.endpoints(draft)
        return Flow(
            source=source,
            target=target,
            template=template,
            merge=draft.merge or (),
            properties=draft.properties,
            created_when=draft.created_when,
            condition=draft.condition if template is Template.CONDITIONAL else None,
            heading=draft.heading,
            line=draft.line,
            mentions=tuple(draft.mentions),
            notes=tuple(draft.notes),
        )

    def endpoints(self, draft: _FlowDraft) -> tuple[Endpoint, Endpoint]:
        # The heading names the flow; if it cannot be read, the sentences under it do (and the linter will say
        # that the heading does not match them).
        sources = [mention.source for mention in draft.mentions if mention.source is not None]
        targets = [mention.target for mention in draft.mentions if mention.target is not None]
        if not sources or not targets:
            raise self.error(
                draft.line,
                f"section {draft.heading!r} never names a {self.source_system!r} endpoint and a "
                f"{self.target_system!r} endpoint; expected '<System> <Datatype> to <System> <Datatype>' with the "
                "title's systems",
            )
        return sources[0], targets[0]


def _property_row(cells: Sequence[tuple[str, int | None]]) -> PropertyRow:
    source, source_condition = _split_condition(cells[0][0])
    target, target_condition = _split_condition(cells[1][0])
    type_text = cells[2][0]
    return PropertyRow(
        source=source,
        target=target,
        type=DataType.from_cell(type_text),
        type_text=type_text,
        source_condition=source_condition,
        target_condition=target_condition,
        line=_row_line(cells),
    )


def _row_line(cells: Sequence[tuple[str, int | None]]) -> int | None:
    """The line of a row's first cell; an empty cell has no line, so count back from the next one that has."""
    for column, (_, line) in enumerate(cells):
        if line is not None:
            return max(line - column, 1)
    return None


def _split_condition(cell: str) -> tuple[str, str | None]:
    """``phone_numbers.number (Dependant on ...)`` -> ``("phone_numbers.number", "Dependant on ...")``."""
    if cell.endswith(")") and " (" in cell:
        name, _, condition = cell[:-1].partition(" (")
        # Verbatim: with an empty path Sesam wrote "(Dependant on having wd:Q2366457 in  )", spaces and all.
        return name.strip(), condition
    return cell, None


def _raw(paragraph: nodes.Element) -> str:
    return paragraph.rawsource or paragraph.astext()


def _section_title(section: nodes.section) -> tuple[str, int]:
    title = section.children[0] if section.children else None
    if not isinstance(title, nodes.title):
        raise ChecklistError(str(section.source or "<unknown>"), section.line, "expected a section title")
    return _raw(title), _title_line(section)


def _title_line(section: nodes.Element) -> int:
    # docutils reports a title at its underline; the text is the line above.
    title = section.children[0] if section.children else section
    line = title.line or section.line or 1
    return max(line - 1, 1)


def _first_line(node: nodes.Node) -> int | None:
    for descendant in node.findall(include_self=True):
        if descendant.line is not None:
            return descendant.line
    return None


def _kind(node: nodes.Node) -> str:
    return node.tagname if isinstance(node, nodes.Element) else type(node).__name__


def _snippet(node: nodes.Node, limit: int = 80) -> str:
    text = " ".join(node.astext().split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
