"""Timestamps as both vendors write them: RFC 3339 in UTC with milliseconds and a ``Z`` (``2020-08-21T07:38:44.293Z``).

One codec for everything that reads or writes a tenant's times: the clients (filters such as ``updatedSince``), the
fakes (the stamps they store and answer with), and the sync (its cursors and state).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

__all__ = ["format_timestamp", "parse_timestamp"]


@functools.lru_cache(maxsize=4096)
def format_timestamp(moment: datetime) -> str:
    """``2020-08-21T07:38:44.293Z``: UTC, milliseconds, ``Z`` (how Business Central and CRMOffice write times)."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 timestamp with a zone (``Z`` or an offset) into an aware UTC datetime.

    Raises ``ValueError`` naming the text when it is not one.
    """
    candidate = text.strip()
    try:
        moment = datetime.fromisoformat(candidate.replace("z", "Z"))
    except ValueError:
        raise ValueError(f"{text!r} is not an RFC 3339 timestamp such as 2024-09-18T20:05:51.603Z") from None
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone; write it in UTC with a trailing Z")
    return moment.astimezone(UTC)
