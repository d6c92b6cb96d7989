"""Assertions about Business Central's error answers, shared by the conformance tests."""

from __future__ import annotations

from typing import Any

import httpx


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The OData error of a response, checked for Business Central's exact shape."""
    body = response.json()
    assert set(body) == {"error"}, f"expected only an 'error' key in the body, got {body}"
    assert set(body["error"]) == {"code", "message"}, f"expected code and message in the error, got {body}"
    message = body["error"]["message"]
    assert "  CorrelationId:  " in message and message.endswith("."), (
        f"expected the message to end with '  CorrelationId:  <guid>.', got {message!r}"
    )
    return {"code": body["error"]["code"], "message": message.split("  CorrelationId:  ")[0]}


def assert_error(response: httpx.Response, status: int, code: str, message: str | None = None) -> None:
    error = error_of(response)
    assert (response.status_code, error["code"]) == (status, code), (
        f"expected {status} {code}, got {response.status_code} {error['code']}: {error['message']}"
    )
    if message is not None:
        assert error["message"] == message, f"expected message {message!r}, got {error['message']!r}"
