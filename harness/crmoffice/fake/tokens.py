"""CRMOffice's OAuth2 token endpoint and bearer-token checks, as the fake plays them (IdentityServer's part).

Rules:

- One registered confidential client, allowed the scopes ``crmoffice offline_access``; its id and secret come from
  the tenant's id source unless given.
- ``POST /connect/token`` takes a form (``application/x-www-form-urlencoded``), each parameter at most once
  (RFC 6749 section 3.2). The client authenticates with HTTP Basic (RFC 6749 section 2.3.1: id and secret
  form-url-encoded, then base64) or with ``client_id`` and ``client_secret`` in the form, never both at once.
- ``grant_type=client_credentials``: ``scope`` is optional (default ``crmoffice``); each requested scope must be
  allowed. A refresh token is issued only when the granted scope includes ``offline_access``. (IdentityServer never
  issues refresh tokens to this grant: the real ones come from the authorization-code login. The fake issues them
  here so the refresh path can run without a browser. Revisit when the real API is at hand.)
- ``grant_type=refresh_token``: the refresh token must be live and the client's own; a ``scope`` must stay within
  the original grant. Refresh tokens rotate: the one used dies and a new one comes back with the access token.
- Access tokens live ``lifetime`` whole seconds by the tenant's clock (default 3600) and are dead from their expiry
  instant on. Refresh tokens live 30 days (IdentityServer's default absolute lifetime).
- The API takes ``Authorization: Bearer <token>``. No token: 401 with a bare ``Bearer`` challenge; an unknown,
  revoked or expired token: 401 with ``error="invalid_token"``; a token without the ``crmoffice`` scope: 403.

Neither the client secret nor any token ever appears in an error this module raises.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from harness.client.timestamps import format_timestamp
from harness.crmoffice.fake.errors import Forbidden, OAuthError, Unauthorized
from harness.fakes.clock import Clock, IdSource

__all__ = ["API_SCOPE", "DEFAULT_TOKEN_LIFETIME", "SCOPES", "TokenService"]

API_SCOPE = "crmoffice"
SCOPES = ("crmoffice", "offline_access")
DEFAULT_TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = timedelta(days=30)
FORM = "application/x-www-form-urlencoded"


@dataclass
class _Grant:
    principal: str
    client_id: str
    scope: tuple[str, ...]
    expires_at: datetime


class TokenService:
    """Issues and checks tokens; thread-safe on its own (bearer checks run outside the tenant's lock)."""

    def __init__(
        self,
        clock: Clock,
        ids: IdSource,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        lifetime: int = DEFAULT_TOKEN_LIFETIME,
    ) -> None:
        self._clock = clock
        self._ids = ids
        self.client_id = client_id or ids.guid()
        self.client_secret = client_secret or ids.token()
        self._lock = threading.Lock()
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, _Grant] = {}
        self._issued = 0
        self.lifetime = DEFAULT_TOKEN_LIFETIME
        self.set_lifetime(lifetime)

    def __repr__(self) -> str:
        return f"TokenService(client_id={self.client_id!r}, lifetime={self.lifetime})"

    # --- control ----------------------------------------------------------------------------------------------
    def set_lifetime(self, seconds: int) -> None:
        """The lifetime of access tokens issued from now on, in whole seconds."""
        if isinstance(seconds, bool) or not isinstance(seconds, int) or seconds < 1:
            raise ValueError(f"token lifetime must be a whole number of seconds, at least 1; got {seconds!r}")
        self.lifetime = seconds

    def expire_all(self) -> None:
        """Every access token issued so far expires now (refresh tokens stay usable)."""
        now = self._clock.now()
        with self._lock:
            for grant in self._access.values():
                grant.expires_at = min(grant.expires_at, now)

    def revoke_all(self) -> None:
        """Every access and refresh token issued so far becomes unknown."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()

    # --- the token endpoint -----------------------------------------------------------------------------------
    def token_request(
        self, content_type: str, form: Mapping[str, Sequence[str]], authorization: str | None
    ) -> dict[str, Any]:
        """Answer a token request: the token response body, or raise :class:`OAuthError`."""
        if content_type != FORM:
            raise OAuthError("invalid_request", f"The token request must be {FORM}, got {content_type or 'no body'}.")
        repeated = sorted(name for name, values in form.items() if len(values) > 1)
        if repeated:
            raise OAuthError("invalid_request", f"Send each parameter once; repeated: {', '.join(repeated)}.")
        params = {name: values[0] for name, values in form.items() if values}
        client_id = self._authenticate_client(params, authorization)
        grant_type = params.get("grant_type", "")
        if grant_type == "client_credentials":
            scope = self._requested_scope(params.get("scope"), allowed=SCOPES, default=(API_SCOPE,))
            return self._issue(client_id, scope)
        if grant_type == "refresh_token":
            return self._refresh_grant(client_id, params)
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required: client_credentials or refresh_token.")
        shown = grant_type if len(grant_type) <= 40 else grant_type[:37] + "..."
        raise OAuthError(
            "unsupported_grant_type", f"grant_type {shown!r} is not supported; use client_credentials or refresh_token."
        )

    def _authenticate_client(self, params: Mapping[str, str], authorization: str | None) -> str:
        basic_header = authorization if authorization is not None and authorization[:6].lower() == "basic " else None
        basic = basic_header is not None
        in_form = "client_id" in params or "client_secret" in params
        if basic and in_form:
            raise OAuthError(
                "invalid_request",
                "Send the client credentials one way: HTTP Basic or client_id/client_secret in the form, not both.",
            )
        if basic_header is not None:
            client_id, secret = _basic_credentials(basic_header)
        else:
            client_id, secret = params.get("client_id"), params.get("client_secret")
        if not client_id or secret is None:
            raise OAuthError(
                "invalid_client",
                "No client credentials: send HTTP Basic, or client_id and client_secret in the form.",
                basic_attempted=basic,
            )
        known = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        if not (known and hmac.compare_digest(secret.encode(), self.client_secret.encode())):
            # One message for both cases, so the endpoint does not tell which client ids exist.
            raise OAuthError("invalid_client", "Unknown client or wrong client secret.", basic_attempted=basic)
        return client_id

    @staticmethod
    def _requested_scope(text: str | None, *, allowed: Sequence[str], default: tuple[str, ...]) -> tuple[str, ...]:
        requested = tuple(dict.fromkeys((text or "").split()))
        if not requested:
            return default
        refused = [scope for scope in requested if scope not in allowed]
        if refused:
            shown = " ".join(refused)[:80]
            raise OAuthError("invalid_scope", f"Scope {shown!r} is not allowed; allowed: {' '.join(allowed)}.")
        return requested

    def _refresh_grant(self, client_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        token = params.get("refresh_token")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required for grant_type=refresh_token.")
        now = self._clock.now()
        with self._lock:
            grant = self._refresh.get(token)
            if grant is None or grant.client_id != client_id or grant.expires_at <= now:
                raise OAuthError(
                    "invalid_grant",
                    "The refresh token is unknown, expired, revoked or already used (refresh tokens rotate).",
                )
            scope = self._requested_scope(params.get("scope"), allowed=grant.scope, default=grant.scope)
            del self._refresh[token]
        return self._issue(client_id, scope)

    def _issue(self, client_id: str, scope: tuple[str, ...]) -> dict[str, Any]:
        now = self._clock.now()
        access = self._ids.token()
        refresh = self._ids.token() if "offline_access" in scope else None
        with self._lock:
            self._issued += 1
            # Long-dead tokens are forgotten; recently expired ones are kept so a 401 can say "expired".
            horizon = now - timedelta(days=1)
            self._access = {token: grant for token, grant in self._access.items() if grant.expires_at > horizon}
            principal = f"{client_id}#token{self._issued}"
            self._access[access] = _Grant(principal, client_id, scope, now + timedelta(seconds=self.lifetime))
            if refresh is not None:
                self._refresh[refresh] = _Grant(principal, client_id, scope, now + REFRESH_TOKEN_LIFETIME)
        body: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.lifetime,
            "scope": " ".join(scope),
        }
        if refresh is not None:
            body["refresh_token"] = refresh
        return body

    # --- the API's bearer check -------------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> str:
        """The principal (never the token) a request acts for; raises 401 or 403 problems."""
        if not authorization or not authorization.strip():
            raise Unauthorized("No bearer token: send 'Authorization: Bearer <access token>' from POST /connect/token.")
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            shown = scheme if scheme.isalnum() and len(scheme) <= 20 else "an unknown"
            raise Unauthorized(f"The Authorization header must be 'Bearer <access token>'; got {shown} scheme.")
        now = self._clock.now()
        with self._lock:
            grant = self._access.get(token)
        if grant is None:
            raise Unauthorized("The access token is not valid: unknown or revoked.", invalid_token=True)
        if grant.expires_at <= now:
            raise Unauthorized(f"The access token expired at {format_timestamp(grant.expires_at)}.", invalid_token=True)
        if API_SCOPE not in grant.scope:
            raise Forbidden(f"The access token lacks the {API_SCOPE!r} scope the API needs.", scope=API_SCOPE)
        return grant.principal


def _basic_credentials(authorization: str) -> tuple[str | None, str | None]:
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(
            "invalid_client", "The Basic credentials are not base64 of 'client_id:client_secret'.", basic_attempted=True
        ) from None
    client_id, colon, secret = decoded.partition(":")
    if not colon:
        raise OAuthError(
            "invalid_client", "The Basic credentials are not base64 of 'client_id:client_secret'.", basic_attempted=True
        )
    return unquote(client_id), unquote(secret)
