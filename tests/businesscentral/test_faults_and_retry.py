"""Throttling, gateway errors, timeouts and dropped connections: the fault plan, and the client's bounded retries."""

from __future__ import annotations

import httpx
import pytest

from harness.businesscentral.client import BatchOperation, BusinessCentralClient
from harness.businesscentral.fake import BusinessCentralFake
from harness.client import BearerToken, RetryPolicy, ServerError, ThrottledError, TransportError
from harness.fakes import Clock, Mounted, mount
from tests.businesscentral.helpers import assert_error


def test_a_429_with_retry_after_is_waited_out_and_retried(
    client: BusinessCentralClient, bc: BusinessCentralFake, sleeps: list[float]
) -> None:
    bc.add_fault(method="GET", path="*/customers", status=429, retry_after=2.5, times=2)
    assert list(client.pages("customers")) == [[]]
    assert sleeps == [2.5, 2.5], f"expected the client to wait Retry-After twice, waited {sleeps}"
    assert bc.counts()["routes"]["GET customers"] == 3


def test_a_503_without_retry_after_backs_off_exponentially(
    client: BusinessCentralClient, bc: BusinessCentralFake, sleeps: list[float]
) -> None:
    bc.add_fault(method="POST", path="*/contacts", status=503, times=3)
    created = client.create("contacts", {"displayName": "Etter pause"})
    assert created.record["displayName"] == "Etter pause"
    assert sleeps == [0.5, 1.0, 2.0], f"expected backoff 0.5, 1, 2 s; waited {sleeps}"
    assert len(bc.company().store("contacts").records) == 1, "exactly one contact after the retries"


def test_retries_are_bounded_and_end_in_throttled_error(
    client: BusinessCentralClient, bc: BusinessCentralFake, sleeps: list[float]
) -> None:
    bc.add_fault(path="*", status=429, retry_after=1, times=50)
    with pytest.raises(ThrottledError) as caught:
        client.companies()
    assert (caught.value.status, caught.value.retry_after) == (429, 1.0), caught.value
    assert len(sleeps) == client.retry.attempts - 1, f"expected {client.retry.attempts - 1} waits, got {sleeps}"
    assert bc.counts()["total"] == client.retry.attempts


def test_a_retry_after_beyond_the_policy_is_not_waited_for(
    client: BusinessCentralClient, bc: BusinessCentralFake, sleeps: list[float]
) -> None:
    bc.add_fault(path="*", status=503, retry_after=3600)
    with pytest.raises(ThrottledError) as caught:
        client.companies()
    assert caught.value.retry_after == 3600.0
    assert sleeps == [], "a one-hour Retry-After must not block the run"


def test_a_gateway_error_is_retried_for_reads_but_not_for_a_create_without_id(
    client: BusinessCentralClient, bc: BusinessCentralFake, sleeps: list[float]
) -> None:
    bc.add_fault(method="GET", path="*/contacts", status=502)
    assert list(client.pages("contacts")) == [[]]
    bc.add_fault(method="POST", path="*/contacts", status=504)
    with pytest.raises(ServerError) as caught:
        client.create("contacts", {"displayName": "Kanskje"})
    assert caught.value.status == 504
    assert sleeps == [0.5], f"only the read is retried; waited {sleeps}"


def test_a_dropped_connection_on_a_read_is_retried(
    client: BusinessCentralClient, bc: BusinessCentralFake, sleeps: list[float]
) -> None:
    bc.add_fault(method="GET", path="*/customers", drop=True, times=2)
    assert list(client.pages("customers")) == [[]]
    assert len(sleeps) == 2


def test_a_dropped_connection_on_a_create_without_id_may_have_applied(
    client: BusinessCentralClient, bc: BusinessCentralFake
) -> None:
    bc.add_fault(method="POST", path="*/contacts", drop=True)
    with pytest.raises(TransportError) as caught:
        client.create("contacts", {"displayName": "Usikker"})
    assert caught.value.maybe_applied is True
    assert "RemoteProtocolError" in str(caught.value), str(caught.value)


def test_a_create_with_its_own_id_is_retried_after_a_drop(
    client: BusinessCentralClient, bc: BusinessCentralFake, sleeps: list[float]
) -> None:
    bc.add_fault(method="POST", path="*/contacts", drop=True)
    created = client.create("contacts", {"id": "2f1d3a4b-0000-4000-8000-00000000abcd", "displayName": "Sikker"})
    assert created.id == "2f1d3a4b-0000-4000-8000-00000000abcd"
    assert len(sleeps) == 1


