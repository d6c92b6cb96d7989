"""CRMOfficeAuth: caching, renewal by refresh token or credentials, 401 handling, token endpoint errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.client import AuthenticationError, RetryPolicy
from harness.crmoffice import CRMOfficeAuth, CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Mounted
from tests.crmoffice.helpers import same


class LocalClock:
    """The auth's monotonic clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def local() -> LocalClock:
    return LocalClock()


@pytest.fixture
def auth(fake: CRMOfficeFake, mounted: Mounted, local: LocalClock) -> Iterator[CRMOfficeAuth]:
    auth = CRMOfficeAuth(
        fake.info()["token_url"],
        fake.client_id,
        fake.client_secret,
        transport=mounted.transport(),
        retry=RetryPolicy(sleep=lambda _: None, jitter=0),
        monotonic=local,
    )
    yield auth
    auth.close()


@pytest.fixture
def authed(auth: CRMOfficeAuth, fake: CRMOfficeFake, mounted: Mounted) -> Iterator[CRMOfficeClient]:
    with CRMOfficeClient(fake.info()["api"], auth=auth, transport=mounted.transport()) as client:
        yield client


def _token_requests(fake: CRMOfficeFake) -> int:
    return int(fake.counts()["routes"].get("POST connect/token", 0))


def test_the_token_is_cached(authed: CRMOfficeClient, auth: CRMOfficeAuth, fake: CRMOfficeFake) -> None:
    for _ in range(3):
        list(authed.records("contacts"))
    same(_token_requests(fake), 1, "token requests for three reads")
    same(auth.grants, {"client_credentials": 1, "refresh_token": 0}, "grants used")


def test_a_token_is_renewed_before_its_expiry_by_the_local_clock(
    authed: CRMOfficeClient, auth: CRMOfficeAuth, fake: CRMOfficeFake, local: LocalClock
) -> None:
    list(authed.records("contacts"))
    local.now += 3600 - 30 - 1
    list(authed.records("contacts"))
    same(auth.grants["refresh_token"], 0, "refresh grants 31 s before expiry")
    local.now += 1
    list(authed.records("contacts"))
    same(auth.grants, {"client_credentials": 1, "refresh_token": 1}, "grants 30 s before expiry (the margin)")
    same(fake.counts()["routes"]["GET contacts"], 3, "GET contacts requests (no 401 on the way)")


def test_a_token_expired_by_the_tenant_clock_is_renewed_on_401(
    authed: CRMOfficeClient, auth: CRMOfficeAuth, fake: CRMOfficeFake
) -> None:
    list(authed.records("contacts"))
    fake.clock.advance(3600)
    list(authed.records("contacts"))
    same(auth.grants, {"client_credentials": 1, "refresh_token": 1}, "grants after the tenant expired the token")
    same(fake.counts()["routes"]["GET contacts"], 3, "GET contacts requests (one refused with 401, sent again)")


def test_revoked_tokens_fall_back_to_the_client_credentials(
    authed: CRMOfficeClient, auth: CRMOfficeAuth, fake: CRMOfficeFake
) -> None:
    list(authed.records("contacts"))
    fake.revoke_tokens()
    list(authed.records("contacts"))
    same(auth.grants, {"client_credentials": 2, "refresh_token": 0}, "grants after revocation (refresh refused)")
    routes = fake.counts()["routes"]
    same(routes["POST connect/token"], 3, "token requests: first, refused refresh, credentials")


def test_without_offline_access_renewal_uses_the_credentials(fake: CRMOfficeFake, mounted: Mounted) -> None:
    info = fake.info()
    with CRMOfficeClient.connect(info, transport=mounted.transport(), scope="crmoffice") as client:
        list(client.records("contacts"))
        fake.expire_tokens()
        list(client.records("contacts"))
    same(fake.counts()["routes"]["POST connect/token"], 2, "token requests without a refresh token")


def test_basic_client_authentication(fake: CRMOfficeFake, mounted: Mounted) -> None:
    with CRMOfficeClient.connect(fake.info(), transport=mounted.transport(), client_auth="basic") as client:
        same(list(client.records("contacts")), [], "contacts read with HTTP Basic client authentication")


def test_wrong_client_secret_is_an_authentication_error(fake: CRMOfficeFake, mounted: Mounted) -> None:
    info = {**fake.info(), "client_secret": "not-the-secret"}
    with (
        CRMOfficeClient.connect(info, transport=mounted.transport()) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        list(client.records("contacts"))
    error = caught.value
    same((error.system, error.status, error.code), ("crmoffice", 401, "invalid_client"), "the token refusal")
    same(error.url, info["token_url"], "URL of the refusal")


def test_unknown_scope_is_an_authentication_error(fake: CRMOfficeFake, mounted: Mounted) -> None:
    with (
        CRMOfficeClient.connect(fake.info(), transport=mounted.transport(), scope="crmoffice admin") as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        list(client.records("contacts"))
    same((caught.value.status, caught.value.code), (400, "invalid_scope"), "the refusal of an unknown scope")


@pytest.mark.parametrize(
    ("case", "body", "fragment"),
    [
        ("not JSON", b"<html>ok</html>", "not a JSON object"),
        ("no access_token", b'{"token_type": "Bearer"}', "no access_token"),
        ("a MAC token", b'{"access_token": "a", "token_type": "mac"}', "not Bearer"),
        ("a text lifetime", b'{"access_token": "a", "token_type": "Bearer", "expires_in": "1h"}', "expires_in"),
    ],
)
def test_an_unusable_token_answer_is_an_authentication_error(case: str, body: bytes, fragment: str) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=body))
    auth = CRMOfficeAuth("https://sesam.crmoffice.no/connect/token", "id", "secret", transport=transport)
    with pytest.raises(AuthenticationError, match=fragment) as caught:
        auth.access_token()
    same(caught.value.code, "invalid_token_response", f"{case}: code")
    auth.close()


def test_a_token_answer_without_expires_in_is_kept_until_refused() -> None:
    answers = iter(
        [b'{"access_token": "first", "token_type": "bearer"}', b'{"access_token": "second", "token_type": "Bearer"}']
    )
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=next(answers)))
    auth = CRMOfficeAuth("https://sesam.crmoffice.no/connect/token", "id", "secret", transport=transport)
    same((auth.access_token(), auth.access_token()), ("first", "first"), "tokens without expires_in")
    auth.close()


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"token_url": "/connect/token"}, "absolute http"),
        ({"client_id": ""}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"client_auth": "jwt"}, "client_auth"),
        ({"margin": -1}, "margin"),
    ],
)
def test_auth_refuses_bad_settings(kwargs: dict[str, object], fragment: str) -> None:
    settings: dict[str, object] = {"token_url": "https://x.test/connect/token", "client_id": "id", "client_secret": "s"}
    settings.update(kwargs)
    with pytest.raises(ValueError, match=fragment):
        CRMOfficeAuth(**settings)  # type: ignore[arg-type]


def test_connect_refuses_incomplete_info() -> None:
    with pytest.raises(ValueError, match="lacks token_url, client_secret"):
        CRMOfficeClient.connect({"api": "http://x.test/", "client_id": "id"})
