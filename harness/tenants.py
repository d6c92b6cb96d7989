"""A pair of tenants and their clients: real ones from the settings, or endpoints as ``harness serve`` prints them.

``connect(settings)`` makes the clients for real tenants (Entra ID or a token for Business Central, the company looked
up by name, Business Central's published limits kept per principal); ``pair_from_endpoints(json)`` connects to
tenants described the way ``harness serve`` prints them. Nothing here imports a fake: fresh fakes come from
:func:`harness.fake_pair.fake_pair`, which builds a :class:`TenantPair` too.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.client.auth import EntraAuth
from harness.businesscentral.client.guard import check_environment
from harness.businesscentral.limits import MAX_CONCURRENT, MAX_REQUESTS, REQUEST_WINDOW
from harness.client import BearerToken, RetryPolicy
from harness.client.errors import AuthenticationError, NotFoundError, TenantError, TransportError
from harness.client.ratelimit import RateLimit
from harness.crmoffice.client import CRMOfficeClient
from harness.settings import Settings, SettingsError, shown

if TYPE_CHECKING:
    from harness.businesscentral.fake import BusinessCentralFake
    from harness.crmoffice.fake import CRMOfficeFake
    from harness.fakes import Mounted

__all__ = [
    "TenantPair",
    "clients",
    "company_id",
    "connect",
    "diagnosis",
    "endpoints",
    "load_endpoints",
    "open_pair",
    "pair_from_endpoints",
    "shared_rate_limit",
    "what_to_check",
]


@dataclass
class TenantPair:
    crmoffice: CRMOfficeClient
    businesscentral: BusinessCentralClient
    crmoffice_fake: CRMOfficeFake | None = None
    businesscentral_fake: BusinessCentralFake | None = None
    _mounts: list[Mounted] = field(default_factory=list)

    def close(self) -> None:
        self.crmoffice.close()
        self.businesscentral.close()
        for mounted in self._mounts:
            mounted.close()

    def __enter__(self) -> TenantPair:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def pair_from_endpoints(
    endpoints: Mapping[str, Any], *, retry: RetryPolicy | None = None, timeout: float = 30.0
) -> TenantPair:
    """Clients for the tenants in ``harness serve``'s JSON line (or the same shape from elsewhere)."""
    try:
        crm_info, bc_info = endpoints["crmoffice"], endpoints["businesscentral"]
        api, token, company_id = bc_info["api"], bc_info["token"], bc_info["company_id"]
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"tenant endpoints lack {exc}; expected {{'crmoffice': {{api, token_url, client_id, client_secret}}, "
            "'businesscentral': {api, token, company_id}}"
        ) from None
    crm = CRMOfficeClient.connect(crm_info, retry=retry, timeout=timeout)
    bc = BusinessCentralClient(api, company_id, auth=BearerToken(token), retry=retry, timeout=timeout)
    return TenantPair(crm, bc)


def endpoints(crmoffice: Mapping[str, Any], businesscentral: Mapping[str, Any]) -> dict[str, Any]:
    """What :func:`pair_from_endpoints` needs, from each tenant's full description (a fake's ``info()``)."""
    return {
        "crmoffice": {key: crmoffice[key] for key in ("api", "token_url", "client_id", "client_secret")},
        "businesscentral": {key: businesscentral[key] for key in ("api", "token", "company_id")},
    }


def load_endpoints(source: str) -> dict[str, Any]:
    """``harness serve``'s JSON line from a file (``-``: standard input); ValueError naming the source otherwise."""
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as exc:
        raise ValueError(f"cannot read the tenants file {source}: {exc.strerror}") from None
    lines = [line for line in text.splitlines() if line.strip()]
    try:
        endpoints = json.loads(lines[0] if len(lines) == 1 else text)
    except (json.JSONDecodeError, IndexError):
        raise ValueError(f"{source}: expected the JSON object `harness serve` prints") from None
    if not isinstance(endpoints, dict):
        raise ValueError(f"{source}: expected a JSON object with 'crmoffice' and 'businesscentral'")
    return endpoints


