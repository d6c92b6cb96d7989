"""The optional rate limit: per token, by the tenant's clock, 429 with Retry-After."""

from __future__ import annotations

import httpx
import pytest

from harness.client import RetryPolicy, ThrottledError
from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Mounted
from tests.crmoffice.helpers import expect_status, get_token, problem, same


def test_off_by_default(api: httpx.Client) -> None:
    for number in range(50):
        expect_status(api.get("/companies"), 200, f"request {number} without a rate limit")


def test_over_the_limit_is_429_with_retry_after_until_the_window_ends(api: httpx.Client, fake: CRMOfficeFake) -> None:
    fake.set_rate_limit(2, per_seconds=60)
    expect_status(api.get("/companies"), 200, "request 1 of 2")
    fake.clock.advance(15)
    expect_status(api.get("/companies"), 200, "request 2 of 2")
    response = api.get("/companies")
    problem(response, 429, "request 3 of 2")
    same(response.headers.get("Retry-After"), "45", "Retry-After 15 s into a 60 s window")
    fake.clock.advance(44.5)
    same(api.get("/companies").headers.get("Retry-After"), "1", "Retry-After with 0.5 s left (rounded up)")
    fake.clock.advance(0.5)
    expect_status(api.get("/companies"), 200, "the first request of the next window")


def test_each_token_has_its_own_window(api: httpx.Client, http: httpx.Client, fake: CRMOfficeFake) -> None:
    fake.set_rate_limit(1, per_seconds=10)
    expect_status(api.get("/companies"), 200, "the first token's request")
    problem(api.get("/companies"), 429, "the first token's second request")
    for _ in range(3):
        get_token(http, fake)  # the token endpoint is not rate limited
    other = get_token(http, fake)["access_token"]
    expect_status(http.get("/companies", headers={"Authorization": f"Bearer {other}"}), 200, "another token's request")
    fake.reset()
    expect_status(api.get("/companies"), 200, "the first token after reset (windows cleared, limit kept)")
    problem(api.get("/companies"), 429, "the first token's second request after reset")
    fake.set_rate_limit(None)
    expect_status(api.get("/companies"), 200, "a request after turning the limit off")


def test_the_client_waits_as_told_and_gets_through(fake: CRMOfficeFake, mounted: Mounted) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        # Waiting moves the tenant's clock, so the retry lands in the next window without real time passing.
        waits.append(seconds)
        fake.clock.advance(seconds)

    retry = RetryPolicy(sleep=sleep, jitter=0)
    with CRMOfficeClient.connect(fake.info(), transport=mounted.transport(), retry=retry) as client:
        fake.set_rate_limit(2, per_seconds=30)
        for _ in range(3):
            same(list(client.records("contacts")), [], "contacts under a rate limit")
    same(waits, [30.0], "waits of the client under a 2-per-30-s limit")


def test_the_client_gives_up_within_its_budget(fake: CRMOfficeFake, mounted: Mounted) -> None:
    waits: list[float] = []
    retry = RetryPolicy(sleep=waits.append, jitter=0)
    with CRMOfficeClient.connect(fake.info(), transport=mounted.transport(), retry=retry) as client:
        fake.set_rate_limit(1, per_seconds=60)
        list(client.records("contacts"))
        with pytest.raises(ThrottledError) as caught:
            list(client.records("contacts"))
    same((caught.value.status, caught.value.retry_after), (429, 60.0), "the ThrottledError")
    same(waits, [60.0] * 4, "waits before giving up (the clock never moved)")


def test_bad_limits_are_refused(fake: CRMOfficeFake) -> None:
    for requests, per_seconds in ((0, 60.0), (5, 0.0), (True, 60.0)):
        with pytest.raises(ValueError, match="rate limit"):
            fake.set_rate_limit(requests, per_seconds)
