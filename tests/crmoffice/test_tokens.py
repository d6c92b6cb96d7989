"""The token endpoint and bearer checks, through raw HTTP in both modes."""

from __future__ import annotations

import base64

import httpx
import pytest

from harness.crmoffice.fake import CRMOfficeFake
from tests.crmoffice.helpers import expect_status, get_token, oauth_error, problem, same


def _form(fake: CRMOfficeFake, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        **extra,
    }


def _basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def _bearer(http: httpx.Client, token: str) -> httpx.Response:
    return http.get("/contacts", headers={"Authorization": f"Bearer {token}"})


def test_client_credentials_without_scope_grants_crmoffice_and_no_refresh_token(
    http: httpx.Client, fake: CRMOfficeFake
) -> None:
    response = http.post("/connect/token", data=_form(fake))
    expect_status(response, 200, "client credentials without scope")
    body = response.json()
    same(set(body), {"access_token", "token_type", "expires_in", "scope"}, "token response keys without offline_access")
    same(body["token_type"], "Bearer", "token_type")
    same(body["expires_in"], 3600, "expires_in (default lifetime)")
    same(body["scope"], "crmoffice", "granted scope when none is asked")
    same(response.headers.get("Cache-Control"), "no-store", "Cache-Control of a token response")
    expect_status(_bearer(http, body["access_token"]), 200, "GET /contacts with the new token")


def test_offline_access_scope_brings_a_refresh_token(http: httpx.Client, fake: CRMOfficeFake) -> None:
    body = get_token(http, fake, scope="crmoffice offline_access")
    same(body["scope"], "crmoffice offline_access", "granted scope")
    assert isinstance(body.get("refresh_token"), str) and body["refresh_token"], (
        f"expected a refresh_token with offline_access, got keys {sorted(body)}"
    )


def test_http_basic_client_authentication(http: httpx.Client, fake: CRMOfficeFake) -> None:
    response = http.post(
        "/connect/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": _basic(fake.client_id, fake.client_secret)},
    )
    expect_status(response, 200, "client credentials with HTTP Basic")


@pytest.mark.parametrize(
    ("case", "data", "authorization", "status", "error"),
    [
        ("wrong secret in the form", {"client_secret": "wrong"}, None, 401, "invalid_client"),
        ("unknown client id", {"client_id": "someone-else"}, None, 401, "invalid_client"),
        ("no client credentials", {"client_id": None, "client_secret": None}, None, 401, "invalid_client"),
        ("Basic and form at once", {}, "basic", 400, "invalid_request"),
        ("no grant_type", {"grant_type": None}, None, 400, "invalid_request"),
        ("password grant", {"grant_type": "password"}, None, 400, "unsupported_grant_type"),
        ("unknown scope", {"scope": "crmoffice admin"}, None, 400, "invalid_scope"),
        ("refresh grant without a refresh token", {"grant_type": "refresh_token"}, None, 400, "invalid_request"),
        ("unknown refresh token", {"grant_type": "refresh_token", "refresh_token": "nope"}, None, 400, "invalid_grant"),
    ],
)
def test_token_request_errors(
    http: httpx.Client,
    fake: CRMOfficeFake,
    case: str,
    data: dict[str, str | None],
    authorization: str | None,
    status: int,
    error: str,
) -> None:
    form = {key: value for key, value in {**_form(fake), **data}.items() if value is not None}
    headers = {"Authorization": _basic(fake.client_id, fake.client_secret)} if authorization == "basic" else {}
    response = http.post("/connect/token", data=form, headers=headers)
    description = oauth_error(response, status, error, case)
    assert fake.client_secret not in description, f"{case}: the description leaks the client secret: {description!r}"


def test_wrong_basic_credentials_get_a_basic_challenge(http: httpx.Client, fake: CRMOfficeFake) -> None:
    response = http.post(
        "/connect/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": _basic(fake.client_id, "wrong")},
    )
    oauth_error(response, 401, "invalid_client", "wrong secret over HTTP Basic")
    same(response.headers.get("WWW-Authenticate"), 'Basic realm="crmoffice"', "challenge after a failed Basic login")


