"""No secret (client secret, access token, refresh token) in any exception message, repr or log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from harness.client import AuthenticationError, RetryPolicy, TenantError
from harness.crmoffice import CRMOfficeAuth, CRMOfficeClient, Secret
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Mounted
from tests.crmoffice.helpers import get_token


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value and value in text]


class _Bearer(httpx.Auth):
    """A fixed bearer token, so the tenant's own 401 for a dead token reaches the client's exception."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _issued(fake: CRMOfficeFake) -> dict[str, str]:
    # A peek at the fake's own books: every access and refresh token it holds right now.
    tokens = [*fake.tokens._access, *fake.tokens._refresh]
    return {f"token {token[:4]}...": token for token in tokens}


def test_no_secret_in_errors_reprs_or_logs(
    fake: CRMOfficeFake, mounted: Mounted, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    get_token(http, fake)
    wrong = "wrong-secret-0123456789"
    secrets = {"client secret": fake.client_secret, "wrong secret": wrong}
    errors: list[TenantError] = []
    objects: list[object] = [fake, fake.tokens]
    retry = RetryPolicy(attempts=2, sleep=lambda _: None, jitter=0)

    with CRMOfficeClient.connect(fake.info(), transport=mounted.transport(), retry=retry) as client:
        auth = client.auth
        assert auth is not None, f"expected connect() to build an auth, got {auth!r}"
        objects += [client, auth]
        list(client.records("contacts"))
        fake.add_fault(method="GET", path="/contacts", status=401, times=2)
        with pytest.raises(AuthenticationError) as api_refusal:
            list(client.records("contacts"))
        errors.append(api_refusal.value)
        secrets.update(_issued(fake))
        fake.expire_tokens()
        expired = auth.access_token()
        fake.revoke_tokens()
        fake.add_fault(method="POST", path="/connect/token", drop=True, times=2)
        auth.invalidate()
        with pytest.raises(TenantError) as dropped:
            list(client.records("contacts"))
        errors.append(dropped.value)

    revoked = get_token(http, fake)["access_token"]
    secrets.update(_issued(fake))
    fake.revoke_tokens()
    for dead in (expired, revoked):
        with CRMOfficeClient(fake.info()["api"], auth=_Bearer(dead), transport=mounted.transport()) as client:
            with pytest.raises(AuthenticationError) as refused:
                list(client.records("contacts"))
            errors.append(refused.value)

    for info in ({**fake.info(), "client_secret": wrong}, {**fake.info(), "client_id": "nobody"}):
        with CRMOfficeClient.connect(info, transport=mounted.transport(), client_auth="basic") as client:
            objects += [client, client.auth]
            with pytest.raises(AuthenticationError) as refused:
                list(client.records("contacts"))
            errors.append(refused.value)
    secrets.update(_issued(fake))
    assert len(secrets) >= 5, (
        f"expected the client secret, a wrong one and at least 3 tokens to look for, got {secrets}"
    )

    for error in errors:
        for text in (str(error), repr(error), repr(error.args), str(error.__cause__), str(error.__context__)):
            leaked = _leaks(text, secrets)
            assert not leaked, f"expected no secret in {type(error).__name__}, found {leaked} in {text!r}"
    for thing in objects:
        for text in (repr(thing), str(thing)):
            leaked = _leaks(text, secrets)
            assert not leaked, f"expected no secret in the repr of {type(thing).__name__}, found {leaked}: {text!r}"
    leaked = _leaks(caplog.text, secrets)
    assert not leaked, f"expected no secret in the log, found {leaked}"


def test_secret_wrapper_hides_its_value() -> None:
    secret = Secret("hunter2")
    for text in (repr(secret), str(secret), f"{secret}", repr([secret])):
        assert "hunter2" not in text, f"expected the value hidden, got {text!r}"
    assert secret.reveal() == "hunter2", f"expected reveal() to give the value, got {secret.reveal()!r}"


def test_auth_repr_names_the_client_not_the_secret() -> None:
    auth = CRMOfficeAuth("https://sesam.crmoffice.no/connect/token", "sesam", "top-secret-value")
    text = repr(auth)
    auth.close()
    assert "sesam" in text and "top-secret-value" not in text, f"expected the client id and no secret, got {text!r}"
