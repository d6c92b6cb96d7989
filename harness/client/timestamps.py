"""Timestamps as both vendors write them: RFC 3339 in UTC with milliseconds and a ``Z`` (``2020-08-21T07:38:44.293Z``).

One codec for everything that reads or writes a tenant's times: the clients (filters such as ``updatedSince``), the
fakes (the stamps they store and answer with), and the sync (its cursors and state).
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["format_timestamp", "http_date", "parse_timestamp"]


@functools.lru_cache(maxsize=4096)
def format_timestamp(moment: datetime) -> str:
    """``2020-08-21T07:38:44.293Z``: UTC, milliseconds, ``Z`` (how Business Central and CRMOffice write times)."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime, and a first sync writes two of these per record; the
    # records of one $batch share a few Business Central stamps, hence the cache.
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


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


def http_date(text: str | None) -> datetime | None:
    """An HTTP date (``Sun, 29 Nov 2026 16:53:22 GMT``, as in ``Date`` and ``Retry-After``) as an aware UTC datetime;
    None when absent or not a date. HTTP dates are always GMT, so one without a zone is read as UTC."""
    if not text or not text.strip():
        return None
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