def open_pair(
    tenants_file: str | None,
    *,
    allow_production: bool = False,
    retry: RetryPolicy | None = None,
    timeout: float = 30.0,
) -> TenantPair:
    """The tenants a command works on: ``harness serve``'s endpoints from a file, or real tenants from the settings
    (environment variables), the latter only after the production guard has seen a sandbox."""
    if tenants_file:
        return pair_from_endpoints(load_endpoints(tenants_file), retry=retry, timeout=timeout)
    settings = Settings.from_env()
    pair = connect(settings, retry=retry, timeout=timeout)
    try:
        check_environment(pair.businesscentral, settings.bc_environment, allow_production=allow_production)
    except BaseException:
        pair.close()
        raise
    return pair


# --- what a failure to reach real tenants means ----------------------------------------------------------------------
_NAMES = {"crmoffice": "CRMOffice", "businesscentral": "Business Central"}
_UNREACHABLE = {
    "crmoffice": "check CRMOFFICE_API_URL and CRMOFFICE_TOKEN_URL, and that this machine can reach them",
    "businesscentral": "check BC_API_URL, BC_TENANT and BC_ENVIRONMENT, and that this machine can reach them",
    "entra": "check BC_AUTHORITY (the Entra ID sign-in host; unset, https://login.microsoftonline.com), and that this "
    "machine can reach it",
}
# Entra ID's OpenID configuration and token endpoint, where Business Central's sign-in happens.
_DISCOVERY = "/v2.0/.well-known/openid-configuration"
_ENTRA_PATHS = (_DISCOVERY, "/oauth2/v2.0/token")
_REFUSED = {
    ("crmoffice", 401): "check CRMOFFICE_CLIENT_ID and CRMOFFICE_CLIENT_SECRET (or CRMOFFICE_REFRESH_TOKEN), and that "
    "the client may ask for the scopes crmoffice offline_access",
    ("crmoffice", 403): "the CRMOffice client is known but may not read or write companies and contacts: ask the "
    "CRMOffice administrator for those rights",
    ("businesscentral", 401): "check BC_CLIENT_ID with BC_CLIENT_SECRET or the certificate (or BC_ACCESS_TOKEN, which "
    "expires after about an hour), and that the Entra app has the Dynamics 365 Business Central application "
    "permission API.ReadWrite.All with admin consent",
    ("businesscentral", 403): "Business Central knows the token but not the app: add the Entra app on Business "
    "Central's 'Microsoft Entra Applications' page, set it to Enabled, and give it permission sets that may read and "
    "write customers and contacts",
}


def diagnosis(error: TenantError) -> tuple[str, str]:
    """(what happened, what to check), for a person: which tenant, its URL and answer (never a credential), and the
    settings, permission or page that decide it."""
    name = _NAMES.get(error.system, error.system)
    # Business Central's sign-in is Entra ID's (harness.businesscentral.client.auth): its own host, its own settings.
    entra = urlsplit(getattr(error, "url", "")).path if error.system == "businesscentral" else ""
    if isinstance(error, TransportError) and entra.endswith(_ENTRA_PATHS):
        return f"Entra ID, Business Central's sign-in, cannot be reached ({error})", _UNREACHABLE["entra"]
    if isinstance(error, TransportError):
        return f"{name} cannot be reached ({error})", _UNREACHABLE.get(error.system, "check its settings")
    if isinstance(error, AuthenticationError) and entra.endswith(_DISCOVERY):
        return (
            f"Entra ID cannot serve Business Central's sign-in for this tenant ({error})",
            "check BC_TENANT (the Entra tenant id or domain) and BC_AUTHORITY (the Entra ID sign-in host)",
        )
    if isinstance(error, AuthenticationError):
        status = 403 if error.status == 403 else 401
        return f"{name} refused the credentials ({error})", _REFUSED[(error.system, status)]
    if isinstance(error, NotFoundError) and error.system == "businesscentral":
        return f"{name} has no such environment or company ({error})", "check BC_ENVIRONMENT and BC_COMPANY"
    return f"{name} failed ({error})", "check its settings and its status"


