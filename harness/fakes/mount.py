"""Run a fake tenant one of two ways: in-process (``mock``) or on a loopback socket (``wire``).

Both give an origin URL and, in-process, the transport to hand to ``httpx.Client``; the same client code then runs
unchanged in either mode, the way moto's tests run in decorator mode and in server mode. In-process, ``wait`` is how a
fault's delay passes (see harness.fakes.transport); on the wire it is always slept, so the client's timeout is real.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal

import httpx

from harness.fakes.server import LoopbackServer
from harness.fakes.tenant import FakeTenant
from harness.fakes.transport import FakeTransport

__all__ = ["MODES", "Mode", "Mounted", "mount"]

Mode = Literal["mock", "wire"]
MODES: tuple[Mode, ...] = ("mock", "wire")


@dataclass
class Mounted:
    fake: FakeTenant
    mode: Mode
    origin: str
    server: LoopbackServer | None = None
    wait: Callable[[float], None] = time.sleep
    _transports: list[httpx.BaseTransport] = field(default_factory=list)

    def transport(self) -> httpx.BaseTransport:
        """A transport for one more client: in-process it reaches the fake directly; on the wire, a socket pool."""
        transport: httpx.BaseTransport
        if self.mode == "wire":
            # The fakes speak plain HTTP, so one shared TLS context spares each client httpx's costly default one.
            transport = httpx.HTTPTransport(verify=_tls_context())
        else:
            transport = FakeTransport(self.fake, wait=self.wait)
        self._transports.append(transport)
        return transport

    def client(self, **kwargs: object) -> httpx.Client:
        """A raw httpx client for this fake (conformance tests speak raw HTTP too)."""
        return httpx.Client(base_url=self.origin, transport=self.transport(), **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        for transport in self._transports:
            transport.close()
        if self.server is not None:
            self.server.close()

    def __enter__(self) -> Mounted:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def mount(
    fake: FakeTenant,
    mode: Mode,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    wait: Callable[[float], None] = time.sleep,
) -> Mounted:
    if mode == "mock":
        origin = f"http://{fake.system}.test"
        fake.base_url = origin
        return Mounted(fake=fake, mode=mode, origin=origin, wait=wait)
    if mode == "wire":
        server = LoopbackServer(fake, host=host, port=port).start()
        fake.base_url = server.url
        return Mounted(fake=fake, mode=mode, origin=server.url, server=server)
    raise ValueError(f"unknown tenant mode {mode!r}; expected one of {', '.join(MODES)}")
