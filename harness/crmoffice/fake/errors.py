"""CRMOffice's error answers, as the fake renders them.

The API answers errors with RFC 7807 problem details (``application/problem+json``: ``type``, ``title``, ``status``,
``detail``). Validation errors take the shape ASP.NET Core gives them (``ValidationProblemDetails``): the fixed title
``"One or more validation errors occurred."``, status 400 and ``errors: {"<field>": ["<message>", ...]}``. That shape
is an assumption grounded in CRMOffice's token endpoint, ``/connect/token``, which is IdentityServer on ASP.NET Core.
Body-level errors (malformed JSON, a body that is not an object) are keyed ``"$"``, as System.Text.Json does.

The token endpoint answers OAuth2 errors instead (RFC 6749 section 5.2): ``{"error", "error_description"}``, 400, or
401 for ``invalid_client``.

Every ``type`` is the RFC section of its status, as ASP.NET Core writes it. Unlike ASP.NET Core, no ``traceId`` is
added: it would draw on the tenant's id source and make runs harder to replay.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, Literal

from werkzeug.wrappers import Response

from harness.fakes.tenant import VendorError, json_response

__all__ = [
    "PROBLEM_JSON",
    "VALIDATION_TITLE",
    "Forbidden",
    "InternalServerError",
    "MethodNotAllowed",
    "NotFound",
    "OAuthError",
    "OAuthErrorCode",
    "PreconditionFailed",
    "Problem",
    "ServerFault",
    "TooManyRequests",
    "Unauthorized",
    "UnsupportedMediaType",
    "ValidationProblem",
    "retry_after_header",
]

PROBLEM_JSON = "application/problem+json; charset=utf-8"
VALIDATION_TITLE = "One or more validation errors occurred."

_RFC9110 = "https://tools.ietf.org/html/rfc9110#section-"
_TYPES = {
    400: _RFC9110 + "15.5.1",
    401: _RFC9110 + "15.5.2",
    403: _RFC9110 + "15.5.4",
    404: _RFC9110 + "15.5.5",
    405: _RFC9110 + "15.5.6",
    409: _RFC9110 + "15.5.10",
    412: _RFC9110 + "15.5.13",
    415: _RFC9110 + "15.5.16",
    422: _RFC9110 + "15.5.21",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: _RFC9110 + "15.6.1",
    502: _RFC9110 + "15.6.3",
    503: _RFC9110 + "15.6.4",
    504: _RFC9110 + "15.6.5",
}


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def retry_after_header(seconds: float) -> str:
    """``Retry-After`` is whole seconds (RFC 9110 delta-seconds): round up, so a client never comes back too early."""
    return str(max(0, math.ceil(seconds)))


class Problem(VendorError):
    """An RFC 7807 problem answer: ``status``, a short ``title`` (the status phrase by default) and a ``detail``."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.status = status
        self.title = title or _reason(status)
        self.detail = detail
        self.headers = dict(headers or {})
        super().__init__(f"{status} {self.title}: {detail}")

    def body(self) -> dict[str, Any]:
        return {
            "type": _TYPES.get(self.status, "about:blank"),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }

    def to_response(self) -> Response:
        return json_response(self.body(), self.status, headers=self.headers, content_type=PROBLEM_JSON)


class ValidationProblem(Problem):
    """400 naming each rejected field (``postAddress.postCode`` for a nested one, ``$`` for the body as a whole)."""

    def __init__(self, errors: Mapping[str, Sequence[str]]) -> None:
        if not errors or not all(errors.values()):
            raise ValueError("a ValidationProblem needs at least one field with at least one message")
        self.errors = {field: list(messages) for field, messages in errors.items()}
        detail = " ".join(f"{field}: {message}" for field, messages in self.errors.items() for message in messages)
        super().__init__(400, detail, title=VALIDATION_TITLE)

    @classmethod
    def single(cls, field: str, message: str) -> ValidationProblem:
        return cls({field: [message]})

    def body(self) -> dict[str, Any]:
        return {**super().body(), "errors": self.errors}


def _bearer_challenge(error: str | None, description: str | None, scope: str | None = None) -> str:
    # RFC 6750 section 3: a request without credentials gets a bare challenge, a bad token says why.
    params = [
        f'{key}="{value}"'
        for key, value in (("error", error), ("error_description", description), ("scope", scope))
        if value
    ]
    return "Bearer" + (" " + ", ".join(params) if params else "")


class Unauthorized(Problem):
    """401 with ``WWW-Authenticate: Bearer`` (plus ``error="invalid_token"`` when a token was sent but is no good)."""

    def __init__(self, detail: str, *, invalid_token: bool = False) -> None:
        challenge = _bearer_challenge("invalid_token" if invalid_token else None, detail if invalid_token else None)
        super().__init__(401, detail, headers={"WWW-Authenticate": challenge})


class Forbidden(Problem):
    """403: the token is valid but lacks the ``crmoffice`` scope the API needs."""

    def __init__(self, detail: str, *, scope: str) -> None:
        challenge = _bearer_challenge("insufficient_scope", detail, scope)
        super().__init__(403, detail, headers={"WWW-Authenticate": challenge})


class NotFound(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(404, detail)


class MethodNotAllowed(Problem):
    def __init__(self, method: str, path: str, allowed: Sequence[str]) -> None:
        methods = sorted(set(allowed))
        super().__init__(
            405,
            f"{path} does not take {method}; it takes {', '.join(methods)}.",
            headers={"Allow": ", ".join(methods)},
        )


class UnsupportedMediaType(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(415, detail)


class PreconditionFailed(Problem):
    def __init__(self, detail: str) -> None:
        super().__init__(412, detail)


class TooManyRequests(Problem):
    def __init__(self, detail: str, *, retry_after: float | None) -> None:
        headers = {} if retry_after is None else {"Retry-After": retry_after_header(retry_after)}
        super().__init__(429, detail, headers=headers)


class ServerFault(Problem):
    """A 5xx (or any status) the fault plan injects, with ``Retry-After`` when the rule gives one."""

    def __init__(self, status: int, detail: str, *, retry_after: float | None = None) -> None:
        headers = {} if retry_after is None else {"Retry-After": retry_after_header(retry_after)}
        super().__init__(status, detail, headers=headers)


class InternalServerError(Problem):
    def __init__(self) -> None:
        # ASP.NET Core's own title for an unhandled exception; the detail never carries the exception text.
        super().__init__(
            500,
            "The server hit an unexpected error; the request may not have been applied.",
            title="An error occurred while processing your request.",
        )


OAuthErrorCode = Literal[
    "invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type", "invalid_scope"
]


class OAuthError(VendorError):
    """The token endpoint's error (RFC 6749 section 5.2): 400, or 401 with a challenge for ``invalid_client``."""

    def __init__(self, error: OAuthErrorCode, description: str, *, basic_attempted: bool = False) -> None:
        self.error = error
        self.description = description
        self.status = 401 if error == "invalid_client" else 400
        # RFC 6749 section 5.2: a client that tried HTTP Basic is answered with a Basic challenge.
        self.challenge = 'Basic realm="crmoffice"' if self.status == 401 and basic_attempted else None
        super().__init__(f"{self.status} {error}: {description}")

    def to_response(self) -> Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.challenge is not None:
            headers["WWW-Authenticate"] = self.challenge
        return json_response({"error": self.error, "error_description": self.description}, self.status, headers=headers)