def what_to_check(error: TenantError) -> str:
    """:func:`diagnosis` as one line."""
    happened, check = diagnosis(error)
    return f"{happened}; {check}"


# --- connecting to real tenants ---------------------------------------------------------------------------------------
def connect(
    settings: Settings,
    *,
    retry: RetryPolicy | None = None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
    wrap: Callable[[str, httpx.BaseTransport], httpx.BaseTransport] | None = None,
    rate_limit: RateLimit | None = None,
) -> TenantPair:
    """Clients for the real tenants; ``BC_COMPANY`` is looked up among the environment's companies (a first call).

    ``transport`` (for tests) serves both clients and the CRMOffice token endpoint; Entra ID is reached by MSAL.
    ``wrap(system, transport)`` may put a transport of its own in front of each tenant (recording, tripwires), as in
    :func:`harness.fake_pair.fake_pair`; ``system`` is ``"crmoffice"`` or ``"businesscentral"``.
    """
    pair = clients(settings, retry=retry, timeout=timeout, transport=transport, wrap=wrap, rate_limit=rate_limit)
    try:
        pair.businesscentral.company_id = company_id(pair.businesscentral, settings)
    except BaseException:
        pair.close()
        raise
    return pair


def clients(
    settings: Settings,
    *,
    retry: RetryPolicy | None = None,
    timeout: float | httpx.Timeout = 30.0,
    transport: httpx.BaseTransport | None = None,
    wrap: Callable[[str, httpx.BaseTransport], httpx.BaseTransport] | None = None,
    rate_limit: RateLimit | None = None,
) -> TenantPair:
    """The clients :func:`connect` makes, before any request: Business Central's company is not looked up yet."""
    if settings.crmoffice_client_secret is None:
        raise SettingsError(
            [
                "CRMOFFICE_REFRESH_TOKEN without CRMOFFICE_CLIENT_SECRET is not supported: the CRMOffice client's "
                "auth (harness.crmoffice.client.auth.CRMOfficeAuth) sends the client secret with every grant, and "
                "CRMOffice "
                "rotates refresh tokens, so one from the environment would work for a single run at most; set "
                "CRMOFFICE_CLIENT_SECRET"
            ],
            source=settings.source,
        )
    bc_auth = _bc_auth(settings, timeout)
    crm_transport, bc_transport = transport, transport
    if wrap is not None:
        crm_transport = wrap("crmoffice", transport or httpx.HTTPTransport())
        bc_transport = wrap("businesscentral", transport or httpx.HTTPTransport())
    crm = CRMOfficeClient.connect(
        {
            "api": settings.crmoffice_api_url,
            "token_url": settings.crmoffice_token_url,
            "client_id": settings.crmoffice_client_id,
            "client_secret": settings.crmoffice_client_secret.reveal(),
        },
        transport=crm_transport,
        retry=retry,
        timeout=timeout,
    )
    bc = BusinessCentralClient(
        settings.bc_api,
        "",  # set by connect(), once BC_COMPANY is found
        auth=bc_auth,
        transport=bc_transport,
        retry=retry,
        timeout=timeout,
        environments_url=settings.bc_environments_url,
        # Business Central's published limits per principal, kept on our side rather than learnt from 429s.
        rate_limit=rate_limit if rate_limit is not None else shared_rate_limit(settings),
    )
    return TenantPair(crm, bc)


_RATE_LIMITS: dict[tuple[str, str], RateLimit] = {}
_RATE_LOCK = threading.Lock()


