"""What every tenant client shares: one ``httpx.Client``, the retry loop, and the hook that maps error bodies.

A vendor client subclasses :class:`TenantClient` and implements :meth:`TenantClient.error_from` (its error body onto
:mod:`harness.client.errors`). Base URL, auth (any ``httpx.Auth``) and transport are pluggable, so the same client
talks to an in-process fake, a fake on loopback, or a real sandbox.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, ClassVar, Self

import httpx

import harness.client.jsontext as jsontext
from harness.client.errors import ApiError, ThrottledError, TransportError
from harness.client.ratelimit import RateLimit
from harness.client.retry import RetryBudget, RetryPolicy, parse_retry_after
from harness.client.timestamps import http_date

__all__ = ["TenantClient", "Versioned"]

_IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
# Errors where the request certainly never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Versioned:
    """A record as read or written, with the version to send back as ``If-Match`` (None when the tenant gave none)."""

    record: dict[str, Any]
    etag: str | None

    @property
    def id(self) -> str:
        return str(self.record["id"])


class TenantClient(ABC):
    system: ClassVar[str]

    def __init__(
        self,
        base_url: str,
        *,
        auth: httpx.Auth | None = None,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float | httpx.Timeout = 30.0,
        event_hooks: dict[str, list[Any]] | None = None,
        rate_limit: RateLimit | None = None,
    ) -> None:
        self.retry = retry or RetryPolicy()
        # None: no client-side limiting. Every attempt, retries included, takes a slot: the vendor counts each one.
        self.rate_limit = rate_limit
        self.http = httpx.Client(
            base_url=base_url.rstrip("/") + "/",
            auth=auth,
            transport=transport,
            timeout=timeout,
            event_hooks=event_hooks,
            headers={"Accept": "application/json"},
        )
        # What this client sent, counting every retry: the sandbox-mode stand-in for the fakes' server counters.
        self.sent: Counter[str] = Counter()
        # Records this client read and wrote (a $batch counted by its operations), for progress on a terminal.
        self.records_read = 0
        self.records_written = 0
        self.server_time: datetime | None = None
        """The tenant's clock as its last successful answer stated it (the ``Date`` header, whole seconds rounded
        down); None when it stated none. A sync may move its cursor up to what the tenant's clock had passed."""

    @abstractmethod
    def error_from(self, response: httpx.Response, sent_json: Any) -> ApiError:
        """Map an error answer to the exception tree; ``sent_json`` is the body sent, to name a rejected field."""

    def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool | None = None,
        json: Any = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send with retries; return a 2xx/3xx response or raise from :mod:`harness.client.errors`."""
        method = method.upper()
        if idempotent is None:
            headers = kwargs.get("headers") or {}
            idempotent = method in _IDEMPOTENT_METHODS or (method == "PATCH" and "If-Match" in headers)
        if json is not None:
            # Encoded here (once, for every retry) with the codec the fakes use; httpx would use the json module.
            headers = dict(kwargs.get("headers") or {})
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "application/json"
            kwargs = {**kwargs, "content": jsontext.dumps(json), "headers": headers}
        budget = RetryBudget(self.retry)
        while True:
            self.sent[method] += 1
            try:
                with self._slot():
                    response = self.http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, _NOT_SENT)
                delay = budget.next_wait(None) if (never_sent or idempotent) else None
                if delay is None:
                    raise TransportError(
                        f"{type(exc).__name__}: {exc}",
                        system=self.system,
                        method=method,
                        url=str(exc.request.url) if _has_request(exc) else url,
                        maybe_applied=not never_sent and method not in ("GET", "HEAD"),
                    ) from exc
                budget.pause(delay)
                continue
            if response.is_success or response.is_redirect:
                self.server_time = http_date(response.headers.get("Date"))
                return response
            if self.retry.retryable_status(response.status_code, idempotent=idempotent):
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                delay = budget.next_wait(retry_after)
                if delay is not None:
                    response.close()
                    budget.pause(delay)
                    continue
                error = self.error_from(response, json)
                if response.status_code in (429, 503) and not isinstance(error, ThrottledError):
                    error = ThrottledError(
                        system=error.system,
                        status=error.status,
                        code=error.code,
                        message=error.message,
                        method=error.method,
                        url=error.url,
                        retry_after=retry_after,
                    )
                raise error
            raise self.error_from(response, json)

    def _slot(self) -> AbstractContextManager[None]:
        return self.rate_limit.slot() if self.rate_limit is not None else nullcontext()

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _has_request(exc: httpx.TransportError) -> bool:
    try:
        exc.request  # noqa: B018 - httpx raises RuntimeError when the exception carries no request
    except RuntimeError:
        return False
    return True
