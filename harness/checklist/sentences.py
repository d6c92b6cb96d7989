"""The fixed sentences of a checklist section, for reading them and for writing them.

Sesam generated every section from the same handful of sentences with slots: the source and target endpoint
(``CRMOffice Contacts``, ``Business Central Contacts (human data)``) and, in one sentence, a condition. One template
per clause serves both ways: ``read_paragraph`` recognises the sentences of a paragraph (the slots are filled with
any text and read afterwards, so a sentence naming the wrong systems is still recognised, and the linter can say
so), ``render`` writes one.

Templates are spelled exactly as the generator wrote them, which is what ``render`` needs, and read as a
reStructuredText reader reads a paragraph: any run of whitespace between two words, a line break included, is one
word break. So the generator's "it  will" (two spaces, in every conditional sentence it published) and a sentence
wrapped over two lines read like the single-spaced, one-line sentence; what a slot holds is kept as written, except
that a line break in it reads as one space.
"""

from __future__ import annotations

import bisect
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass

from harness.checklist.model import Clause

__all__ = [
    "SLOT_LIMIT",
    "TEMPLATES",
    "Sentence",
    "SentenceMatch",
    "endpoint_slots",
    "match_line",
    "read_paragraph",
    "render",
    "table_header_subject",
]

TEMPLATES: dict[Clause, str] = {
    Clause.EVERY: "Every {source} will be synchronized with a {target}.",
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
    # The condition is free text: the generator put a comment from the flow's configuration there ("When a HubSpot
    # Deal has a 100% probability of beeing sold", "When a Zendesk User is of type Agent", "removed person customers
    # for now until that pattern is resolved"), so it is read from where the sentence ends (``_Paragraph``) and
    # only where no other sentence starts. The two spaces in "it  will" are the generator's.
    Clause.CONDITIONAL: "{condition}, it  will be synchronized with a {target}.",
}

_PROPERTY_HEADER_SUFFIX = " Property"
_DATA_TYPE_HEADER_SUFFIX = " Data Type"
_WHITESPACE = re.compile(r"\s+")
_LINE_BREAK = re.compile(r"[ \t]*\r?\n[ \t]*")
_INDENT = re.compile(r"[ \t]+")
SLOT_LIMIT = 2000
"""The longest text a slot takes (Sesam's corpus: 405 characters, the datatypes a link-only flow creates from). The
bound keeps a failing match from scanning the rest of a long paragraph at every line, which made reading quadratic."""


@dataclass(frozen=True)
class SentenceMatch:
    """A recognised sentence: its clause and the text of its slots (``source``, ``target``, ``condition``)."""

    clause: Clause
    slots: dict[str, str]


@dataclass(frozen=True)
class Sentence:
    """A stretch of a paragraph: a recognised sentence (``found``) or an unrecognised line (``found`` is None).

    ``text`` is the stretch as written (stripped); ``line`` counts the paragraph's lines from 0.
    """

    text: str
    line: int
    found: SentenceMatch | None


def _literal(text: str, before_slot: bool) -> str:
    words = text.split()
    escaped = [re.escape(word) for word in words]
    # The generator always wrote "a", even before a vowel ("a Invoiced Customers"); accept "an" as well.
    if before_slot and words and words[-1] in ("a", "A") and text[-1].isspace():
        escaped[-1] = f"{words[-1]}n?"
    pattern = r"\s+".join(escaped)
    if text[:1].isspace():
        pattern = r"\s+" + pattern
    if text[-1:].isspace() and words:
        pattern += r"\s+"
    return pattern


def _compile(template: str) -> tuple[str | None, re.Pattern[str]]:
    """The pattern of a template; one that starts with a slot is compiled without it, and the slot's name returned.

    A leading slot is free text ended only by what follows it, so it is cut off and found from that end instead
    (``read_paragraph``): tried at every line of a paragraph, a leading ``.+?`` would scan the rest of the paragraph
    each time, quadratic in its length.
    """
    parts = list(string.Formatter().parse(template))
    leading = parts[0][1] if parts and not parts[0][0] else None
    pattern: list[str] = []
    seen: set[str] = {leading} if leading else set()
    for index, (literal, name, _, _) in enumerate(parts):
        pattern.append(_literal(literal, before_slot=bool(name)))
        if name and not (index == 0 and leading):
            pattern.append(f"(?P={name})" if name in seen else f"(?P<{name}>.{{1,{SLOT_LIMIT}}}?)")
            seen.add(name)
    # A sentence ends where the paragraph ends or whitespace follows: "Wix.com" does not end at its dot.
    pattern.append(r"(?=\s|\Z)")
    return leading, re.compile("".join(pattern), re.DOTALL)


_PATTERNS = {clause: _compile(template) for clause, template in TEMPLATES.items()}
_ANCHORED = {clause: pattern for clause, (leading, pattern) in _PATTERNS.items() if leading is None}
_LEAD_SLOTTED = {clause: (leading, pattern) for clause, (leading, pattern) in _PATTERNS.items() if leading is not None}
_BOTH_ENDPOINTS = frozenset({"source", "target"})


