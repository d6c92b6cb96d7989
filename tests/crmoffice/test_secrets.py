"""No secret (client secret, access token, refresh token) in any exception message, repr or log line."""

from __future__ import annotations

import logging

import httpx
import pytest

from harness.client import AuthenticationError, RetryPolicy, TenantError
from harness.crmoffice import CRMOfficeAuth, CRMOfficeClient, CRMOfficeFake, Secret
from harness.fakes import Mounted
from tests.crmoffice.support import get_token


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value and value in text]


def test_no_secret_in_errors_reprs_or_logs(
    fake: CRMOfficeFake, mounted: Mounted, http: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    issued = get_token(http, fake)
    secrets = {
        "client secret": fake.client_secret,
        "access token": issued["access_token"],
        "refresh token": issued["refresh_token"],
    }
    wrong = "wrong-secret-0123456789"
    secrets["wrong secret"] = wrong
    errors: list[TenantError] = []
    objects: list[object] = [fake, fake.tokens]
    retry = RetryPolicy(attempts=2, sleep=lambda _: None, jitter=0)

    with CRMOfficeClient.connect(fake.info(), transport=mounted.transport(), retry=retry) as client:
        objects += [client, client._owned_auth]
        list(client.records("contacts"))
        auth = client._owned_auth
        assert auth is not None, "expected connect() to build an auth"
        token = auth.access_token()
        refresh = auth._token.refresh if auth._token else None
        secrets["client's access token"] = token
        secrets["client's refresh token"] = refresh.reveal() if refresh else ""
        fake.add_fault(method="GET", path="/contacts", status=401, times=2)
        with pytest.raises(AuthenticationError) as api_refusal:
            list(client.records("contacts"))
        errors.append(api_refusal.value)
        fake.revoke_tokens()
        fake.add_fault(method="POST", path="/connect/token", drop=True, times=2)
        auth.invalidate()
        with pytest.raises(TenantError) as dropped:
            list(client.records("contacts"))
        errors.append(dropped.value)

    for info in ({**fake.info(), "client_secret": wrong}, {**fake.info(), "client_id": "nobody"}):
        with CRMOfficeClient.connect(info, transport=mounted.transport(), client_auth="basic") as client:
            objects += [client, client._owned_auth]
            with pytest.raises(AuthenticationError) as refused:
                list(client.records("contacts"))
            errors.append(refused.value)

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
