"""Which entity set and record a request is about, for each vendor's URL shape.

Business Central API v2.0: ``…/api/v2.0/companies({company})/contacts({id})``; the entity set is the segment after
the company (``companies`` when there is none), a key in parentheses names the record. ``$batch`` operations carry
URLs of the same shape, relative or absolute. CRMOffice: ``<base>/contacts/{id}``, the first segment below the API's
base path. Nothing here reads a body; :func:`operations` reads a ``$batch`` request's JSON.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

__all__ = ["WRITE_METHODS", "BatchOperation", "Target", "Tenant", "classify", "operations"]

Tenant = Literal["crmoffice", "businesscentral"]
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "MERGE", "DELETE"})
_KEYED = re.compile(r"^(?P<name>[^(]+)(?:\((?P<key>[^)]*)\))?$")


@dataclass(frozen=True)
class Target:
    """A request as the meters and the fault rules see it."""

    tenant: Tenant
    method: str
    entity_set: str
    """``contacts``, ``customers``, ``companies``, ``$batch``, ``$metadata``, … (``""``: the API's root)."""
    record: str | None = None
    """The record's id when the URL names one."""
    page: bool = False
    """A list read that follows a page link (``$skiptoken``, CRMOffice's ``cursor``) rather than starting a list."""

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS and self.entity_set not in ("$batch", "connect")

    @property
    def is_list(self) -> bool:
        return self.method == "GET" and self.record is None and not self.entity_set.startswith("$")


@dataclass(frozen=True)
class BatchOperation:
    id: str
    target: Target
    if_match: str | None


def _key(raw: str | None) -> str | None:
    if raw is None:
        return None
    raw = raw.strip("'")
    return raw.split("=", 1)[1].strip("'") if "=" in raw else raw


def classify(tenant: Tenant, method: str, url: str, base_path: str = "/") -> Target:
    """``url``: a path with its query, or an absolute URL. ``base_path``: CRMOffice's API base path (the path of
    ``CRMOFFICE_API_URL``); Business Central's shape is found wherever the API root sits."""
    parts = urlsplit(url)
    path, query = parts.path, parse_qs(parts.query)
    method = method.upper()
    if tenant == "businesscentral":
        page = "$skiptoken" in query
        segments = [s for s in path.split("/") if s]
        if "v2.0" in segments and "api" in segments:  # …/api/v2.0/<rest>: keep the rest
            at = len(segments) - 1 - segments[::-1].index("v2.0")
            segments = segments[at + 1 :]
        if segments and segments[0].startswith("companies"):
            company = _KEYED.match(segments[0])
            if len(segments) == 1 or company is None or company["key"] is None:
                key = _key(company["key"]) if company else None
                return Target(tenant, method, "companies", key, page)
            segments = segments[1:]
        if not segments:
            return Target(tenant, method, "", None, page)
        match = _KEYED.match(segments[0])
        name, key = (match["name"], _key(match["key"])) if match else (segments[0], None)
        return Target(tenant, method, name, key, page)
    base = "/" + base_path.strip("/")
    rest = path[len(base) :] if base != "/" and path.startswith(base) else path
    segments = [s for s in rest.split("/") if s]
    if not segments:
        return Target(tenant, method, "", None)
    record = segments[1] if len(segments) > 1 else None
    return Target(tenant, method, segments[0], record, "cursor" in query)


def operations(body: bytes) -> list[BatchOperation]:
    """The operations of a Business Central JSON ``$batch`` request; [] when the body is not one."""
    try:
        payload: Any = json.loads(body or b"null")
    except ValueError:
        return []
    found = payload.get("requests") if isinstance(payload, dict) else None
    if not isinstance(found, list):
        return []
    result = []
    for op in found:
        if not isinstance(op, dict) or not isinstance(op.get("url"), str):
            continue
        raw_headers = op.get("headers")
        headers = {str(k).lower(): str(v) for k, v in raw_headers.items()} if isinstance(raw_headers, dict) else {}
        target = classify("businesscentral", str(op.get("method", "GET")), op["url"])
        result.append(BatchOperation(str(op.get("id", "")), target, headers.get("if-match")))
    return result