def endpoint_slots(clause: Clause) -> frozenset[str]:
    """Which endpoints a clause names: ``{"target"}`` for "If no matching <target> is found ...", else both."""
    if clause not in TEMPLATES:
        return _BOTH_ENDPOINTS  # the heading and the table headers name both
    names = {name for _, name, _, _ in string.Formatter().parse(TEMPLATES[clause]) if name}
    return frozenset(names & _BOTH_ENDPOINTS)


class _Paragraph:
    """One paragraph's text, with what a sentence that starts with a slot needs found once, left to right: where
    each such sentence ends, and which lines start a sentence of another template."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tails = {clause: list(pattern.finditer(text)) for clause, (_, pattern) in _LEAD_SLOTTED.items()}
        self.tail_starts = {clause: [tail.start() for tail in tails] for clause, tails in self.tails.items()}
        # Only a paragraph with such a sentence in it needs them; the others are read once, not twice.
        ends = any(self.tails.values())
        self.anchored_lines = [
            start for start in _line_starts(text) if ends and any(p.match(text, start) for p in _ANCHORED.values())
        ]

    def match_at(self, start: int) -> tuple[SentenceMatch, int] | None:
        slotted = self.lead_slotted_at(start)
        for clause, pattern in _ANCHORED.items():
            found = pattern.match(self.text, start)
            if found is not None:
                # "Every deal that is won, it  will be synchronized with a Y." also reads as "Every <source> will
                # be synchronized with a <target>.", with the source "deal that is won, it"; the generator's
                # sentence is the conditional one, which ends there too.
                if slotted is not None and slotted[1] == found.end():
                    return slotted
                return _sentence(clause, found.groupdict()), found.end()
        return slotted

    def lead_slotted_at(self, start: int) -> tuple[SentenceMatch, int] | None:
        for clause, (leading, _) in _LEAD_SLOTTED.items():
            # The first end after ``start``, as a lazy leading slot would find it; but free text that runs over a
            # line starting another sentence is that sentence and text nobody wrote as a condition.
            index = bisect.bisect_right(self.tail_starts[clause], start)
            if index == len(self.tails[clause]):
                continue
            tail = self.tails[clause][index]
            if tail.start() - start > SLOT_LIMIT:
                continue
            crossed = bisect.bisect_right(self.anchored_lines, start)
            if crossed < len(self.anchored_lines) and self.anchored_lines[crossed] < tail.start():
                continue
            return _sentence(clause, {leading: self.text[start : tail.start()], **tail.groupdict()}), tail.end()
        return None


def _line_starts(text: str) -> Iterator[int]:
    """Where each line's text starts, after its indentation."""
    position = 0
    while position < len(text):
        space = _INDENT.match(text, position)
        yield space.end() if space is not None else position
        end = text.find("\n", position)
        if end < 0:
            return
        position = end + 1


def _sentence(clause: Clause, slots: dict[str, str]) -> SentenceMatch:
    return SentenceMatch(clause, {name: _LINE_BREAK.sub(" ", value) for name, value in slots.items()})


def read_paragraph(text: str) -> Iterator[Sentence]:
    """The sentences of a paragraph's raw text, in order; what no template matches comes as one line at a time.

    A sentence may start anywhere a previous one ended and run over line breaks, as in any reStructuredText
    paragraph; text no template matches is reported up to the end of its line, and reading resumes on the next.
    """
    paragraph = _Paragraph(text)
    position = line = counted = 0
    while True:
        space = _WHITESPACE.match(text, position)
        if space is not None:
            position = space.end()
        if position >= len(text):
            return
        # Counted on from the last sentence, not from the paragraph's start: that was quadratic too.
        line += text.count("\n", counted, position)
        counted = position
        matched = paragraph.match_at(position)
        if matched is not None:
            found, end = matched
            yield Sentence(text[position:end], line, found)
            position = end
            continue
        end = text.find("\n", position)
        end = len(text) if end < 0 else end
        yield Sentence(text[position:end].strip(), line, None)
        position = end


def match_line(line: str) -> SentenceMatch | None:
    """Recognise ``line`` as exactly one sentence, or None."""
    text = line.strip()
    matched = _Paragraph(text).match_at(0) if text else None
    return matched[0] if matched is not None and matched[1] == len(text) else None


def render(clause: Clause, *, source: str = "", target: str = "", condition: str = "") -> str:
    """The sentence of ``clause`` with its slots filled, exactly as Sesam's generator wrote it."""
    return TEMPLATES[clause].format(source=source, target=target, condition=condition)


def table_header_subject(cell: str, data_type: bool = False) -> str | None:
    """``Business Central Contacts Property`` -> ``Business Central Contacts``; ``X Data Type`` with data_type."""
    suffix = _DATA_TYPE_HEADER_SUFFIX if data_type else _PROPERTY_HEADER_SUFFIX
    return cell[: -len(suffix)] if cell.endswith(suffix) else None
