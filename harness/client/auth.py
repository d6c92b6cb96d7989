"""Static bearer-token auth: a token obtained elsewhere (``harness serve`` prints one; MSAL obtains real ones)."""

from __future__ import annotations

from collections.abc import Generator

import httpx

__all__ = ["BearerToken"]


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
