"""The ``If-Match`` header as both fakes read it: ``*`` or a comma-separated list of entity tags (RFC 9110, 13.1.1)."""

from __future__ import annotations

import re

__all__ = ["parse_if_match"]

_ENTITY_TAG = re.compile(r'\s*((?:W/)?"[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')


def parse_if_match(header: str | None) -> list[str] | None:
    """None without the header; ``["*"]``; or the entity tags as sent (weak ones keep their ``W/``).

    Raises ``ValueError`` when the header is present but neither; each vendor answers that its own way.
    """
    if header is None:
        return None
    text = header.strip()
    if text == "*":
        return ["*"]
    tags: list[str] = []
    position = 0
    while position < len(text):
        match = _ENTITY_TAG.match(text, position)
        if match is None or match.end() == position:
            tags = []
            break
        tags.append(match.group(1))
        position = match.end()
    if not tags:
        raise ValueError(f"If-Match is neither * nor quoted entity tags: {header[:60]!r}")
    return tags
