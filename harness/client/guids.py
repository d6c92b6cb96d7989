"""GUIDs as both vendors write them (``3f2504e0-4f89-41d3-9a0c-0305e82c3301``, either case): one pattern for the
clients, the fakes, the OData parser and the settings."""

from __future__ import annotations

import re

__all__ = ["GUID", "GUID_PATTERN", "is_guid"]

GUID_PATTERN = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
"""The pattern, to embed in a larger expression."""
GUID = re.compile(GUID_PATTERN)


def is_guid(text: str) -> bool:
    return GUID.fullmatch(text) is not None
