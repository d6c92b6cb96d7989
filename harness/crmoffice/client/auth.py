"""OAuth2 for the CRMOffice client: an ``httpx.Auth`` that gets, caches and renews a bearer token.

- Gets a token with the client-credentials grant (``client_id``/``client_secret`` in the form, or HTTP Basic with
  ``client_auth="basic"``) for ``scope`` (default ``crmoffice offline_access``).
- Renews with the refresh-token grant while it holds a refresh token (the tenant rotates them, so the newest one is
  kept), falling back to client credentials when the refresh token is refused.
- Caches the access token until ``margin`` seconds before its ``expires_in`` runs out, by a local monotonic clock.
  The tenant's clock may run differently (a fake's can be moved), so a 401 from the API also renews: once, then the
  request is sent again; a second 401 is the caller's to see.
- Token requests are safe to repeat: 429, 502, 503, 504 and transport errors are retried within the
  :class:`~harness.client.retry.RetryPolicy`. A refusal (400, 401, 403) raises
  :class:`~harness.client.errors.AuthenticationError` with the OAuth ``error`` as its code and the
  ``error_description`` as its message.
- The token endpoint has its own small ``httpx.Client`` on the same transport as the API client, so the in-process
  mode works unchanged. This auth is for the synchronous ``httpx.Client`` only.
- The client secret and the tokens are held in :class:`Secret` and never appear in a repr or an exception message.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote, urlsplit

import httpx

from harness.client.auth import RenewingBearer, Secret
from harness.client.errors import AuthenticationError, ThrottledError, TransportError
from harness.client.retry import RetryBudget, RetryPolicy, parse_retry_after
from harness.crmoffice.client.errormap import error_from

__all__ = ["DEFAULT_SCOPE", "CRMOfficeAuth", "Secret"]

DEFAULT_SCOPE = "crmoffice offline_access"
SYSTEM = "crmoffice"
_RETRY_STATUS = frozenset({429, 502, 503, 504})


@dataclass
class _Token:
    access: Secret
    refresh: Secret | None
    renew_at: float


class CRMOfficeAuth(RenewingBearer):
    def __init__(
        self,
        token_url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str = DEFAULT_SCOPE,
        client_auth: Literal["post", "basic"] = "post",
        transport: httpx.BaseTransport | None = None,
        timeout: float | httpx.Timeout = 30.0,
        retry: RetryPolicy | None = None,
        margin: float = 30.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urlsplit(token_url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"token_url must be an absolute http(s) URL, got {token_url!r}")
        if not isinstance(client_id, str) or not client_id:
            raise ValueError("client_id must be a non-empty string")
        if not isinstance(client_secret, str) or not client_secret:
            raise ValueError("client_secret must be a non-empty string (its value is not shown)")
        if client_auth not in ("post", "basic"):
            raise ValueError(f"client_auth must be 'post' or 'basic', got {client_auth!r}")
        if margin < 0:
            raise ValueError(f"margin must not be negative, got {margin}")
        self.token_url = token_url
        self.client_id = client_id
        self.scope = scope
        self.client_auth = client_auth
        self._secret = Secret(client_secret)
        self._retry = retry or RetryPolicy()
        self._margin = margin
        self._monotonic = monotonic
        self._http = httpx.Client(transport=transport, timeout=timeout, headers={"Accept": "application/json"})
        self._lock = threading.Lock()
        self._token: _Token | None = None
        # How many tokens this auth obtained, by grant: lets tests and the report see renewals happen.
        self.grants: dict[str, int] = {"client_credentials": 0, "refresh_token": 0}

    def __repr__(self) -> str:
        held = "none" if self._token is None else "cached"
        return (
            f"CRMOfficeAuth(token_url={self.token_url!r}, client_id={self.client_id!r}, scope={self.scope!r}, "
            f"client_secret=***, token={held})"
        )

    # --- tokens -----------------------------------------------------------------------------------------------
    def access_token(self) -> str:
        """A live access token: the cached one, or a new one when it is (nearly) expired."""
        with self._lock:
            if self._token is None or self._monotonic() >= self._token.renew_at:
                self._token = self._acquire()
            return self._token.access.reveal()

    def invalidate(self) -> None:
        """Forget the cached tokens; the next request gets new ones with the client credentials."""
        with self._lock:
            self._token = None

    def close(self) -> None:
        self._http.close()

    def _renew(self, *, stale: str) -> str:
        with self._lock:
            if self._token is not None and self._token.access.reveal() != stale:
                # Another request renewed it while this one was refused.
                return self._token.access.reveal()
            self._token = self._acquire()
            return self._token.access.reveal()

    def _acquire(self) -> _Token:
        held = self._token.refresh if self._token is not None else None
        if held is not None:
            try:
                return self._request({"grant_type": "refresh_token", "refresh_token": held.reveal()}, held)
            except AuthenticationError:
                pass  # a refused refresh token (used, expired, revoked): start again from the client credentials
        return self._request({"grant_type": "client_credentials", "scope": self.scope}, None)

    def _request(self, form: dict[str, str], refresh: Secret | None) -> _Token:
        headers: dict[str, str] = {}
        if self.client_auth == "basic":
            pair = f"{quote(self.client_id, safe='')}:{quote(self._secret.reveal(), safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        else:
            form = {**form, "client_id": self.client_id, "client_secret": self._secret.reveal()}
        budget = RetryBudget(self._retry)
        while True:
            try:
                response = self._http.post(self.token_url, data=form, headers=headers)
            except httpx.TransportError as exc:
                delay = budget.next_wait(None)
                if delay is None:
                    raise TransportError(
                        f"{type(exc).__name__} getting a token: {exc}",
                        system=SYSTEM,
                        method="POST",
                        url=self.token_url,
                        maybe_applied=False,
                    ) from None
                budget.pause(delay)
                continue
            if response.is_success:
                self.grants[form["grant_type"]] += 1
                return self._parse(response, refresh)
            if response.status_code in _RETRY_STATUS:
                delay = budget.next_wait(parse_retry_after(response.headers.get("Retry-After")))
                if delay is not None:
                    budget.pause(delay)
                    continue
            raise self._refusal(response)

    def _refusal(self, response: httpx.Response) -> Exception:
        error = error_from(response, system=SYSTEM, redact=self._held())
        fields: dict[str, Any] = {
            "system": SYSTEM,
            "status": error.status,
            "code": error.code,
            "message": error.message,
            "method": "POST",
            "url": self.token_url,
        }
        if error.status in (400, 401, 403):
            return AuthenticationError(**fields)
        if error.status == 503 and not isinstance(error, ThrottledError):
            return ThrottledError(**fields, retry_after=parse_retry_after(response.headers.get("Retry-After")))
        return error

    def _held(self) -> list[str]:
        if self._token is None:
            return [self._secret.reveal()]
        held = [self._secret.reveal(), self._token.access.reveal()]
        if self._token.refresh is not None:
            held.append(self._token.refresh.reveal())
        return held

    def _parse(self, response: httpx.Response, refresh: Secret | None) -> _Token:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise self._malformed("the answer is not a JSON object")
        access = body.get("access_token")
        if not isinstance(access, str) or not access:
            raise self._malformed("it has no access_token")
        if str(body.get("token_type", "")).lower() != "bearer":
            raise self._malformed("its token_type is not Bearer")
        expires_in = body.get("expires_in")
        if expires_in is None:
            renew_at = float("inf")  # no lifetime given: keep it until the API refuses it
        elif isinstance(expires_in, int | float) and not isinstance(expires_in, bool) and expires_in >= 0:
            renew_at = self._monotonic() + expires_in - min(self._margin, expires_in / 2)
        else:
            raise self._malformed("its expires_in is not a number of seconds")
        new_refresh = body.get("refresh_token")
        kept = Secret(new_refresh) if isinstance(new_refresh, str) and new_refresh else refresh
        return _Token(Secret(access), kept, renew_at)

    def _malformed(self, reason: str) -> AuthenticationError:
        return AuthenticationError(
            system=SYSTEM,
            status=200,
            code="invalid_token_response",
            message=f"The token endpoint's answer is unusable: {reason}.",
            method="POST",
            url=self.token_url,
        )
