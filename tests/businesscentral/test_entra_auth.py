"""EntraAuth: MSAL's client-credentials tokens for Business Central, with ``responses`` standing in for Entra ID."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterator
from urllib.parse import parse_qs

import httpx
import jwt
import pytest
import requests
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.client.auth import EntraAuth
from harness.client import AuthenticationError, RetryPolicy, TransportError

AUTHORITY = "https://login.entra.test"
TENANT = "contoso.onmicrosoft.com"
CLIENT_ID = "11111111-2222-3333-4444-555555555555"
SECRET = "s3cret-Value~that-must-never-show"
SCOPE = "https://api.businesscentral.dynamics.com/.default"
DISCOVERY = f"{AUTHORITY}/{TENANT}/v2.0/.well-known/openid-configuration"
TOKEN_URL = f"{AUTHORITY}/{TENANT}/oauth2/v2.0/token"
BC_API = f"https://bc.test/v2.0/{TENANT}/Sandbox/api/v2.0"


@pytest.fixture
def entra() -> Iterator[responses.RequestsMock]:
    """Entra ID's OpenID configuration for TENANT; each test adds the token answers it needs."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.get(
            DISCOVERY,
            json={
                "authorization_endpoint": f"{AUTHORITY}/{TENANT}/oauth2/v2.0/authorize",
                "token_endpoint": TOKEN_URL,
                "issuer": f"{AUTHORITY}/{TENANT}/v2.0",
            },
        )
        yield mock


def _token(entra: responses.RequestsMock, access: str, expires_in: int = 3600) -> None:
    entra.post(TOKEN_URL, json={"token_type": "Bearer", "expires_in": expires_in, "access_token": access})


def _token_posts(entra: responses.RequestsMock) -> list[dict[str, list[str]]]:
    return [parse_qs(str(call.request.body)) for call in entra.calls if call.request.method == "POST"]


class BusinessCentral:
    """Business Central behind an ``httpx.MockTransport``: 401 for the tokens in ``refused``, companies otherwise."""

    def __init__(self, refused: Callable[[str], bool] = lambda token: False) -> None:
        self.refused = refused
        self.tokens: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.tokens.append(token)
        if self.refused(token):
            body = {"error": {"code": "Authentication_InvalidCredentials", "message": "The server has rejected..."}}
            return httpx.Response(401, json=body)
        return httpx.Response(200, json={"value": [{"id": "c1", "name": "CRONUS NO"}]})

    def client(self, auth: httpx.Auth) -> BusinessCentralClient:
        retry = RetryPolicy(attempts=1, sleep=lambda _: None, jitter=0)
        return BusinessCentralClient(BC_API, "c1", auth=auth, transport=httpx.MockTransport(self), retry=retry)


def _secret_auth() -> EntraAuth:
    return EntraAuth(TENANT, CLIENT_ID, client_secret=SECRET, authority=AUTHORITY, scope=SCOPE)


def test_a_client_secret_gets_a_client_credentials_token(entra: responses.RequestsMock) -> None:
    _token(entra, "AT-1")
    bc = BusinessCentral()
    with bc.client(_secret_auth()) as client:
        client.companies()
    posts = _token_posts(entra)
    assert len(posts) == 1, f"expected one token request, got {posts}"
    form = posts[0]
    assert form.get("grant_type") == ["client_credentials"], f"expected client_credentials, got {form}"
    assert form.get("scope") == [SCOPE], f"expected scope {SCOPE}, got {form.get('scope')}"
    assert form.get("client_id") == [CLIENT_ID], f"expected client id {CLIENT_ID}, got {form.get('client_id')}"
    assert form.get("client_secret") == [SECRET], "expected the client secret in the form"
    assert bc.tokens == ["AT-1"], f"expected Business Central to see AT-1, got {bc.tokens}"


