"""Bearer-token auth: a static token obtained elsewhere (``harness serve`` prints one), and the shape every auth
that obtains its own tokens shares (CRMOffice's OAuth2 client, MSAL for Entra ID): send the current token, and on a
401 renew it once and send the request again."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Generator

import httpx

__all__ = ["BearerToken", "RenewingBearer", "Secret"]


class Secret:
    """A string that does not show itself: ``repr``/``str`` give ``***``; :meth:`reveal` gives the value."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


class RenewingBearer(httpx.Auth, ABC):
    """An auth that obtains tokens itself. A 401 means the token died early (revoked, rotated, clock skew): renew it
    once and retry; a second 401 is the tenant's answer and goes back to the client."""

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self._renew(stale=token)}"
            yield request

    @abstractmethod
    def access_token(self) -> str:
        """A live token (a cached one while it lasts)."""

    @abstractmethod
    def _renew(self, *, stale: str) -> str:
        """A new token to replace ``stale`` (unless another thread already did)."""


class BearerToken(httpx.Auth):
    def __init__(self, token: str) -> None:
        if not token or not token.strip():
            raise ValueError("a bearer token must not be empty")
        self._token = token.strip()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request

    def __repr__(self) -> str:
        # The token is a credential: never in a repr, a log line or a report.
        return "BearerToken(<redacted>)"
