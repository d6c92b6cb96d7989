"""The sorted ``(updatedAt, id)`` index behind incremental reads: a page costs O(log n + page size).

A plain sorted list searched with :mod:`bisect`. Every write moves one key (a C-level memmove, cheap even at 100,000
records); every page read is one bisection and one slice, never a sort or a scan.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from datetime import datetime

__all__ = ["Key", "KeysetIndex"]

Key = tuple[datetime, str]


class KeysetIndex:
    def __init__(self) -> None:
        self._keys: list[Key] = []

    def add(self, key: Key) -> None:
        insort(self._keys, key)

    def add_many(self, keys: list[Key]) -> None:
        """Bulk insert (a seed): one sort instead of an insertion each, O((n + k) log(n + k))."""
        self._keys.extend(keys)
        self._keys.sort()

    def remove(self, key: Key) -> None:
        at = bisect_left(self._keys, key)
        if at == len(self._keys) or self._keys[at] != key:
            raise KeyError(f"key {key!r} is not in the index")
        del self._keys[at]

    def move(self, old: Key, new: Key) -> None:
        self.remove(old)
        self.add(new)

    def clear(self) -> None:
        self._keys.clear()

    def window(self, *, since: datetime | None, after: Key | None, limit: int) -> list[Key]:
        """Up to ``limit`` keys in order: ``updatedAt >= since`` (inclusive) and strictly after the ``after`` key."""
        start = 0
        if since is not None:
            # "" sorts before every id, so this lands on the first key whose time is not before ``since``.
            start = bisect_left(self._keys, (since, ""))
        if after is not None:
            start = max(start, bisect_right(self._keys, after))
        return self._keys[start : start + limit]

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Key]:
        return iter(list(self._keys))
