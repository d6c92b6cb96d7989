"""The exceptions every tenant client raises, whatever the vendor.

Each client maps its vendor's error body (Business Central's OData error, CRMOffice's problem+json) onto this tree,
so the sync engine can decide on a class, never on a vendor's code::

    TenantError                     anything a client raises; .system names the tenant
    ├── TransportError              no usable answer: timeout, dropped or refused connection (after retries)
    └── ApiError                    the tenant answered with an error: .status .code .message .method .url
        ├── AuthenticationError     401/403: missing, expired or rejected credentials
        ├── NotFoundError           404: the record (or path) does not exist
        ├── ChangedUnderYouError    409/412: the record changed since it was read (stale ETag)
        ├── AlreadyExistsError      a create whose key is taken (e.g. a client-supplied id)
        ├── ValidationError         400/422 about a value: .field (when known) and .message
        ├── ThrottledError          429/503 still refused after the retry budget: .retry_after
        └── ServerError             any other 5xx
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyExistsError",
    "ApiError",
    "AuthenticationError",
    "ChangedUnderYouError",
    "NotFoundError",
    "ServerError",
    "TenantError",
    "ThrottledError",
    "TransportError",
    "ValidationError",
    "error_for_status",
]


class TenantError(Exception):
    """Base of everything a tenant client raises."""

    def __init__(self, message: str, *, system: str) -> None:
        super().__init__(message)
        self.system = system


class TransportError(TenantError):
    """No usable HTTP answer. ``maybe_applied`` is true when a write may have reached the tenant anyway."""

    def __init__(self, message: str, *, system: str, method: str, url: str, maybe_applied: bool) -> None:
        super().__init__(f"{system}: {method} {url}: {message}", system=system)
        self.method = method
        self.url = url
        self.maybe_applied = maybe_applied


class ApiError(TenantError):
    """The tenant answered ``status`` with its error ``code`` and ``message`` (vendor text, unchanged)."""

    def __init__(self, *, system: str, status: int, code: str, message: str, method: str, url: str) -> None:
        super().__init__(f"{system} answered {status} {code}: {message} ({method} {url})", system=system)
        self.status = status
        self.code = code
        self.message = message
        self.method = method
        self.url = url


class AuthenticationError(ApiError):
    pass


class NotFoundError(ApiError):
    pass


class ChangedUnderYouError(ApiError):
    pass


class AlreadyExistsError(ApiError):
    pass


class ValidationError(ApiError):
    """``field`` is the API property the tenant rejected, when the answer (or the request) tells which."""

    def __init__(
        self, *, system: str, status: int, code: str, message: str, method: str, url: str, field: str | None
    ) -> None:
        super().__init__(system=system, status=status, code=code, message=message, method=method, url=url)
        self.field = field


class ThrottledError(ApiError):
    def __init__(
        self,
        *,
        system: str,
        status: int,
        code: str,
        message: str,
        method: str,
        url: str,
        retry_after: float | None,
    ) -> None:
        super().__init__(system=system, status=status, code=code, message=message, method=method, url=url)
        self.retry_after = retry_after


class ServerError(ApiError):
    pass


def error_for_status(
    *,
    system: str,
    status: int,
    code: str,
    message: str,
    method: str,
    url: str,
    field: str | None = None,
    retry_after: float | None = None,
) -> ApiError:
    """The exception an error status means, for every vendor; a vendor client checks its own codes first."""
    common: dict[str, Any] = {
        "system": system,
        "status": status,
        "code": code,
        "message": message,
        "method": method,
        "url": url,
    }
    if status in (401, 403):
        return AuthenticationError(**common)
    if status == 404:
        return NotFoundError(**common)
    if status in (409, 412):
        return ChangedUnderYouError(**common)
    if status in (429, 503):
        return ThrottledError(**common, retry_after=retry_after)
    if status in (400, 422):
        return ValidationError(**common, field=field)
    if status >= 500:
        return ServerError(**common)
    return ApiError(**common)
