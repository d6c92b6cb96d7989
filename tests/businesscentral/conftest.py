"""Fixtures for the Business Central conformance suite: every test runs in-process (mock) and on a socket (wire)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.fake import BusinessCentralFake
from harness.client import BearerToken, RetryPolicy
from harness.fakes import MODES, Clock, IdSource, Mounted, mount

START = datetime(2024, 10, 14, 8, 0, 0, tzinfo=UTC)


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> Clock:
    return Clock(START, frozen=True)


@pytest.fixture
def bc(clock: Clock) -> Iterator[BusinessCentralFake]:
    fake = BusinessCentralFake(clock=clock, ids=IdSource(2024))
    yield fake
    assert fake.internal_errors == [], f"the fake hit its own bugs: {fake.internal_errors}"


@pytest.fixture
def mounted(bc: BusinessCentralFake, mode: str) -> Iterator[Mounted]:
    with mount(bc, mode) as handle:  # type: ignore[arg-type]
        yield handle


@pytest.fixture
def api(bc: BusinessCentralFake, mounted: Mounted) -> str:
    """The API root path, ``/v2.0/{tenant}/{environment}/api/v2.0``."""
    return bc.api_path()


@pytest.fixture
def records(api: str, bc: BusinessCentralFake) -> str:
    """The company-scoped root: ``.../companies({id})``."""
    return f"{api}/companies({bc.company_id})"


@pytest.fixture
def raw(mounted: Mounted, bc: BusinessCentralFake) -> Iterator[httpx.Client]:
    with mounted.client(headers={"Authorization": f"Bearer {bc.token}"}) as http:
        yield http


@pytest.fixture
def anonymous(mounted: Mounted) -> Iterator[httpx.Client]:
    with mounted.client() as http:
        yield http


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(mounted: Mounted, bc: BusinessCentralFake, sleeps: list[float]) -> Iterator[BusinessCentralClient]:
    info = bc.info()
    with BusinessCentralClient(
        info["api"],
        info["company_id"],
        auth=BearerToken(info["token"]),
        transport=mounted.transport(),
        retry=RetryPolicy(sleep=sleeps.append, jitter=0.0),
        environments_url=info["environments_url"],
        timeout=5.0,
    ) as bc_client:
        yield bc_client
