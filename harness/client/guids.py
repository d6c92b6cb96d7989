"""GUIDs as both vendors write them (``3f2504e0-4f89-41d3-9a0c-0305e82c3301``, either case): one pattern for the
clients, the fakes, the OData parser and the settings."""

from __future__ import annotations

import os
import re
import time

__all__ = ["GUID", "GUID_PATTERN", "is_guid", "time_ordered_guid"]

GUID_PATTERN = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
"""The pattern, to embed in a larger expression."""
GUID = re.compile(GUID_PATTERN)


def is_guid(text: str) -> bool:
    return GUID.fullmatch(text) is not None


# The variant digit of an RFC 9562 GUID is 10xx in binary: 8, 9, a or b.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def time_ordered_guid() -> str:
    """A time-ordered (version 7, RFC 9562) GUID in lower case: the Unix time in milliseconds, then 74 random bits.

    For ids a client chooses for records it creates in bulk: ids made in the same millisecond share their first 48
    bits, so an index keyed by them (the sync state's links by target id) grows at its end instead of at random
    pages. 120,000 random ids dirtied a new index page for nearly every insert of a first sync."""
    digits = f"{time.time_ns() // 1_000_000:012x}" + os.urandom(10).hex()
    return f"{digits[:8]}-{digits[8:12]}-7{digits[13:16]}-{_VARIANT[digits[16]]}{digits[17:20]}-{digits[20:32]}"
