"""The client's reading of error answers, including bodies that are not problem+json."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from harness.client import (
    ApiError,
    AuthenticationError,
    ChangedUnderYouError,
    NotFoundError,
    ServerError,
    ThrottledError,
    ValidationError,
)
from harness.crmoffice.client.errormap import error_from
from tests.crmoffice.helpers import same

URL = "http://crmoffice.test/contacts"


def _answer(status: int, content: bytes, content_type: str | None = None, **headers: str) -> httpx.Response:
    all_headers = dict(headers)
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return httpx.Response(status, content=content, headers=all_headers, request=httpx.Request("POST", URL))


PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationError),
        (422, ValidationError),
        (401, AuthenticationError),
        (403, AuthenticationError),
        (404, NotFoundError),
        (409, ChangedUnderYouError),
        (412, ChangedUnderYouError),
        (429, ThrottledError),
        (500, ServerError),
        (502, ServerError),
        (503, ThrottledError),  # unavailable = refused before doing anything, as the retry policy treats it
        (504, ServerError),
        (418, ApiError),
    ],
)
def test_status_maps_onto_the_exception_tree(status: int, kind: type[ApiError]) -> None:
    body = b'{"type": "about:blank", "title": "T", "status": %d, "detail": "D"}' % status
    error = error_from(_answer(status, body, PROBLEM), system="crmoffice")
    same(type(error), kind, f"exception for {status}")
    same((error.status, error.code, error.message), (status, "T", "D"), f"status, code and message for {status}")
    same((error.method, error.url, error.system), ("POST", URL, "crmoffice"), f"request named by the {status} error")


def test_validation_errors_give_the_first_field_and_every_message() -> None:
    body = (
        b'{"title": "One or more validation errors occurred.", "status": 400,'
        b' "errors": {"email": ["bad e-mail"], "givenName": ["too long", "odd"]}}'
    )
    error = error_from(_answer(400, body, PROBLEM), system="crmoffice")
    assert isinstance(error, ValidationError), f"expected a ValidationError, got {type(error).__name__}"
    same(error.field, "email", "first field")
    same(error.message, "email: bad e-mail givenName: too long givenName: odd", "message built from errors")


def test_a_body_level_error_names_no_field() -> None:
    body = b'{"title": "One or more validation errors occurred.", "status": 400, "errors": {"$": ["not JSON"]}}'
    error = error_from(_answer(400, body, PROBLEM), system="crmoffice")
    assert isinstance(error, ValidationError), f"expected a ValidationError, got {type(error).__name__}"
    same(error.field, None, "field of a '$' error")


def test_retry_after_is_read_from_a_429() -> None:
    error = error_from(_answer(429, b"", None, **{"Retry-After": "12"}), system="crmoffice")
    assert isinstance(error, ThrottledError), f"expected a ThrottledError, got {type(error).__name__}"
    same(error.retry_after, 12.0, "retry_after")


@pytest.mark.parametrize(
    ("case", "content", "content_type", "code", "message"),
    [
        ("an HTML page", b"<html><body><h1>502 Bad Gateway</h1>\n</body></html>", "text/html", "Bad Gateway", None),
        ("an empty body", b"", None, "Bad Gateway", "(no body)"),
        ("JSON that is not an object", b"[1, 2]", "application/json", "Bad Gateway", "[1, 2]"),
        ("JSON announced but broken", b"{oops", "application/json", "Bad Gateway", "{oops"),
        (
            "an OAuth error",
            b'{"error": "invalid_grant", "error_description": "used"}',
            "application/json",
            "invalid_grant",
            "used",
        ),
    ],
)
def test_bodies_that_are_not_problems_still_map(
    case: str, content: bytes, content_type: str | None, code: str, message: str | None
) -> None:
    error = error_from(_answer(502, content, content_type), system="crmoffice")
    same(type(error), ServerError, f"{case}: exception")
    same(error.code, code, f"{case}: code")
    if message is not None:
        same(error.message, message, f"{case}: message")
    else:
        assert "502 Bad Gateway" in error.message, (
            f"{case}: expected the page text in the message, got {error.message!r}"
        )


def test_long_text_bodies_are_cut(**_: Any) -> None:
    error = error_from(_answer(500, b"x" * 5000, "text/plain"), system="crmoffice")
    same(len(error.message), 200, "length of a message cut from a 5000-character body")


def test_redacted_values_never_reach_the_message() -> None:
    body = b'{"error": "invalid_client", "error_description": "secret s3cr3t is wrong"}'
    error = error_from(_answer(401, body, "application/json"), system="crmoffice", redact=["s3cr3t"])
    same(error.message, "secret *** is wrong", "redacted message")
