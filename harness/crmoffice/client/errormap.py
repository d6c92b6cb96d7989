"""How the CRMOffice client reads an error answer onto :mod:`harness.client.errors`.

=============  ================================================================================================
status         exception
=============  ================================================================================================
400, 422       ``ValidationError``; ``field`` is the first key of the problem's ``errors`` (None for ``$`` or none)
401, 403       ``AuthenticationError``
404            ``NotFoundError``
409, 412       ``ChangedUnderYouError``
429            ``ThrottledError``, ``retry_after`` from the ``Retry-After`` header
5xx            ``ServerError``
other          ``ApiError``
=============  ================================================================================================

``code`` is the OAuth ``error`` when there is one, else the problem's ``title``, else the status phrase; ``message``
is the OAuth ``error_description``, the problem's ``detail`` (or its field messages), or, for a body that is not
JSON (a proxy's HTML page), its first 200 characters. Values in ``redact`` never reach a message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import httpx

from harness.client.errors import ApiError, error_for_status
from harness.client.retry import parse_retry_after

__all__ = ["ErrorBody", "error_from", "read_error_body"]

_SNIPPET = 200


@dataclass(frozen=True)
class ErrorBody:
    code: str
    message: str
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def field(self) -> str | None:
        """The first field the answer names; ``$`` (the body as a whole) is no field."""
        return next((name for name in self.errors if name not in ("", "$")), None)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    if "json" not in response.headers.get("Content-Type", "").lower():
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _field_errors(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        return {}
    errors: dict[str, list[str]] = {}
    for name, messages in value.items():
        if isinstance(messages, list):
            errors[str(name)] = [str(message) for message in messages]
        elif isinstance(messages, str):
            errors[str(name)] = [messages]
    return errors


def read_error_body(response: httpx.Response) -> ErrorBody:
    """The code, message and field errors an error answer carries, whatever its body is."""
    body = _json_object(response)
    if body is not None and isinstance(body.get("error"), str):
        description = body.get("error_description")
        return ErrorBody(body["error"], description if isinstance(description, str) else body["error"])
    if body is not None:
        errors = _field_errors(body.get("errors"))
        title = body.get("title")
        detail = body.get("detail")
        if isinstance(detail, str) and detail:
            message = detail
        elif errors:
            message = " ".join(f"{name}: {text}" for name, texts in errors.items() for text in texts)
        else:
            message = "(no detail)"
        return ErrorBody(title if isinstance(title, str) and title else _phrase(response.status_code), message, errors)
    text = " ".join(response.text.split())
    if len(text) > _SNIPPET:
        text = text[: _SNIPPET - 3] + "..."
    return ErrorBody(_phrase(response.status_code), text or "(no body)")


def _redacted(text: str, redact: Sequence[str]) -> str:
    for secret in redact:
        if secret:
            text = text.replace(secret, "***")
    return text


def error_from(response: httpx.Response, *, system: str, sent_json: Any = None, redact: Sequence[str] = ()) -> ApiError:
    """The exception for an error answer. ``sent_json`` is accepted for the base client's hook and not needed:
    CRMOffice names the rejected field itself."""
    body = read_error_body(response)
    status = response.status_code
    return error_for_status(
        system=system,
        status=status,
        code=_redacted(body.code, redact),
        message=_redacted(body.message, redact),
        method=response.request.method,
        url=str(response.request.url),
        field=body.field,
        retry_after=parse_retry_after(response.headers.get("Retry-After")),
    )
