"""Assertions shared by the CRMOffice conformance tests; each failure says what was expected, what came, and where."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from harness.crmoffice.fake import CRMOfficeFake

FakeFactory = Callable[..., CRMOfficeFake]
START = datetime(2024, 9, 18, 20, 5, 51, 603000, tzinfo=UTC)
START_TEXT = "2024-09-18T20:05:51.603Z"
PROBLEM_KEYS = {"type", "title", "status", "detail"}
VALIDATION_TITLE = "One or more validation errors occurred."


def describe(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url} -> {response.status_code} {response.text[:300]}"


def expect_status(response: httpx.Response, status: int, what: str) -> None:
    assert response.status_code == status, f"{what}: expected {status}, got {describe(response)}"


def problem(response: httpx.Response, status: int, what: str) -> dict[str, Any]:
    """Assert an RFC 7807 answer with ``status``; return its body."""
    expect_status(response, status, what)
    content_type = response.headers.get("Content-Type", "")
    assert content_type.startswith("application/problem+json"), (
        f"{what}: expected Content-Type application/problem+json, got {content_type!r} ({describe(response)})"
    )
    body = json.loads(response.text)
    assert isinstance(body, dict), f"{what}: expected a JSON object, got {body!r}"
    missing = PROBLEM_KEYS - set(body)
    assert not missing, f"{what}: expected problem keys {sorted(PROBLEM_KEYS)}, missing {sorted(missing)} in {body}"
    assert body["status"] == status, f"{what}: expected body status {status}, got {body['status']!r}"
    assert isinstance(body["detail"], str) and body["detail"], f"{what}: expected a non-empty detail, got {body!r}"
    return body


def validation(response: httpx.Response, field: str, what: str) -> list[str]:
    """Assert a ValidationProblemDetails 400 naming ``field``; return that field's messages."""
    body = problem(response, 400, what)
    assert body["title"] == VALIDATION_TITLE, f"{what}: expected title {VALIDATION_TITLE!r}, got {body['title']!r}"
    errors = body.get("errors")
    assert isinstance(errors, dict), f"{what}: expected an 'errors' object, got {body!r}"
    assert field in errors, f"{what}: expected an error on {field!r}, got errors on {sorted(errors)}: {errors}"
    messages = errors[field]
    assert isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages), (
        f"{what}: expected a list of messages for {field!r}, got {messages!r}"
    )
    return messages


def oauth_error(response: httpx.Response, status: int, error: str, what: str) -> str:
    """Assert an RFC 6749 error answer; return its description."""
    expect_status(response, status, what)
    body = response.json()
    assert body.get("error") == error, f"{what}: expected OAuth error {error!r}, got {body!r}"
    description = body.get("error_description")
    assert isinstance(description, str) and description, f"{what}: expected an error_description, got {body!r}"
    assert response.headers.get("Cache-Control") == "no-store", (
        f"{what}: expected Cache-Control no-store, got {response.headers.get('Cache-Control')!r}"
    )
    return description


def same(actual: Any, expected: Any, what: str) -> None:
    assert actual == expected, f"{what}: expected {expected!r}, got {actual!r}"


def get_token(http: httpx.Client, fake: CRMOfficeFake, scope: str = "crmoffice offline_access") -> dict[str, Any]:
    """A client-credentials grant through raw HTTP; the token response body."""
    response = http.post(
        "/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": fake.client_id,
            "client_secret": fake.client_secret,
            "scope": scope,
        },
    )
    expect_status(response, 200, "a client-credentials token request")
    body: dict[str, Any] = response.json()
    return body