def _certificate() -> tuple[rsa.RSAPrivateKey, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harness-test")])
    now = datetime.datetime.now(datetime.UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    builder = builder.serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
    certificate = builder.sign(key, hashes.SHA256())
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode() + pem_key
    return key, pem, certificate.fingerprint(hashes.SHA1()).hex().upper()


def test_a_certificate_posts_a_signed_client_assertion(entra: responses.RequestsMock) -> None:
    key, pem, thumbprint = _certificate()
    _token(entra, "AT-cert")
    auth = EntraAuth(TENANT, CLIENT_ID, private_key=pem, thumbprint=thumbprint, authority=AUTHORITY, scope=SCOPE)
    assert auth.access_token() == "AT-cert", "expected the token Entra issued"
    form = _token_posts(entra)[0]
    assert "client_secret" not in form, f"expected no client secret with a certificate, got {sorted(form)}"
    assert form.get("client_assertion_type") == ["urn:ietf:params:oauth:client-assertion-type:jwt-bearer"], form
    claims = jwt.decode(form["client_assertion"][0], key.public_key(), algorithms=["RS256"], audience=TOKEN_URL)
    assert claims["iss"] == claims["sub"] == CLIENT_ID, f"expected iss = sub = {CLIENT_ID}, got {claims}"
    assert jwt.get_unverified_header(form["client_assertion"][0]).get("x5t"), "expected the thumbprint as x5t"


def test_a_cached_token_serves_the_next_request(entra: responses.RequestsMock) -> None:
    _token(entra, "AT-1")
    auth = _secret_auth()
    bc = BusinessCentral()
    with bc.client(auth) as client:
        client.companies()
        client.companies()
    assert len(_token_posts(entra)) == 1, f"expected one token request for two calls, got {len(_token_posts(entra))}"
    assert bc.tokens == ["AT-1", "AT-1"], f"expected the same token twice, got {bc.tokens}"
    assert auth.token_requests == 1, f"expected token_requests 1, got {auth.token_requests}"


def test_a_token_within_five_minutes_of_expiry_is_renewed(entra: responses.RequestsMock) -> None:
    # MSAL treats a cached token with less than 5 minutes left as expired.
    _token(entra, "AT-short", expires_in=299)
    bc = BusinessCentral()
    with bc.client(_secret_auth()) as client:
        client.companies()
        client.companies()
    assert len(_token_posts(entra)) == 2, f"expected a new token for the second call, got {len(_token_posts(entra))}"


def test_a_token_is_renewed_once_its_hour_has_passed(
    entra: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _token(entra, "AT-1")
    _token(entra, "AT-2")
    auth = _secret_auth()
    assert auth.access_token() == "AT-1", "expected the first token"
    later = time.time() + 3400
    monkeypatch.setattr(time, "time", lambda: later)
    assert auth.access_token() == "AT-2", "expected a new token 3,400 s later (under 5 minutes left)"
    assert len(_token_posts(entra)) == 2, f"expected two token requests, got {len(_token_posts(entra))}"


def test_a_401_renews_the_token_once_and_retries(entra: responses.RequestsMock) -> None:
    _token(entra, "AT-1")
    _token(entra, "AT-2")
    bc = BusinessCentral(refused=lambda token: token == "AT-1")
    with bc.client(_secret_auth()) as client:
        companies = client.companies()
    assert companies == [{"id": "c1", "name": "CRONUS NO"}], f"expected the companies after the retry, got {companies}"
    assert bc.tokens == ["AT-1", "AT-2"], f"expected AT-1 refused then AT-2, got {bc.tokens}"
    assert len(_token_posts(entra)) == 2, f"expected one renewal, got {len(_token_posts(entra))} token requests"


def test_a_second_401_is_an_authentication_error(entra: responses.RequestsMock) -> None:
    _token(entra, "AT-1")
    _token(entra, "AT-2")
    bc = BusinessCentral(refused=lambda token: True)
    with bc.client(_secret_auth()) as client, pytest.raises(AuthenticationError) as refused:
        client.companies()
    assert refused.value.status == 401, f"expected status 401, got {refused.value.status}"
    assert bc.tokens == ["AT-1", "AT-2"], f"expected exactly one retry, got {bc.tokens}"
    assert len(_token_posts(entra)) == 2, f"expected one renewal, got {len(_token_posts(entra))} token requests"


REFUSALS = {
    "invalid secret": (
        "token",
        401,
        "invalid_client",
        "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client "
        "secret value, not the client secret ID.",
    ),
    "unknown app": (
        "token",
        400,
        "unauthorized_client",
        f"AADSTS700016: Application with identifier '{CLIENT_ID}' was not found in the directory 'Contoso'.",
    ),
    "unknown tenant": (
        "discovery",
        400,
        "invalid_tenant",
        f"AADSTS90002: Tenant '{TENANT}' not found. Check to make sure you have the correct tenant ID.",
    ),
}


@pytest.mark.parametrize("case", REFUSALS, ids=list(REFUSALS))
def test_entra_refusals_name_the_code_tenant_and_client_but_never_the_secret(case: str) -> None:
    where, status, code, description = REFUSALS[case]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as entra:
        body = {"error": code, "error_description": description, "error_codes": [int(description[6:].split(":")[0])]}
        if where == "discovery":
            entra.get(DISCOVERY, status=status, json=body)
        else:
            entra.get(DISCOVERY, json={"authorization_endpoint": f"{AUTHORITY}/x", "token_endpoint": TOKEN_URL})
            entra.post(TOKEN_URL, status=status, json=body)
        auth = _secret_auth()
        with BusinessCentral().client(auth) as client, pytest.raises(AuthenticationError) as refused:
            client.companies()
    text = str(refused.value)
    aadsts = description.split(":")[0]
    for expected in (code, aadsts, TENANT, CLIENT_ID):
        assert expected in text, f"expected {expected!r} in the error, got {text!r}"
    assert refused.value.code == code, f"expected code {code}, got {refused.value.code}"
    assert refused.value.status == status, f"expected status {status}, got {refused.value.status}"
    for shown in (text, repr(refused.value), repr(auth)):
        assert SECRET not in shown, f"expected no secret in {shown!r}"


@pytest.mark.parametrize("step", ["discovery", "token"])
def test_an_unreachable_entra_is_a_transport_error(step: str) -> None:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as entra:
        if step == "discovery":
            entra.get(DISCOVERY, body=requests.ConnectionError("Name or service not known"))
        else:
            entra.get(DISCOVERY, json={"authorization_endpoint": f"{AUTHORITY}/x", "token_endpoint": TOKEN_URL})
            entra.post(TOKEN_URL, body=requests.ConnectionError("Connection refused"))
        with BusinessCentral().client(_secret_auth()) as client, pytest.raises(TransportError) as unreachable:
            client.companies()
    text = str(unreachable.value)
    for expected in ("cannot reach Entra ID", AUTHORITY, TENANT, CLIENT_ID):
        assert expected in text, f"expected {expected!r} in the error, got {text!r}"
    assert SECRET not in text, f"expected no secret in {text!r}"
    assert unreachable.value.maybe_applied is False, "expected maybe_applied False for a token request"


def test_the_repr_shows_no_credential() -> None:
    _, pem, thumbprint = _certificate()
    for auth in (_secret_auth(), EntraAuth(TENANT, CLIENT_ID, private_key=pem, thumbprint=thumbprint)):
        shown = repr(auth)
        assert SECRET not in shown and "PRIVATE KEY" not in shown, f"expected no credential in {shown!r}"
        assert TENANT in shown and CLIENT_ID in shown, f"expected tenant and client id in {shown!r}"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, "either client_secret or private_key"),
        ({"client_secret": SECRET, "private_key": "x", "thumbprint": "A" * 40}, "either client_secret or private_key"),
        ({"private_key": "not a key", "thumbprint": "A" * 40}, "no usable PEM private key"),
        ({"client_secret": SECRET, "authority": "http://login.entra.test"}, "https origin"),
    ],
    ids=["no credential", "two credentials", "not a key", "http authority"],
)
def test_unusable_arguments_are_refused(kwargs: dict[str, str], expected: str) -> None:
    with pytest.raises(ValueError, match=expected) as refused:
        EntraAuth(TENANT, CLIENT_ID, **kwargs)  # type: ignore[arg-type]
    assert SECRET not in str(refused.value), f"expected no secret in {refused.value}"
