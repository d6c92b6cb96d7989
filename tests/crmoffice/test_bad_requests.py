"""Every bad request gets problem+json naming what is wrong: never a traceback, never a 500."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Clock, IdSource, mount
from tests.crmoffice.helpers import START, get_token, problem, same, validation


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/users"), ("GET", "/companies/"), ("GET", "/contacts/a/b"), ("POST", "/connect/authorize")],
)
def test_unknown_paths_are_404(api: httpx.Client, method: str, path: str) -> None:
    problem(api.request(method, path), 404, f"{method} {path}")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/companies", "GET, POST"),
        ("DELETE", "/contacts", "GET, POST"),
        ("PUT", "/contacts/3f2504e0-4f89-41d3-9a0c-0305e82c3301", "DELETE, GET, PATCH"),
        ("POST", "/companies/3f2504e0-4f89-41d3-9a0c-0305e82c3301", "DELETE, GET, PATCH"),
        ("HEAD", "/companies", "GET, POST"),
        ("PATCH", "/connect/token", "POST"),
    ],
)
def test_methods_a_path_does_not_take_are_405_with_allow(api: httpx.Client, method: str, path: str, allow: str) -> None:
    response = api.request(method, path)
    same(response.status_code, 405, f"status of {method} {path}")
    same(response.headers.get("Allow"), allow, f"Allow header of {method} {path}")
    if method != "HEAD":
        problem(response, 405, f"{method} {path}")


@pytest.mark.parametrize(
    ("case", "content_type", "content"),
    [
        ("text/plain", "text/plain", b'{"givenName": "Kari"}'),
        ("a form", "application/x-www-form-urlencoded", b"givenName=Kari"),
        ("no Content-Type", None, b'{"givenName": "Kari"}'),
        ("XML", "application/xml", b"<contact/>"),
    ],
)
def test_a_body_not_declared_json_is_415(
    api: httpx.Client, case: str, content_type: str | None, content: bytes
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    for method, path in (("POST", "/contacts"), ("PATCH", "/contacts/3f2504e0-4f89-41d3-9a0c-0305e82c3301")):
        body = problem(api.request(method, path, content=content, headers=headers), 415, f"{method} {path} with {case}")
        assert "application/json" in body["detail"], f"{case}: expected the detail to name application/json, got {body}"


@pytest.mark.parametrize(
    ("case", "content", "field", "fragment"),
    [
        ("an empty body", b"", "$", "non-empty"),
        ("whitespace", b"  \n", "$", "non-empty"),
        ("malformed JSON", b'{"givenName": ', "$", "not valid JSON"),
        ("a JSON array", b'[{"givenName": "Kari"}]', "$", "got array"),
        ("a JSON string", b'"Kari"', "$", "got string"),
        ("JSON null", b"null", "$", "got null"),
        ("bytes that are not UTF-8", b'{"givenName": "K\xe5ri"}', "$", "UTF-8"),
        ("a field given twice", b'{"givenName": "Kari", "givenName": "Ola"}', "givenName", "twice"),
        ("deep nesting", b"[" * 100_000 + b"]" * 100_000, "$", "JSON"),
        ("a number with 5000 digits", b'{"givenName": ' + b"9" * 5000 + b"}", "$", "JSON"),
        ("NaN", b'{"givenName": NaN}', "givenName", "got number"),
    ],
)
def test_bad_json_bodies_are_400_naming_the_problem(
    api: httpx.Client, case: str, content: bytes, field: str, fragment: str
) -> None:
    response = api.post("/contacts", content=content, headers={"Content-Type": "application/json"})
    messages = validation(response, field, case)
    assert any(fragment in message for message in messages), f"{case}: expected {fragment!r} in {messages}"


def test_merge_patch_content_type_is_accepted(api: httpx.Client) -> None:
    created = api.post("/contacts", json={"givenName": "Kari"}).json()
    response = api.patch(
        f"/contacts/{created['id']}",
        content=b'{"familyName": "Berg"}',
        headers={"Content-Type": "application/merge-patch+json; charset=utf-8"},
    )
    same(response.status_code, 200, f"PATCH contact {created['id']} as application/merge-patch+json")


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_bad_ids_are_400_naming_id(api: httpx.Client, method: str) -> None:
    kwargs: dict[str, Any] = {"json": {"givenName": "Kari"}} if method == "PATCH" else {}
    for bad in ("42", "not-a-guid", "3f2504e0-4f89-41d3-9a0c-0305e82c330", "x" * 300):
        validation(api.request(method, f"/contacts/{bad}", **kwargs), "id", f"{method} /contacts/{bad[:40]}")


def test_injected_statuses_render_as_problems(api: httpx.Client, fake: CRMOfficeFake) -> None:
    for status in (400, 401, 403, 404, 409, 418, 429, 500, 502, 503, 504):
        fake.add_fault(method="GET", path="/companies", status=status)
        problem(api.get("/companies"), status, f"an injected {status}")


def test_control_plane_refuses_bad_input_with_a_message(http: httpx.Client) -> None:
    for method, path, body in (
        ("POST", "/_harness/faults", {"status": 200}),
        ("POST", "/_harness/faults", {"nonsense": 1}),
        ("PUT", "/_harness/clock", {"advance": "soon"}),
        ("POST", "/_harness/seed", {"users": []}),
        ("POST", "/_harness/seed", {"contacts": [{"givenName": None}]}),
    ):
        response = http.request(method, path, json=body)
        same(response.status_code, 400, f"status of {method} {path} with {body}")
        assert response.json().get("error"), (
            f"expected an error message for {method} {path} {body}, got {response.text}"
        )


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats(allow_nan=False, allow_infinity=False)
            | st.text(max_size=60),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
            max_leaves=12,
        ).map(lambda value: httpx.Request("POST", "/", json=value).content),
        st.dictionaries(
            st.sampled_from(["givenName", "familyName", "company", "directPhone", "email", "id", "postAddress"]),
            st.none()
            | st.text(max_size=120)
            | st.integers()
            | st.dictionaries(st.text(max_size=8), st.text(max_size=8)),
            max_size=5,
        ).map(lambda value: httpx.Request("POST", "/", json=value).content),
    ),
    method=st.sampled_from(["POST", "PATCH"]),
)
def test_any_body_gets_a_vendor_answer_never_a_500(content: bytes, method: str) -> None:
    fake = CRMOfficeFake(clock=Clock(START, frozen=True), ids=IdSource(1))
    with mount(fake, "mock") as mounted, mounted.client() as http:
        token = get_token(http, fake)["access_token"]
        target = fake.seed({"contacts": [{"givenName": "Mål"}]})["contacts"][0]["id"]
        path = "/contacts" if method == "POST" else f"/contacts/{target}"
        response = http.request(
            method,
            path,
            content=content,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
    same(fake.internal_errors, [], f"internal errors for {method} {content[:80]!r}")
    assert response.status_code in (200, 201, 400), (
        f"{method} {content[:80]!r}: expected 200/201/400, got {response.text}"
    )
    if response.status_code == 400:
        problem(response, 400, f"{method} {content[:80]!r}")