def test_a_batch_of_conditional_updates_is_retried_after_a_drop(
    client: BusinessCentralClient, bc: BusinessCentralFake
) -> None:
    first = client.create("contacts", {"displayName": "A"})
    bc.add_fault(method="POST", path="*/$batch", drop=True)
    results = client.batch([BatchOperation("PATCH", "contacts", first.id, {"phoneNumber": "1"}, etag=first.etag)])
    assert [r.status for r in results] == [200]
    bc.add_fault(method="POST", path="*/$batch", drop=True)
    with pytest.raises(TransportError) as caught:
        client.batch([BatchOperation("POST", "contacts", body={"displayName": "Uten id"})])
    assert caught.value.maybe_applied


def test_a_delay_beyond_the_timeout_is_a_transport_error(mounted: Mounted, bc: BusinessCentralFake) -> None:
    bc.add_fault(method="GET", path="*/companies", delay=1.0)
    info = bc.info()
    with (
        BusinessCentralClient(
            info["api"],
            info["company_id"],
            auth=BearerToken(info["token"]),
            transport=mounted.transport(),
            retry=RetryPolicy.none(),
            timeout=0.2,
        ) as impatient,
        pytest.raises(TransportError) as caught,
    ):
        impatient.companies()
    assert "ReadTimeout" in str(caught.value), str(caught.value)


def test_a_short_delay_only_slows_the_answer(client: BusinessCentralClient, bc: BusinessCentralFake) -> None:
    bc.add_fault(method="GET", path="*/companies", delay=0.05)
    assert [c["id"] for c in client.companies()] == [bc.company_id]
    assert bc.faults.pending == 0


def test_skip_lets_the_first_requests_through(raw: httpx.Client, records: str, bc: BusinessCentralFake) -> None:
    bc.add_fault(method="GET", path="*/customers", status=500, skip=2)
    statuses = [raw.get(f"{records}/customers").status_code for _ in range(4)]
    assert statuses == [200, 200, 500, 200], statuses


def test_injected_errors_have_the_vendor_body(raw: httpx.Client, records: str, bc: BusinessCentralFake) -> None:
    bc.add_fault(path="*", status=504)
    assert_error(raw.get(f"{records}/customers"), 504, "GatewayTimeout")


def test_the_rate_limit_refuses_beyond_the_window_and_frees_up_as_it_slides(
    raw: httpx.Client, records: str, bc: BusinessCentralFake, clock: Clock
) -> None:
    bc.rate_limit = (3, 300.0)
    assert [raw.get(f"{records}/customers").status_code for _ in range(3)] == [200, 200, 200]
    refused = raw.get(f"{records}/customers")
    assert_error(refused, 429, "Application_TooManyRequests", "Too many requests reached.  Actual (4).  Maximum (3).")
    clock.advance(299)
    assert raw.get(f"{records}/customers").status_code == 429, "the window has not slid past the first call yet"
    clock.advance(1)
    assert raw.get(f"{records}/customers").status_code == 200, "300 s after the first call, a slot is free"


def test_the_default_rate_limit_is_6000_per_five_minutes(bc: BusinessCentralFake) -> None:
    assert bc.rate_limit == (6000, 300.0)


def test_in_process_a_slow_answer_passes_on_the_given_wait_not_the_wall_clock() -> None:
    bc, waited = BusinessCentralFake(), list[float]()
    with mount(bc, "mock", wait=waited.append) as mounted:
        info = bc.info()
        bc.add_fault(method="GET", path="*/companies", delay=30.0)
        bc.add_fault(method="GET", path="*/companies", delay=0.05)
        with BusinessCentralClient(
            info["api"],
            info["company_id"],
            auth=BearerToken(info["token"]),
            transport=mounted.transport(),
            retry=RetryPolicy.none(),
            timeout=5.0,
        ) as client:
            with pytest.raises(TransportError) as caught:
                client.companies()
            assert [c["id"] for c in client.companies()] == [bc.company_id]
    assert "ReadTimeout" in str(caught.value), str(caught.value)
    # The first answer outlasts the 5 s timeout: the client stops waiting at 5 s, as it would on a socket.
    assert waited == [5.0, 0.05], waited