def shared_rate_limit(settings: Settings, environ: Mapping[str, str] | None = None, *, shares: int = 0) -> RateLimit:
    """One limiter per Business Central principal in this process, sized to its share of the published limits
    (6,000 requests per 5 minutes, 5 concurrent; ``HARNESS_BC_MAX_REQUESTS`` / ``HARNESS_BC_MAX_CONCURRENT`` change
    them), divided among the processes of a pytest-xdist run, since each is a process with a limiter of its own:
    ``PYTEST_XDIST_WORKER_COUNT`` workers and the controller (whose barrier service polls an external sync's
    markers). ``shares`` says how many there are where that variable is not set (the controller itself). With
    ``HARNESS_BC_LEDGER`` (a file the pytest controller makes for the run) the processes share one window of the
    whole 6,000 instead of splitting it, so a busy worker may use what idle ones leave; the concurrency is split."""
    environ = os.environ if environ is None else environ
    workers = max(0, int(environ.get("PYTEST_XDIST_WORKER_COUNT") or 0))
    shares = max(1, shares or (workers + 1 if workers else 1))
    try:
        requests = int(environ.get("HARNESS_BC_MAX_REQUESTS") or MAX_REQUESTS)
        concurrent = int(environ.get("HARNESS_BC_MAX_CONCURRENT") or MAX_CONCURRENT)
    except ValueError:
        raise SettingsError(["HARNESS_BC_MAX_REQUESTS and HARNESS_BC_MAX_CONCURRENT must be whole numbers"]) from None
    principal = (settings.bc_api_url, settings.bc_client_id or settings.bc_tenant)
    with _RATE_LOCK:
        limit = _RATE_LIMITS.get(principal)
        if limit is None:
            # Business Central queues requests past its concurrency limit rather than refusing them, so each process
            # keeps at least one in flight even when there are more processes than the limit allows.
            ledger = environ.get("HARNESS_BC_LEDGER") or None
            limit = _RATE_LIMITS[principal] = RateLimit(
                max_requests=requests if ledger else max(1, requests // shares),
                window=REQUEST_WINDOW,
                max_concurrent=max(1, concurrent // shares),
                ledger=ledger,
            )
        return limit


def _bc_auth(settings: Settings, timeout: float | httpx.Timeout) -> httpx.Auth:
    if settings.bc_auth == "access_token" and settings.bc_access_token is not None:
        return BearerToken(settings.bc_access_token.reveal())
    client_id = settings.bc_client_id or ""
    seconds = timeout if isinstance(timeout, (int, float)) else (timeout.read or 30.0)  # MSAL takes one number
    common: dict[str, Any] = {"authority": settings.bc_authority, "scope": settings.bc_scope, "timeout": seconds}
    if settings.bc_auth == "client_secret" and settings.bc_client_secret is not None:
        return EntraAuth(settings.bc_tenant, client_id, client_secret=settings.bc_client_secret.reveal(), **common)
    path = settings.bc_certificate_path
    try:
        pem = path.read_text(encoding="utf-8") if path is not None else ""
        return EntraAuth(
            settings.bc_tenant, client_id, private_key=pem, thumbprint=settings.bc_certificate_thumbprint, **common
        )
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        # Checked by from_env; the file may have changed since. EntraAuth's messages never quote the key.
        raise SettingsError([f"BC_CERTIFICATE_PATH {path}: {exc}"], source=settings.source) from None


def company_id(bc: BusinessCentralClient, settings: Settings) -> str:
    """The id of ``BC_COMPANY`` (a name or an id) among the environment's companies; SettingsError listing them."""
    wanted = settings.bc_company
    companies = bc.companies()
    matches = [c for c in companies if str(c.get("id", "")).lower() == wanted.lower()]
    matches = matches or [c for c in companies if c.get("name") == wanted]
    matches = matches or [
        c for c in companies if wanted.casefold() in {str(c.get(k, "")).casefold() for k in ("name", "displayName")}
    ]
    if len(matches) == 1:
        return str(matches[0]["id"])
    found = ", ".join(f"{str(c.get('name'))!r} (id {c.get('id')})" for c in companies) or "none"
    what = "matches more than one company" if matches else "is neither the name nor the id of a company"
    raise SettingsError(
        [
            f"BC_COMPANY {shown(wanted)} {what} in Business Central environment {settings.bc_environment!r} of "
            f"tenant {settings.bc_tenant}; the companies there: {found}"
        ],
        source=settings.source,
    )
