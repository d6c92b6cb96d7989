"""The CRMOffice client: typed reads and writes of companies, contacts and activities, to a fake or to the real API.

- :meth:`CRMOfficeClient.pages` streams a list page by page, following ``nextPage`` (which must stay on the API's
  own origin: the bearer token is never sent elsewhere). ``since`` is sent as ``updatedSince`` in milliseconds,
  rounded down, which only widens the inclusive window.
- :meth:`~CRMOfficeClient.get`, :meth:`~CRMOfficeClient.create` and :meth:`~CRMOfficeClient.update` return a
  :class:`Versioned` record with its ``ETag``; ``update`` sends a JSON merge patch (``null`` clears a field) with
  ``If-Match`` when given an ETag. A merge patch is idempotent, so it is retried like a PUT.
- Errors are mapped by :mod:`harness.crmoffice.client.errormap` onto :mod:`harness.client.errors`; retries follow the
  :class:`~harness.client.retry.RetryPolicy` of the base client.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, ClassVar, Literal, get_args
from urllib.parse import quote

import httpx

import harness.client.jsontext as jsontext
from harness.client.base import TenantClient, Versioned
from harness.client.errors import ApiError, ServerError
from harness.client.ratelimit import RateLimit
from harness.client.retry import RetryPolicy
from harness.client.timestamps import format_timestamp
from harness.crmoffice.client.auth import DEFAULT_SCOPE, CRMOfficeAuth
from harness.crmoffice.client.errormap import error_from
from harness.crmoffice.limits import MAX_PAGE_SIZE

__all__ = ["MAX_PAGE_SIZE", "RESOURCES", "CRMOfficeClient", "Record", "Resource", "Versioned"]

Resource = Literal["companies", "contacts", "activities"]
RESOURCES: tuple[Resource, ...] = get_args(Resource)
Record = dict[str, Any]
_INFO_KEYS = ("api", "token_url", "client_id", "client_secret")


def _resource(resource: str) -> str:
    if resource not in RESOURCES:
        raise ValueError(f"unknown CRMOffice resource {resource!r}; expected one of {', '.join(RESOURCES)}")
    return resource


def _record_path(resource: str, record_id: str) -> str:
    if not isinstance(record_id, str) or not record_id.strip():
        raise ValueError(f"a {resource} record id must be a non-empty string, got {record_id!r}")
    # Quoted whole, so an id can never reach another path.
    return f"{_resource(resource)}/{quote(record_id, safe='')}"


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    return url.scheme, url.host, url.port


class CRMOfficeClient(TenantClient):
    system: ClassVar[str] = "crmoffice"
    _owned_auth: CRMOfficeAuth | None = None  # set by connect(), which builds the auth itself

    @classmethod
    def connect(
        cls,
        info: Mapping[str, Any],
        *,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout = 30.0,
        scope: str = DEFAULT_SCOPE,
        client_auth: Literal["post", "basic"] = "post",
        rate_limit: RateLimit | None = None,
    ) -> CRMOfficeClient:
        """A client with its own :class:`CRMOfficeAuth`, from a tenant's info (``CRMOfficeFake.info()``'s shape)."""
        missing = [key for key in _INFO_KEYS if not isinstance(info.get(key), str) or not info.get(key)]
        if missing:
            raise ValueError(f"CRMOffice tenant info lacks {', '.join(missing)}; expected keys {', '.join(_INFO_KEYS)}")
        auth = CRMOfficeAuth(
            info["token_url"],
            info["client_id"],
            info["client_secret"],
            scope=scope,
            client_auth=client_auth,
            transport=transport,
            timeout=timeout,
            retry=retry,
        )
        client = cls(info["api"], auth=auth, transport=transport, retry=retry, timeout=timeout, rate_limit=rate_limit)
        client._owned_auth = auth
        return client

    def __repr__(self) -> str:
        return f"CRMOfficeClient(base_url={str(self.http.base_url)!r})"

    @property
    def auth(self) -> CRMOfficeAuth | None:
        """The auth :meth:`connect` built (None for a client given its auth), e.g. to read ``auth.grants``."""
        return self._owned_auth

    def error_from(self, response: httpx.Response, sent_json: Any) -> ApiError:
        return error_from(response, system=self.system, sent_json=sent_json)

    def close(self) -> None:
        super().close()
        if self._owned_auth is not None:
            self._owned_auth.close()

    # --- reads ------------------------------------------------------------------------------------------------
    def pages(
        self, resource: Resource, since: datetime | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[list[Record]]:
        """Each page of records in ``(updatedAt, id)`` order, ``updatedAt >= since`` when given.

        The arguments are checked at the call; the pages are fetched as they are iterated.
        """
        path = _resource(resource)
        if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {page_size!r}")
        params = {"pageSize": str(page_size)}
        if since is not None:
            if since.tzinfo is None:
                raise ValueError(f"since must carry a time zone, got naive {since.isoformat()}")
            params["updatedSince"] = format_timestamp(since)
        return self._follow(path, params)

    def _follow(self, path: str, params: dict[str, str]) -> Iterator[list[Record]]:
        response = self.request("GET", path, params=params)
        seen: set[str] = set()
        while True:
            items, next_page = self._page(response)
            self.records_read += len(items)
            yield items
            if next_page is None:
                return
            self._check_next_page(response, next_page, seen)
            response = self.request("GET", next_page)

    def records(
        self, resource: Resource, since: datetime | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[Record]:
        """Every record of :meth:`pages`, one by one."""
        for page in self.pages(resource, since, page_size):
            yield from page

    def get(self, resource: Resource, record_id: str) -> Versioned:
        response = self.request("GET", _record_path(resource, record_id))
        return Versioned(self._object(response), response.headers.get("ETag"))

    # --- writes -----------------------------------------------------------------------------------------------
    def create(self, resource: Resource, body: Mapping[str, Any]) -> Versioned:
        if not isinstance(body, Mapping):
            raise ValueError(f"a {resource} body must be a mapping of field to value, got {type(body).__name__}")
        response = self.request("POST", _resource(resource), json=dict(body))
        self.records_written += 1
        return Versioned(self._object(response), response.headers.get("ETag"))

    def update(
        self, resource: Resource, record_id: str, changes: Mapping[str, Any], etag: str | None = None
    ) -> Versioned:
        """Merge ``changes`` into the record (``None`` clears a field); with ``etag``, only if it is still current."""
        if not isinstance(changes, Mapping):
            raise ValueError(f"{resource} changes must be a mapping of field to value, got {type(changes).__name__}")
        headers = {"Content-Type": "application/merge-patch+json"}
        if etag is not None:
            headers["If-Match"] = etag
        response = self.request(
            "PATCH", _record_path(resource, record_id), json=dict(changes), headers=headers, idempotent=True
        )
        self.records_written += 1
        return Versioned(self._object(response), response.headers.get("ETag"))

    def delete(self, resource: Resource, record_id: str, etag: str | None = None) -> None:
        headers = {} if etag is None else {"If-Match": etag}
        self.request("DELETE", _record_path(resource, record_id), headers=headers).close()
        self.records_written += 1

    # --- answers ----------------------------------------------------------------------------------------------
    def _malformed(self, response: httpx.Response, reason: str) -> ServerError:
        return ServerError(
            system=self.system,
            status=response.status_code,
            code="malformed_response",
            message=reason,
            method=response.request.method,
            url=str(response.request.url),
        )

    def _object(self, response: httpx.Response) -> Record:
        try:
            body = jsontext.loads(response.content)
        except ValueError:
            raise self._malformed(response, "the answer is not JSON") from None
        if not isinstance(body, dict):
            raise self._malformed(response, "the answer is not a JSON object")
        return body

    def _page(self, response: httpx.Response) -> tuple[list[Record], str | None]:
        body = self._object(response)
        items, next_page = body.get("items"), body.get("nextPage")
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise self._malformed(response, "a list answer needs 'items', a list of objects")
        if next_page is not None and not isinstance(next_page, str):
            raise self._malformed(response, "'nextPage' must be a URL or null")
        return items, next_page

    def _check_next_page(self, response: httpx.Response, next_page: str, seen: set[str]) -> None:
        if _origin(httpx.URL(next_page)) != _origin(self.http.base_url):
            raise self._malformed(response, f"nextPage {next_page!r} leaves the API's origin {self.http.base_url}")
        if next_page in seen:
            raise self._malformed(response, f"nextPage {next_page!r} repeats an earlier page: the list would not end")
        seen.add(next_page)
