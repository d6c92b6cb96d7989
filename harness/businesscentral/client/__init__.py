"""A typed client for Business Central API v2.0 (customers, contacts, companies, environments, ``$batch``).

Business Central's error messages name table captions, not API properties ("Phone No. must not contain letters"),
and a length error names no field at all; the client works the property out from the message and the body it sent,
so a :class:`~harness.client.errors.ValidationError` says which property was refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx

import harness.client.jsontext as jsontext
from harness.businesscentral.limits import MAX_BATCH_OPERATIONS, MAX_PAGE_SIZE
from harness.businesscentral.schema import ENTITIES
from harness.client.base import TenantClient, Versioned
from harness.client.errors import (
    AlreadyExistsError,
    ApiError,
    ChangedUnderYouError,
    ServerError,
    error_for_status,
)
from harness.client.ratelimit import RateLimit
from harness.client.retry import RetryPolicy, parse_retry_after
from harness.client.timestamps import format_timestamp

__all__ = ["BatchOperation", "BatchResult", "BusinessCentralClient", "EntitySet", "odata_string"]


def odata_string(value: str) -> str:
    """An OData string literal, for a ``$filter``: quoted, with quotes inside doubled."""
    return "'" + value.replace("'", "''") + "'"


EntitySet = Literal["customers", "contacts"]

_CAPTIONS: dict[str, str] = {
    spec.caption: spec.name for schema in ENTITIES.values() for spec in schema.fields if spec.caption
}
_LETTERS = re.compile(r"^(?P<caption>.+?) must not contain letters")
_PROPERTY = re.compile(r"(?:property|Control) '(?P<name>[^']+)'")
_LENGTH_VALUE = re.compile(r"Value: (?P<value>.*?)(?:  CorrelationId:.*)?$", re.S)
_OPTION = re.compile(r"^'(?P<value>.*)' is not an option")
_QUOTED_PROPERTY = re.compile(r'"(?P<name>[A-Za-z]+)"')


@dataclass(frozen=True, slots=True)
class BatchOperation:
    """One write (or read) inside ``$batch``. ``record_id`` for PATCH/DELETE/GET of one record; ``etag`` → If-Match."""

    method: Literal["GET", "POST", "PATCH", "DELETE"]
    entity_set: EntitySet
    record_id: str | None = None
    body: Mapping[str, Any] | None = None
    etag: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    id: str
    status: int
    record: dict[str, Any] | None
    etag: str | None
    error: ApiError | None = field(default=None)

    @property
    def ok(self) -> bool:
        return self.error is None


def _check_entity_set(entity_set: str) -> None:
    if entity_set not in ENTITIES:
        raise ValueError(f"unknown Business Central entity set {entity_set!r}; expected one of {sorted(ENTITIES)}")


class BusinessCentralClient(TenantClient):
    """``api_url`` is ``.../v2.0/{tenant}/{environment}/api/v2.0``; every record call is scoped to ``company_id``."""

    system = "businesscentral"

    def __init__(
        self,
        api_url: str,
        company_id: str,
        *,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout = 30.0,
        environments_url: str | None = None,
        event_hooks: dict[str, list[Any]] | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        super().__init__(
            api_url,
            auth=auth,
            transport=transport,
            retry=retry,
            timeout=timeout,
            event_hooks=event_hooks,
            rate_limit=rate_limit,
        )
        self.company_id = company_id
        self.environments_url = environments_url

    def _set(self, entity_set: str, record_id: str | None = None) -> str:
        _check_entity_set(entity_set)
        path = f"companies({self.company_id})/{entity_set}"
        return f"{path}({record_id})" if record_id is not None else path

    # --- reads ------------------------------------------------------------------------------------------------
    def companies(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "companies").json()["value"])

    def environments(self) -> list[dict[str, Any]]:
        """The tenant's environments (name, type sandbox/production, ...) from the environments listing."""
        if self.environments_url is None:
            raise ValueError("this client was built without an environments_url, so it cannot list environments")
        return list(self.request("GET", self.environments_url).json()["value"])

    def pages(
        self,
        entity_set: EntitySet,
        since: datetime | None = None,
        *,
        inclusive: bool = False,
        page_size: int = MAX_PAGE_SIZE,
        select: Sequence[str] | None = None,
        filter: str | None = None,
        orderby: str | None = None,
    ) -> Iterator[list[dict[str, Any]]]:
        """Records modified after ``since`` (or all), a server-driven page at a time, following ``@odata.nextLink``."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, got {page_size}")
        clauses = [f"({filter})"] if filter else []
        if since is not None:
            clauses.append(f"lastModifiedDateTime {'ge' if inclusive else 'gt'} {format_timestamp(since)}")
        params: dict[str, str] = {}
        if clauses:
            params["$filter"] = " and ".join(clauses)
        if select:
            params["$select"] = ",".join(select)
        if orderby:
            params["$orderby"] = orderby
        headers = {"Prefer": f"odata.maxpagesize={page_size}"}
        url: str | None = self._set(entity_set)
        first = True
        while url is not None:
            response = self.request("GET", url, params=params if first else None, headers=headers)
            payload = jsontext.loads(response.content)
            page = list(payload["value"])
            self.records_read += len(page)
            yield page
            url = payload.get("@odata.nextLink")
            first = False

    def get(self, entity_set: EntitySet, record_id: str) -> Versioned:
        response = self.request("GET", self._set(entity_set, record_id))
        return _versioned(response)

    # --- writes -----------------------------------------------------------------------------------------------
    def create(self, entity_set: EntitySet, body: Mapping[str, Any]) -> Versioned:
        # With a client-chosen id a repeated create is refused as a duplicate, so sending it again is safe.
        response = self.request("POST", self._set(entity_set), json=dict(body), idempotent="id" in body)
        return _versioned(response)

    def update(self, entity_set: EntitySet, record_id: str, changes: Mapping[str, Any], etag: str) -> Versioned:
        """PATCH with ``If-Match: etag`` (``"*"`` overwrites whatever is there; use it knowingly)."""
        if not etag:
            raise ValueError("Business Central refuses a PATCH without If-Match: pass the record's etag (or '*')")
        response = self.request(
            "PATCH", self._set(entity_set, record_id), json=dict(changes), headers={"If-Match": etag}
        )
        return _versioned(response)

    def delete(self, entity_set: EntitySet, record_id: str, etag: str | None = None) -> None:
        headers = {"If-Match": etag} if etag else None
        self.request("DELETE", self._set(entity_set, record_id), headers=headers)

    def batch(self, operations: Sequence[BatchOperation], *, atomic: bool = False) -> list[BatchResult]:
        """Up to 100 operations in one ``$batch``; each comes back with its own status, record or error.

        ``atomic`` asks for ``Isolation: snapshot``: all operations apply or none. Business Central stops a batch at
        its first failed operation; without ``atomic`` the client prefers ``odata.continue-on-error`` so every
        operation is run and answered. With ``atomic``, when one fails the others come back failed too (undone, or
        never run). The batch is re-sent after a lost answer only when every operation in it is safe to repeat
        (reads, conditional updates, creates with an id).
        """
        if not operations:
            return []
        if len(operations) > MAX_BATCH_OPERATIONS:
            raise ValueError(f"a $batch holds at most {MAX_BATCH_OPERATIONS} operations, got {len(operations)}")
        requests = []
        for index, op in enumerate(operations):
            _check_entity_set(op.entity_set)
            headers = {"Content-Type": "application/json"}
            if op.etag:
                headers["If-Match"] = op.etag
            entry: dict[str, Any] = {
                "id": op.id or str(index + 1),
                "method": op.method,
                "url": self._set(op.entity_set, op.record_id),
                "headers": headers,
            }
            if op.body is not None:
                entry["body"] = dict(op.body)
            requests.append(entry)
        idempotent = all(
            op.method == "GET"
            or (op.method in ("PATCH", "DELETE") and op.etag)
            or (op.method == "POST" and op.body is not None and "id" in op.body)
            for op in operations
        )
        response = self.request(
            "POST",
            "$batch",
            json={"requests": requests},
            headers={"Isolation": "snapshot"} if atomic else {"Prefer": "odata.continue-on-error"},
            idempotent=idempotent,
        )
        answers = {str(answer.get("id")): answer for answer in jsontext.loads(response.content).get("responses", [])}
        results = []
        for entry, op in zip(requests, operations, strict=True):
            answer = answers.get(entry["id"])
            if answer is None and atomic:
                answer = {"status": 424, "body": _not_applied("was not run: an earlier operation of the batch failed")}
            if answer is None:
                raise ServerError(
                    system=self.system,
                    status=response.status_code,
                    code="MissingBatchResponse",
                    message=f"the $batch answer has no response for operation {entry['id']}",
                    method="POST",
                    url=str(response.request.url),
                )
            results.append(self._batch_result(entry, op, answer))
        if atomic and not all(result.ok for result in results):
            undone = {"status": 424, "body": _not_applied("was undone: another operation of the batch failed")}
            results = [
                result if not result.ok else self._batch_result(entry, op, undone)
                for entry, op, result in zip(requests, operations, results, strict=True)
            ]
        done = [op for op, result in zip(operations, results, strict=True) if result.ok]
        self.records_read += sum(op.method == "GET" for op in done)
        self.records_written += sum(op.method != "GET" for op in done)
        return results

    def _batch_result(self, entry: Mapping[str, Any], op: BatchOperation, answer: Mapping[str, Any]) -> BatchResult:
        status = int(answer.get("status", 0))
        headers = {str(k).lower(): str(v) for k, v in (answer.get("headers") or {}).items()}
        body = answer.get("body")
        if 200 <= status < 300:
            record = body if isinstance(body, dict) else None
            etag = headers.get("etag") or (record or {}).get("@odata.etag")
            return BatchResult(str(entry["id"]), status, record, etag)
        error = self._error(status, headers, body, op.method, str(entry["url"]), op.body)
        return BatchResult(str(entry["id"]), status, None, None, error)

    # --- errors -----------------------------------------------------------------------------------------------
    def error_from(self, response: httpx.Response, sent_json: Any) -> ApiError:
        try:
            body: Any = response.json()
        except ValueError:
            body = response.text
        headers = {k.lower(): v for k, v in response.headers.items()}
        return self._error(
            response.status_code, headers, body, response.request.method, str(response.request.url), sent_json
        )

    def _error(self, status: int, headers: Mapping[str, str], body: Any, method: str, url: str, sent: Any) -> ApiError:
        code, message = f"HTTP{status}", str(body)[:500] if body else ""
        if isinstance(body, dict) and isinstance(body.get("error"), dict):
            code = str(body["error"].get("code", code))
            message = str(body["error"].get("message", message))
        common: dict[str, Any] = {
            "system": self.system,
            "status": status,
            "code": code,
            "message": message,
            "method": method,
            "url": url,
        }
        # Business Central's own codes say more than its statuses (a stale ETag may come as 409 or 412).
        if code == "Request_EntityChanged":
            return ChangedUnderYouError(**common)
        if code == "Internal_EntityWithSameKeyExists":
            return AlreadyExistsError(**common)
        return error_for_status(
            **common,
            field=_rejected_field(message, sent) if status in (400, 422) else None,
            retry_after=parse_retry_after(headers.get("retry-after")),
        )


def _not_applied(what: str) -> dict[str, Any]:
    """The error a client gives an operation of a failed ``Isolation: snapshot`` batch that holds nothing."""
    return {"error": {"code": "FailedDependency", "message": f"The operation {what}."}}


def _versioned(response: httpx.Response) -> Versioned:
    record = jsontext.loads(response.content)
    return Versioned(record=record, etag=response.headers.get("ETag") or record.get("@odata.etag"))


def _rejected_field(message: str, sent: Any) -> str | None:
    """The API property a Business Central validation message is about, from the message and the body sent."""
    sent_body = sent if isinstance(sent, Mapping) else {}
    if match := _LETTERS.match(message):
        caption = match.group("caption")
        return _CAPTIONS.get(caption, caption)
    if match := _PROPERTY.search(message):
        return match.group("name")
    value: str | None = None
    if message.startswith("The length of the string"):
        match = _LENGTH_VALUE.search(message)
    else:
        match = _OPTION.match(message)
    if match is not None:
        value = match.group("value")
    if value is not None:
        return next((key for key, sent_value in sent_body.items() if sent_value == value), None)
    if "email address" in message:
        return "email"
    if "Company No." in message:
        return "companyNumber"
    if match := _QUOTED_PROPERTY.search(message):
        return match.group("name")
    return None
