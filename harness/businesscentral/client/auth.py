"""Entra ID tokens for Business Central: an ``httpx.Auth`` over MSAL's client-credentials flow.

Why MSAL: it is Microsoft's own Entra ID client. It signs the certificate's client assertion (a JWT), keeps tokens in
an in-memory cache (a cached token is reused until five minutes before it expires) and honours Entra's throttling.
What this module adds around it:

- Nothing is fetched until the first request: building MSAL's app looks up the tenant's OpenID configuration
  (``{authority}/{tenant}/v2.0/.well-known/openid-configuration``), so a failure there surfaces where a call is made.
- A 401 from Business Central drops the cached token and sends the request again once, with a new token; a second
  401 is the caller's to see (the client raises :class:`~harness.client.errors.AuthenticationError`).
- MSAL's error answers (``error``, ``error_description``: AADSTS7000215 wrong secret, AADSTS700016 unknown app,
  AADSTS90002 unknown tenant, ...) become :class:`~harness.client.errors.AuthenticationError` naming the tenant, the
  client id and Entra's code; an unreachable Entra becomes :class:`~harness.client.errors.TransportError`. The secret
  and the private key are held in :class:`~harness.client.auth.Secret` and never appear in a message or a repr.
- The authority is used as given (MSAL's instance discovery is off), so tests can stand in for Entra ID.

A token obtained elsewhere needs no MSAL: use :class:`harness.client.auth.BearerToken`.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Literal
from urllib.parse import urlsplit

import msal  # type: ignore[import-untyped]
import requests
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from requests.adapters import HTTPAdapter

from harness.client.auth import RenewingBearer, Secret
from harness.client.errors import AuthenticationError, TransportError

__all__ = ["DEFAULT_AUTHORITY", "DEFAULT_SCOPE", "EntraAuth", "check_certificate", "normalize_thumbprint"]

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
DEFAULT_SCOPE = "https://api.businesscentral.dynamics.com/.default"
SYSTEM = "businesscentral"
_THUMBPRINT = re.compile(r"[0-9A-F]{40}")


def normalize_thumbprint(value: str) -> str | None:
    """A SHA-1 certificate thumbprint as 40 upper-case hex digits (colons and spaces dropped), or None if it is not."""
    cleaned = re.sub(r"[\s:]", "", value).upper()
    return cleaned if _THUMBPRINT.fullmatch(cleaned) else None


def check_certificate(pem: str, thumbprint: str) -> list[str]:
    """What is wrong with a PEM private key (and the certificate beside it, if any) for MSAL; empty when usable.

    The texts never quote the key; each reads after the file's name ("<path>: it holds no ...").
    """
    problems: list[str] = []
    try:
        serialization.load_pem_private_key(pem.encode(), password=None)
    except TypeError:
        problems.append("its private key is encrypted; give an unencrypted PEM (there is no passphrase setting)")
    except (ValueError, UnsupportedAlgorithm):
        problems.append("it holds no usable PEM private key (expected a '-----BEGIN PRIVATE KEY-----' block)")
    wanted = normalize_thumbprint(thumbprint)
    if wanted is not None and "-----BEGIN CERTIFICATE-----" in pem:
        try:
            actual = x509.load_pem_x509_certificate(pem.encode()).fingerprint(hashes.SHA1()).hex().upper()
        except ValueError:
            problems.append("its certificate block cannot be read")
        else:
            if actual != wanted:
                problems.append(f"its certificate's SHA-1 thumbprint is {actual}, not the thumbprint given ({wanted})")
    return problems


class _Http:
    """MSAL's HTTP client: ``requests`` with a timeout, a fresh session per call, and the last status kept.

    Tokens are fetched about once an hour, so a session per call costs nothing and leaves no socket open.
    """

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.last_status: int | None = None

    def get(self, url: str, **kwargs: Any) -> requests.Response:
        return self._send("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self._send("POST", url, **kwargs)

    def close(self) -> None:
        pass

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        with requests.Session() as session:
            session.mount("https://", HTTPAdapter(max_retries=1))
            response = session.request(method, url, **kwargs)
        self.last_status = response.status_code
        return response


class EntraAuth(RenewingBearer):
    """Business Central tokens for an Entra app registration, with a client secret or a certificate.

    ``private_key`` is a PEM text (it may hold the certificate too); ``thumbprint`` the certificate's SHA-1 thumbprint
    as Entra shows it. ``token_requests`` counts the tokens obtained from Entra (not from MSAL's cache).
    """

    def __init__(
        self,
        tenant: str,
        client_id: str,
        *,
        client_secret: str | None = None,
        private_key: str | None = None,
        thumbprint: str | None = None,
        authority: str = DEFAULT_AUTHORITY,
        scope: str = DEFAULT_SCOPE,
        timeout: float = 30.0,
    ) -> None:
        if not tenant or re.search(r"[\s/?#]", tenant):
            raise ValueError(f"tenant must be an Entra tenant id or domain, got {tenant!r}")
        if not client_id or not client_id.strip():
            raise ValueError("client_id must be a non-empty string")
        parts = urlsplit(authority)
        if parts.scheme != "https" or not parts.hostname or parts.path.strip("/") or parts.query or parts.fragment:
            raise ValueError(f"authority must be an https origin such as {DEFAULT_AUTHORITY}, got {authority!r}")
        if not scope:
            raise ValueError("scope must be a non-empty string")
        by_certificate = private_key is not None or thumbprint is not None
        if (client_secret is not None) == by_certificate:
            raise ValueError("give either client_secret or private_key with thumbprint, not both and not neither")
        if client_secret is not None and not client_secret:
            raise ValueError("client_secret must be a non-empty string (its value is not shown)")
        self._secret = Secret(client_secret) if client_secret else None
        self._private_key: Secret | None = None
        self.thumbprint: str | None = None
        if by_certificate:
            normalized = normalize_thumbprint(thumbprint or "")
            if not private_key or normalized is None:
                raise ValueError("a certificate needs private_key (PEM) and thumbprint (40 hex digits, SHA-1)")
            problems = check_certificate(private_key, normalized)
            if problems:
                raise ValueError(f"the private key is unusable: {'; '.join(problems)}")
            self._private_key, self.thumbprint = Secret(private_key), normalized
        self.tenant = tenant
        self.client_id = client_id.strip()
        self.authority = f"{parts.scheme}://{parts.netloc}"
        self.scope = scope
        self.token_requests = 0
        self._http = _Http(timeout)
        self._lock = threading.Lock()
        self._app: Any = None

    @property
    def credential(self) -> Literal["client_secret", "certificate"]:
        return "client_secret" if self._secret is not None else "certificate"

    @property
    def token_url(self) -> str:
        if self._app is not None:
            return str(self._app.authority.token_endpoint)
        return f"{self.authority}/{self.tenant}/oauth2/v2.0/token"

    def __repr__(self) -> str:
        return (
            f"EntraAuth(authority={self.authority!r}, tenant={self.tenant!r}, client_id={self.client_id!r}, "
            f"scope={self.scope!r}, credential={self.credential}=***)"
        )

    # --- tokens -----------------------------------------------------------------------------------------------
    def access_token(self) -> str:
        """A live token: MSAL's cached one, or a new one from Entra ID."""
        with self._lock:
            return self._acquire()

    def invalidate(self) -> None:
        """Drop the cached token; the next request gets a new one."""
        with self._lock:
            if self._app is not None:
                self._app.remove_tokens_for_client()

    def _renew(self, *, stale: str) -> str:
        with self._lock:
            token = self._acquire()
            if token != stale:
                return token  # another request renewed it meanwhile
            self._app.remove_tokens_for_client()
            return self._acquire()

    def _acquire(self) -> str:
        app = self._application()
        try:
            result = app.acquire_token_for_client(scopes=[self.scope])
        except requests.RequestException as exc:
            raise self._unreachable(exc, "POST", self.token_url) from None
        access = result.get("access_token") if isinstance(result, dict) else None
        if not isinstance(access, str) or not access:
            raise self._refused(result if isinstance(result, dict) else {})
        if result.get("token_source") != "cache":
            self.token_requests += 1
        return access

    def _application(self) -> Any:
        if self._app is None:
            try:
                self._app = msal.ConfidentialClientApplication(
                    self.client_id,
                    client_credential=self._credential(),
                    authority=f"{self.authority}/{self.tenant}",
                    instance_discovery=False,
                    http_client=self._http,
                )
            except requests.RequestException as exc:
                raise self._unreachable(exc, "GET", self._discovery_url) from None
            except (ValueError, KeyError) as exc:
                raise self._discovery_failed(exc) from None
        return self._app

    def _credential(self) -> str | dict[str, str]:
        if self._private_key is not None and self.thumbprint is not None:
            return {"private_key": self._private_key.reveal(), "thumbprint": self.thumbprint}
        if self._secret is not None:
            return self._secret.reveal()
        raise AssertionError("EntraAuth holds neither a client secret nor a certificate")  # __init__ rules it out

    # --- errors -----------------------------------------------------------------------------------------------
    @property
    def _discovery_url(self) -> str:
        return f"{self.authority}/{self.tenant}/v2.0/.well-known/openid-configuration"

    def _who(self) -> str:
        return f"client {self.client_id} in tenant {self.tenant}"

    def _scrub(self, text: str) -> str:
        for secret in (self._secret, self._private_key):
            if secret is not None and secret.reveal():
                text = text.replace(secret.reveal(), "***")
        return text

    def _refused(self, result: dict[str, Any]) -> AuthenticationError:
        code = str(result.get("error") or "no_access_token")
        description = str(result.get("error_description") or "the answer holds no access token")
        return AuthenticationError(
            system=SYSTEM,
            status=self._http.last_status or 400,
            code=code,
            message=self._scrub(f"Entra ID refused a Business Central token for {self._who()}: {description}"),
            method="POST",
            url=self.token_url,
        )

    def _discovery_failed(self, exc: Exception) -> AuthenticationError:
        # MSAL wraps the discovery answer in a ValueError of its own; the answer's JSON is in the one it replaced.
        code, description = "tenant_discovery_failed", str(exc)
        for candidate in (exc.__context__, exc):
            body = str(candidate).partition("Error: ")[2] if candidate is not None else ""
            try:
                parsed = json.loads(body)
            except ValueError:
                continue
            if isinstance(parsed, dict) and parsed.get("error"):
                code, description = str(parsed["error"]), str(parsed.get("error_description", description))
                break
        return AuthenticationError(
            system=SYSTEM,
            status=self._http.last_status or 400,
            code=code,
            message=self._scrub(
                f"Entra ID at {self.authority} cannot serve tenant {self.tenant!r} (for client {self.client_id}): "
                f"{description}"
            ),
            method="GET",
            url=self._discovery_url,
        )

    def _unreachable(self, exc: Exception, method: str, url: str) -> TransportError:
        return TransportError(
            self._scrub(f"cannot reach Entra ID at {self.authority} for {self._who()}: {type(exc).__name__}: {exc}"),
            system=SYSTEM,
            method=method,
            url=url,
            maybe_applied=False,
        )