def test_token_request_must_be_form_encoded_and_parameters_single(http: httpx.Client, fake: CRMOfficeFake) -> None:
    oauth_error(http.post("/connect/token", json=_form(fake)), 400, "invalid_request", "a JSON token request")
    repeated = httpx.QueryParams([*_form(fake).items(), ("scope", "crmoffice"), ("scope", "offline_access")])
    response = http.post(
        "/connect/token",
        content=str(repeated),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    description = oauth_error(response, 400, "invalid_request", "a token request with scope twice")
    assert "scope" in description, f"expected the description to name 'scope', got {description!r}"


def test_token_endpoint_takes_only_post(http: httpx.Client) -> None:
    response = http.get("/connect/token")
    problem(response, 405, "GET /connect/token")
    same(response.headers.get("Allow"), "POST", "Allow header of /connect/token")


def test_access_token_expires_by_the_tenant_clock(http: httpx.Client, fake: CRMOfficeFake) -> None:
    token = get_token(http, fake)["access_token"]
    expect_status(http.put("/_harness/clock", json={"advance": 3599.999}), 200, "advancing the clock")
    expect_status(_bearer(http, token), 200, "the token 1 ms before its expiry")
    expect_status(http.put("/_harness/clock", json={"advance": 0.001}), 200, "advancing the clock to the expiry")
    response = _bearer(http, token)
    body = problem(response, 401, "the token at its expiry instant")
    assert "expired" in body["detail"], f"expected the detail to say the token expired, got {body['detail']!r}"
    challenge = response.headers.get("WWW-Authenticate", "")
    assert challenge.startswith('Bearer error="invalid_token"'), (
        f"expected an invalid_token challenge, got {challenge!r}"
    )


def test_token_lifetime_is_configurable(http: httpx.Client, fake: CRMOfficeFake) -> None:
    fake.set_token_lifetime(60)
    body = get_token(http, fake)
    same(body["expires_in"], 60, "expires_in after set_token_lifetime(60)")
    fake.clock.advance(60)
    problem(_bearer(http, body["access_token"]), 401, "a 60 s token after 60 s")
    with pytest.raises(ValueError, match="whole number of seconds"):
        fake.set_token_lifetime(0)


def test_refresh_tokens_rotate(http: httpx.Client, fake: CRMOfficeFake) -> None:
    first = get_token(http, fake)
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    response = http.post("/connect/token", data=_form(fake, **refresh))
    expect_status(response, 200, "the first use of a refresh token")
    second = response.json()
    assert second["access_token"] != first["access_token"], "expected a new access token from the refresh grant"
    assert second["refresh_token"] != first["refresh_token"], "expected a new refresh token (rotation)"
    same(second["scope"], "crmoffice offline_access", "scope kept by the refresh grant")
    oauth_error(
        http.post("/connect/token", data=_form(fake, **refresh)),
        400,
        "invalid_grant",
        "reusing a rotated refresh token",
    )
    expect_status(_bearer(http, second["access_token"]), 200, "the refreshed access token")
    expect_status(_bearer(http, first["access_token"]), 200, "the first access token, still within its lifetime")
    again = {"grant_type": "refresh_token", "refresh_token": second["refresh_token"]}
    expect_status(http.post("/connect/token", data=_form(fake, **again)), 200, "the rotated refresh token")


def test_refresh_grant_cannot_widen_the_scope(http: httpx.Client, fake: CRMOfficeFake) -> None:
    offline_only = get_token(http, fake, scope="offline_access")
    response = _bearer(http, offline_only["access_token"])
    problem(response, 403, "an API call with a token lacking the crmoffice scope")
    challenge = response.headers.get("WWW-Authenticate", "")
    assert 'error="insufficient_scope"' in challenge, f"expected an insufficient_scope challenge, got {challenge!r}"
    widen = {"grant_type": "refresh_token", "refresh_token": offline_only["refresh_token"], "scope": "crmoffice"}
    oauth_error(http.post("/connect/token", data=_form(fake, **widen)), 400, "invalid_scope", "widening on refresh")


def test_refresh_token_of_expired_access_token_still_works(http: httpx.Client, fake: CRMOfficeFake) -> None:
    first = get_token(http, fake)
    fake.expire_tokens()
    problem(_bearer(http, first["access_token"]), 401, "an access token after expire_tokens()")
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    response = http.post("/connect/token", data=_form(fake, **refresh))
    expect_status(response, 200, "refreshing after expire_tokens()")
    expect_status(_bearer(http, response.json()["access_token"]), 200, "the access token from the refresh")


def test_revoked_tokens_are_unknown(http: httpx.Client, fake: CRMOfficeFake) -> None:
    first = get_token(http, fake)
    fake.revoke_tokens()
    body = problem(_bearer(http, first["access_token"]), 401, "an access token after revoke_tokens()")
    assert "unknown or revoked" in body["detail"], (
        f"expected 'unknown or revoked' in the detail, got {body['detail']!r}"
    )
    refresh = {"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}
    oauth_error(
        http.post("/connect/token", data=_form(fake, **refresh)), 400, "invalid_grant", "a revoked refresh token"
    )


@pytest.mark.parametrize(
    ("case", "authorization", "challenge"),
    [
        ("no Authorization header", None, "Bearer"),
        ("an empty Authorization header", "", "Bearer"),
        ("the Basic scheme", "Basic Zm9vOmJhcg==", "Bearer"),
        ("Bearer without a token", "Bearer", "Bearer"),
        ("an unknown token", "Bearer 0123456789abcdef", 'Bearer error="invalid_token"'),
    ],
)
def test_api_without_a_valid_bearer_token_is_401(
    http: httpx.Client, case: str, authorization: str | None, challenge: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in (("GET", "/companies"), ("POST", "/contacts"), ("DELETE", "/contacts/x")):
        response = http.request(method, path, headers=headers, json={})
        problem(response, 401, f"{case}: {method} {path}")
        got = response.headers.get("WWW-Authenticate", "")
        assert got.startswith(challenge), (
            f"{case}: {method} {path}: expected a challenge like {challenge!r}, got {got!r}"
        )
