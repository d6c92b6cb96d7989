"""Bytes -> docutils doctree, with docutils kept quiet and its complaints turned into ``ChecklistError``.

docutils never writes to stderr here (report level 5, a discarded warning stream) and never raises on its own
(halt level 5): every system message is collected instead. Errors and severe errors mean the reStructuredText is
malformed and become a ``ChecklistError`` naming the line; warnings (e.g. "Title underline too short", which
Sesam's 2023 checklists trigger with their "Introduction." heading) leave the document readable and are returned
as notes for the linter. Info messages (e.g. duplicate implicit targets from two sections with the same title)
are dropped.

The parser is docutils' own with two adaptations (``harness.checklist.docutils_states``): a ``list-table`` of
header rows only is an empty table, and nested list state machines are reused for speed.
"""

from __future__ import annotations

import codecs
import copy
import functools
import io
import optparse

from docutils import nodes
from docutils.frontend import get_default_settings
from docutils.parsers.rst import Parser
from docutils.utils import new_document

from harness.checklist.docutils_states import ChecklistParser
from harness.checklist.errors import ChecklistError
from harness.checklist.model import Note

__all__ = ["decode", "parse_rst"]

_WARNING = 2
_ERROR = 3


@functools.cache
def _base_settings() -> optparse.Values:
    settings = get_default_settings(Parser)
    settings.report_level = 5
    settings.halt_level = 5
    settings.warning_stream = io.StringIO()
    # A checklist never includes other files or raw output; refusing them keeps reading a file side-effect free.
    settings.file_insertion_enabled = False
    settings.raw_enabled = False
    return settings


def decode(data: bytes, path: str) -> str:
    """UTF-8 text (a BOM is allowed), or a ``ChecklistError`` saying where the file stops being text."""
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ChecklistError(
            path,
            data.count(b"\n", 0, nul) + 1,
            "binary content (a NUL byte); expected a UTF-8 reStructuredText checklist",
        )
    try:
        return codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChecklistError(
            path,
            data.count(b"\n", 0, exc.start) + 1,
            f"byte 0x{data[exc.start]:02x} at offset {exc.start} is not UTF-8; "
            "expected a UTF-8 reStructuredText checklist",
        ) from exc


def parse_rst(text: str, path: str) -> tuple[nodes.document, tuple[Note, ...]]:
    """Parse reStructuredText (LF or CRLF) into a doctree without transforms; return it and docutils' warnings."""
    document = new_document(path, copy.copy(_base_settings()))
    messages: list[nodes.system_message] = []
    document.reporter.attach_observer(messages.append)
    ChecklistParser().parse(text, document)
    errors = [message for message in messages if message["level"] >= _ERROR]
    if errors:
        first = min(errors, key=lambda message: message.get("line") or 0)
        raise ChecklistError(
            path,
            first.get("line"),
            f"malformed reStructuredText ({_message_text(first)}); expected a Sesam Talk checklist",
        )
    warnings = tuple(
        Note(f"docutils: {_message_text(message)}", message.get("line"), code="rst-warning")
        for message in messages
        if message["level"] == _WARNING
    )
    return document, warnings


def _message_text(message: nodes.system_message) -> str:
    paragraphs = [child for child in message.children if isinstance(child, nodes.paragraph)]
    text = paragraphs[0].astext() if paragraphs else message.astext()
    return " ".join(text.split())
