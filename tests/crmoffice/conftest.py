"""Fixtures of the CRMOffice conformance suite: one fresh fake per test, mounted in every mode.

``mounted`` is parametrized over :data:`harness.fakes.MODES`, so a test body that asks for it (or for ``client``,
``http``, ``api``) runs in-process and again on a loopback socket, like moto's decorator and server modes.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from harness.client import RetryPolicy
from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import MODES, Clock, IdSource, Mounted, mount
from tests.crmoffice.helpers import START, FakeFactory, get_token


@pytest.fixture
def make_fake() -> Iterator[FakeFactory]:
    """Fresh fakes on a frozen clock and a seeded id source; after the test, none may have hit an internal error."""
    made: list[CRMOfficeFake] = []

    def factory(**kwargs: object) -> CRMOfficeFake:
        kwargs.setdefault("clock", Clock(START, frozen=True))
        kwargs.setdefault("ids", IdSource(20240918))
        fake = CRMOfficeFake(**kwargs)  # type: ignore[arg-type]
        made.append(fake)
        return fake

    yield factory
    for fake in made:
        assert fake.internal_errors == [], f"expected no internal error in {fake!r}, got: {fake.internal_errors}"


@pytest.fixture(autouse=True)
def _no_internal_errors(make_fake: FakeFactory) -> None:
    """Every test builds its fakes through ``make_fake``, whose teardown checks them for internal errors."""


@pytest.fixture
def fake(make_fake: FakeFactory) -> CRMOfficeFake:
    return make_fake()


@pytest.fixture(params=MODES)
def mounted(request: pytest.FixtureRequest, fake: CRMOfficeFake) -> Iterator[Mounted]:
    with mount(fake, request.param) as mounted:
        yield mounted


@pytest.fixture
def waits() -> list[float]:
    """The waits the client's retry policy asked for, in order (nothing really sleeps)."""
    return []


@pytest.fixture
def client(mounted: Mounted, fake: CRMOfficeFake, waits: list[float]) -> Iterator[CRMOfficeClient]:
    retry = RetryPolicy(sleep=waits.append, jitter=0)
    with CRMOfficeClient.connect(fake.info(), transport=mounted.transport(), retry=retry) as client:
        yield client


@pytest.fixture
def http(mounted: Mounted) -> Iterator[httpx.Client]:
    """Raw HTTP, no credentials."""
    with mounted.client() as http:
        yield http


@pytest.fixture
def token(http: httpx.Client, fake: CRMOfficeFake) -> str:
    return str(get_token(http, fake)["access_token"])


@pytest.fixture
def api(mounted: Mounted, token: str) -> Iterator[httpx.Client]:
    """Raw HTTP with a valid bearer token."""
    with mounted.client(headers={"Authorization": f"Bearer {token}"}) as api:
        yield api
