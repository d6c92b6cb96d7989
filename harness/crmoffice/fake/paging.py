"""List queries: ``pageSize``, ``updatedSince`` and the opaque keyset ``cursor`` that ``nextPage`` URLs carry.

- ``pageSize``: a whole number from 1 to 1,000 (default 100).
- ``updatedSince``: an RFC 3339 timestamp with a zone (``Z`` or an offset; a ``+`` must be sent as ``%2B``),
  inclusive, compared with ``updatedAt``.
- ``cursor``: only as found in ``nextPage``; it holds the last ``(updatedAt, id)`` of the page before, not an offset.
- Any other parameter, or one given twice, is refused naming it, so a misspelt ``updatedsince`` cannot quietly turn an
  incremental read into a full one.

``nextPage`` is absolute, built from the URL the request itself came in on (so it works in-process and on a socket),
and carries ``pageSize`` and ``cursor``; it is null on the last page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from harness.client.timestamps import parse_timestamp
from harness.crmoffice.fake.errors import ValidationProblem
from harness.crmoffice.fake.index import Key
from harness.crmoffice.limits import MAX_PAGE_SIZE
from harness.crmoffice.schema import Errors, canonical_id
from harness.fakes import pagetoken

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "ListQuery",
    "decode_cursor",
    "encode_cursor",
    "next_page_url",
    "parse_list_query",
]

DEFAULT_PAGE_SIZE = 100
_PARAMETERS = ("pageSize", "updatedSince", "cursor")
_DIGITS = re.compile(r"[0-9]{1,7}")


@dataclass(frozen=True)
class ListQuery:
    page_size: int = DEFAULT_PAGE_SIZE
    since: datetime | None = None
    after: Key | None = None


def parse_list_query(resource: str, args: Mapping[str, Sequence[str]]) -> ListQuery:
    """Read a list request's query; raise one :class:`ValidationProblem` naming every bad parameter."""
    errors: Errors = {}
    for name, sent in args.items():
        if name not in _PARAMETERS:
            errors[name] = [f"{name!r} is not a parameter of GET /{resource}; use {', '.join(_PARAMETERS)}."]
        elif len(sent) > 1:
            errors[name] = [f"The {name} parameter was given {len(sent)} times; give it once."]
    given = {name: args[name][0] for name in _PARAMETERS if len(args.get(name, ())) == 1}
    page_size = DEFAULT_PAGE_SIZE
    since: datetime | None = None
    after: Key | None = None
    if "pageSize" in given:
        text = given["pageSize"]
        if _DIGITS.fullmatch(text) and 1 <= int(text) <= MAX_PAGE_SIZE:
            page_size = int(text)
        else:
            errors["pageSize"] = [
                f"The pageSize parameter must be a whole number from 1 to {MAX_PAGE_SIZE}, got {text[:20]!r}."
            ]
    if "updatedSince" in given:
        text = given["updatedSince"]
        try:
            since = parse_timestamp(text)
        except ValueError:
            hint = " (a '+' in a URL reads as a space: send it as %2B)" if " " in text.strip() else ""
            errors["updatedSince"] = [
                f"The updatedSince parameter must be an RFC 3339 time with a zone such as 2024-09-18T20:05:51.603Z, "
                f"got {text[:40]!r}{hint}."
            ]
    if "cursor" in given:
        try:
            after = decode_cursor(resource, given["cursor"])
        except ValueError as exc:
            errors["cursor"] = [f"The cursor parameter {exc}; use nextPage exactly as the previous page gave it."]
    if errors:
        raise ValidationProblem(errors)
    return ListQuery(page_size, since, after)


def encode_cursor(resource: str, key: Key) -> str:
    moment, record_id = key
    return pagetoken.encode([resource, moment.isoformat(), record_id])


def decode_cursor(resource: str, text: str) -> Key:
    """The key a cursor holds; ``ValueError`` saying what is wrong (completing "The cursor parameter ...")."""
    try:
        decoded = pagetoken.decode(text)
    except ValueError:
        raise ValueError("is not a cursor this API issued") from None
    if not (isinstance(decoded, list) and len(decoded) == 3 and all(isinstance(part, str) for part in decoded)):
        raise ValueError("is not a cursor this API issued")
    owner, moment_text, record_id = decoded
    if owner != resource:
        raise ValueError(f"belongs to /{owner}, not /{resource}")
    try:
        moment = datetime.fromisoformat(moment_text)
    except ValueError:
        raise ValueError("is not a cursor this API issued") from None
    found = canonical_id(record_id)
    if moment.tzinfo is None or found is None:
        raise ValueError("is not a cursor this API issued")
    return moment, found


def next_page_url(base_url: str, resource: str, query: ListQuery, last: Key) -> str:
    """``base_url`` is the request's own URL without its query string."""
    params = {"pageSize": str(query.page_size), "cursor": encode_cursor(resource, last)}
    return f"{base_url}?{urlencode(params)}"
