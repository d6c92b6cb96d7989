"""JSON text on the wire: one codec for the clients and the fakes.

orjson, because a first sync of 120,000 records moves each one through JSON about eight times (request, answer,
read-back, each encoded and decoded); the standard library's codec was a fifth of the bench's time. It behaves as
``json`` with ``ensure_ascii=False`` and compact separators, with two exceptions: a NaN or infinite float becomes
``null``, and ``NaN`` or ``Infinity`` in text, which ``json`` accepts as an extension of JSON, is refused.

:func:`dumps` refuses what ``json.dumps`` refuses (``TypeError`` naming the type): orjson would write a ``datetime``
or a dataclass its own way, which would hide a fake that forgot to format a value as its vendor does.
"""

from __future__ import annotations

from typing import Any

import orjson

__all__ = ["dumps", "loads"]

_OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)


def _as_json_does(value: Any) -> Any:
    """Subclasses of the JSON types are written as their base type, as ``json.dumps`` writes them."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    """``value`` as compact UTF-8 JSON; ``sort_keys``: every object's keys in order, for text that compares equal
    when the values do."""
    return orjson.dumps(value, default=_as_json_does, option=_OPTIONS | orjson.OPT_SORT_KEYS if sort_keys else _OPTIONS)


def loads(text: bytes | bytearray | memoryview | str) -> Any:
    """Parse JSON text; ``ValueError`` (a ``json.JSONDecodeError``) when it is not JSON."""
    return orjson.loads(text)
