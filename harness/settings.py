"""Settings for real tenants ("sandbox" mode): where CRMOffice and Business Central are, and the credentials.

Why from the environment: credentials must never sit in the repository, a report or a log, and CI systems hand a job
its secrets as environment variables. The non-secret values (URLs, tenant, environment, company, client ids) may also
come from a JSON file named by ``HARNESS_SETTINGS`` (an object of variable name to string; a relative
``BC_CERTIFICATE_PATH`` in it is relative to the file), so a team can keep one per sandbox under version control; a
secret in that file is refused. The environment wins over the file, the file over the defaults; an empty variable
counts as unset.

:meth:`Settings.from_env` checks everything before anything connects and raises one :class:`SettingsError` naming
every variable that is missing or malformed. :func:`connect` builds the two clients, resolving ``BC_COMPANY`` by name
or id. Secrets are held in :class:`~harness.client.auth.Secret`: no repr, error message or
:meth:`Settings.describe` shows them. :data:`VARIABLES` is the one list of variables (names, meanings, defaults).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from harness.businesscentral.client.auth import (
    DEFAULT_AUTHORITY,
    DEFAULT_SCOPE,
    check_certificate,
    normalize_thumbprint,
)
from harness.client.auth import Secret
from harness.client.guids import GUID_PATTERN, is_guid

__all__ = [
    "DEFAULT_BC_API_URL",
    "DEFAULT_BC_AUTHORITY",
    "DEFAULT_BC_SCOPE",
    "PRODUCT_TOKEN",
    "SETTINGS_FILE",
    "VARIABLES",
    "BCAuth",
    "CRMOfficeAuthMethod",
    "Settings",
    "SettingsError",
    "Variable",
    "shown",
]

SETTINGS_FILE = "HARNESS_SETTINGS"
PRODUCT_TOKEN = "HARNESS_PRODUCT_BC_ACCESS_TOKEN"
"""Not a setting of the suite: a Business Central token of a principal of the product's own, which ``harness serve
--env-file`` writes and ``harness proxy`` hands the product as its ``BC_ACCESS_TOKEN``."""
DEFAULT_BC_API_URL = "https://api.businesscentral.dynamics.com"
DEFAULT_BC_AUTHORITY = DEFAULT_AUTHORITY
DEFAULT_BC_SCOPE = DEFAULT_SCOPE

BCAuth = Literal["access_token", "client_secret", "certificate"]
CRMOfficeAuthMethod = Literal["client_credentials", "refresh_token"]


@dataclass(frozen=True)
class Variable:
    """One environment variable: ``required`` says when it must be set, ``meaning`` what it holds."""

    name: str
    required: str
    meaning: str
    secret: bool = False
    default: str | None = None


VARIABLES: tuple[Variable, ...] = (
    Variable(SETTINGS_FILE, "no", "path of a JSON file with the non-secret variables below (the environment wins)"),
    Variable("CRMOFFICE_API_URL", "yes", "CRMOffice API base URL, e.g. https://api.crmoffice.no/"),
    Variable(
        "CRMOFFICE_TOKEN_URL", "yes", "CRMOffice OAuth2 token endpoint, e.g. https://sesam.crmoffice.no/connect/token"
    ),
    Variable("CRMOFFICE_CLIENT_ID", "yes", "CRMOffice OAuth2 client id"),
    Variable("CRMOFFICE_CLIENT_SECRET", "yes (*)", "CRMOffice OAuth2 client secret", secret=True),
    Variable(
        "CRMOFFICE_REFRESH_TOKEN",
        "(*)",
        "CRMOffice refresh token; (*) one of the two is needed, but connecting needs the client secret",
        secret=True,
    ),
    Variable("BC_API_URL", "no", "Business Central API origin", default=DEFAULT_BC_API_URL),
    Variable("BC_TENANT", "yes", "Entra tenant id (GUID) or domain, e.g. contoso.onmicrosoft.com"),
    Variable("BC_ENVIRONMENT", "yes", "Business Central environment name, e.g. Sandbox"),
    Variable("BC_COMPANY", "yes", "company name or id in that environment"),
    Variable("BC_ACCESS_TOKEN", "one auth (**)", "a bearer token obtained elsewhere", secret=True),
    Variable("BC_CLIENT_ID", "with secret or certificate", "Entra app registration (client) id, a GUID"),
    Variable("BC_CLIENT_SECRET", "one auth (**)", "Entra client secret, with BC_CLIENT_ID", secret=True),
    Variable(
        "BC_CERTIFICATE_PATH",
        "one auth (**)",
        "PEM file with the certificate's unencrypted private key, with BC_CLIENT_ID and BC_CERTIFICATE_THUMBPRINT",
    ),
    Variable("BC_CERTIFICATE_THUMBPRINT", "with certificate", "the certificate's SHA-1 thumbprint (40 hex digits)"),
    Variable("BC_AUTHORITY", "no", "Entra ID authority host (https)", default=DEFAULT_BC_AUTHORITY),
    Variable("BC_SCOPE", "no", "token scope for Business Central", default=DEFAULT_BC_SCOPE),
)
"""Every variable; (**) exactly one Business Central auth: a token, a client secret, or a certificate."""

_BY_NAME = {variable.name: variable for variable in VARIABLES}
_SECRETS = frozenset(variable.name for variable in VARIABLES if variable.secret)
_FILE_KEYS = frozenset(name for name in _BY_NAME if name != SETTINGS_FILE and name not in _SECRETS)
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TENANT = re.compile(rf"{GUID_PATTERN}|{_LABEL}(?:\.{_LABEL})+")
_SHOWN = 80


class SettingsError(ValueError):
    """The settings cannot work; ``problems`` lists each one, the message holds them all. No secret is quoted."""

    def __init__(self, problems: list[str], *, source: str = "") -> None:
        self.problems = tuple(problems)
        where = f" (read from the environment{source})"
        lines = "\n".join(f"  - {problem}" for problem in problems)
        count = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"Settings for real tenants (sandbox mode) do not work{where}, {count}:\n{lines}")


def shown(value: str) -> str:
    """A configured value as a message may quote it: at most a few characters (never use it on a secret)."""
    return repr(value if len(value) <= _SHOWN else value[:_SHOWN] + "...")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where the real tenants are and how to sign in; build with :meth:`from_env`."""

    crmoffice_api_url: str
    crmoffice_token_url: str
    crmoffice_client_id: str
    crmoffice_client_secret: Secret | None
    crmoffice_refresh_token: Secret | None
    bc_api_url: str
    bc_tenant: str
    bc_environment: str
    bc_company: str
    bc_auth: BCAuth
    bc_access_token: Secret | None = None
    bc_client_id: str | None = None
    bc_client_secret: Secret | None = None
    bc_certificate_path: Path | None = None
    bc_certificate_thumbprint: str | None = None
    bc_authority: str = DEFAULT_BC_AUTHORITY
    bc_scope: str = DEFAULT_BC_SCOPE
    settings_file: Path | None = None

    @property
    def bc_api(self) -> str:
        """``{BC_API_URL}/v2.0/{BC_TENANT}/{BC_ENVIRONMENT}/api/v2.0``, the client's base URL."""
        return f"{self.bc_api_url}/v2.0/{quote(self.bc_tenant, safe='')}/{quote(self.bc_environment, safe='')}/api/v2.0"

    @property
    def source(self) -> str:
        """Where the settings were read, as a :class:`SettingsError` names it (the environment, the settings file)."""
        return _source(self.settings_file)

    @property
    def bc_environments_url(self) -> str:
        return f"{self.bc_api_url}/environments/v1.1"

    @property
    def crmoffice_auth(self) -> CRMOfficeAuthMethod:
        return "client_credentials" if self.crmoffice_client_secret is not None else "refresh_token"

    def secrets(self) -> list[str]:
        """The secret values held (client secrets, tokens), for a redactor that hides them wherever they appear."""
        held = (self.crmoffice_client_secret, self.crmoffice_refresh_token, self.bc_access_token, self.bc_client_secret)
        return [secret.reveal() for secret in held if secret is not None]

    def describe(self) -> dict[str, str]:
        """The non-secret settings, for a report's environment section."""
        described = {
            "crmoffice_api_url": self.crmoffice_api_url,
            "crmoffice_token_url": self.crmoffice_token_url,
            "crmoffice_client_id": self.crmoffice_client_id,
            "crmoffice_auth": self.crmoffice_auth,
            "bc_api": self.bc_api,
            "bc_environments_url": self.bc_environments_url,
            "bc_tenant": self.bc_tenant,
            "bc_environment": self.bc_environment,
            "bc_company": self.bc_company,
            "bc_auth": self.bc_auth,
        }
        if self.bc_auth != "access_token":
            described |= {"bc_client_id": self.bc_client_id or "", "bc_authority": self.bc_authority}
            described |= {"bc_scope": self.bc_scope}
        if self.bc_auth == "certificate":
            described |= {"bc_certificate_path": str(self.bc_certificate_path)}
            described |= {"bc_certificate_thumbprint": self.bc_certificate_thumbprint or ""}
        if self.settings_file is not None:
            described["settings_file"] = str(self.settings_file)
        return described

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check the variables (``os.environ`` unless given); one :class:`SettingsError` lists all faults."""
        env = os.environ if environ is None else environ
        problems: list[str] = []
        file_name = (env.get(SETTINGS_FILE) or "").strip()
        settings_file = Path(file_name) if file_name else None
        values = _read_file(settings_file, problems) if settings_file is not None else {}
        for name in _BY_NAME:
            value = (env.get(name) or "").strip()
            if value and name != SETTINGS_FILE:
                values[name] = value
        reader = _Reader(values, problems)
        crm_api = reader.url("CRMOFFICE_API_URL")
        crm_token_url = reader.url("CRMOFFICE_TOKEN_URL")
        crm_client_id = reader.required("CRMOFFICE_CLIENT_ID")
        crm_secret, crm_refresh = reader.secret("CRMOFFICE_CLIENT_SECRET"), reader.secret("CRMOFFICE_REFRESH_TOKEN")
        if crm_secret is None and crm_refresh is None:
            problems.append(
                "CRMOFFICE_CLIENT_SECRET is not set: set the environment variable CRMOFFICE_CLIENT_SECRET to the "
                "CRMOffice client secret (or CRMOFFICE_REFRESH_TOKEN to a refresh token)"
            )
        bc_api_url = reader.url("BC_API_URL")
        bc_tenant = reader.tenant()
        bc_environment = reader.environment()
        bc_company = reader.required("BC_COMPANY")
        bc_authority = reader.url("BC_AUTHORITY", https_origin=True)
        bc_scope = reader.scope()
        auth = reader.bc_auth()
        if problems:
            raise SettingsError(problems, source=_source(settings_file))
        return cls(
            crmoffice_api_url=crm_api,
            crmoffice_token_url=crm_token_url,
            crmoffice_client_id=crm_client_id,
            crmoffice_client_secret=crm_secret,
            crmoffice_refresh_token=crm_refresh,
            bc_api_url=bc_api_url.rstrip("/"),
            bc_tenant=bc_tenant,
            bc_environment=bc_environment,
            bc_company=bc_company,
            bc_authority=bc_authority.rstrip("/"),
            bc_scope=bc_scope,
            settings_file=settings_file,
            **auth,
        )


def _source(settings_file: Path | None) -> str:
    return f" and {SETTINGS_FILE}={settings_file}" if settings_file is not None else ""


def _read_file(path: Path, problems: list[str]) -> dict[str, str]:
    where = f"{SETTINGS_FILE} file {path}"
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        problems.append(f"{where} cannot be read: {exc.strerror or exc}")
        return {}
    except ValueError as exc:
        problems.append(f"{where} is not JSON: {exc}")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{where} must hold a JSON object of variable name to string value")
        return {}
    values: dict[str, str] = {}
    for key, value in data.items():
        if key in _SECRETS:
            # The value is not quoted: it is a secret in the wrong place.
            problems.append(
                f"{where} holds {key}, a secret: remove it from the file and set the environment variable {key} instead"
            )
        elif key not in _FILE_KEYS:
            problems.append(f"{where} holds unknown key {key!r}; known keys: {', '.join(sorted(_FILE_KEYS))}")
        elif not isinstance(value, str):
            problems.append(f"{where}: {key} must be a string, got {type(value).__name__}")
        elif value.strip():
            values[key] = value.strip()
    if "BC_CERTIFICATE_PATH" in values:
        # A relative path in the file is relative to the file, so the file and its certificate can travel together.
        values["BC_CERTIFICATE_PATH"] = str(path.parent / values["BC_CERTIFICATE_PATH"])
    return values


class _Reader:
    """Reads the merged values, appending a problem for each missing or malformed one (and giving "" for it)."""

    def __init__(self, values: Mapping[str, str], problems: list[str]) -> None:
        self.values = values
        self.problems = problems

    def required(self, name: str) -> str:
        value = self.values.get(name) or _BY_NAME[name].default
        if value is None:
            self.problems.append(f"{name} is not set: {_BY_NAME[name].meaning}")
            return ""
        return value

    def secret(self, name: str) -> Secret | None:
        value = self.values.get(name)
        return Secret(value) if value else None

    def url(self, name: str, *, https_origin: bool = False) -> str:
        value = self.required(name)
        if not value:
            return ""
        parts = urlsplit(value)
        try:
            parts.port  # noqa: B018 - raises ValueError for a port that is not a number
        except ValueError:
            parts = urlsplit("")
        if parts.username is not None or parts.password is not None:
            # Not quoted: the value holds a credential.
            self.problems.append(f"{name} must not carry credentials (user:password@); each secret has its variable")
            return ""
        schemes = ("https",) if https_origin else ("http", "https")
        if parts.scheme not in schemes or not parts.hostname or parts.query or parts.fragment:
            kind = "an https" if https_origin else "an http(s)"
            self.problems.append(f"{name} must be {kind} URL with a host, got {shown(value)}")
            return ""
        if https_origin and parts.path.strip("/"):
            self.problems.append(
                f"{name} must be the Entra ID host alone, e.g. {DEFAULT_BC_AUTHORITY} (the tenant comes from "
                f"BC_TENANT), got {shown(value)}"
            )
            return ""
        return value

    def tenant(self) -> str:
        value = self.required("BC_TENANT")
        if value and not _TENANT.fullmatch(value):
            self.problems.append(
                f"BC_TENANT must be an Entra tenant id (a GUID) or a domain such as contoso.onmicrosoft.com, "
                f"got {shown(value)}"
            )
            return ""
        return value

    def environment(self) -> str:
        value = self.required("BC_ENVIRONMENT")
        if value and (re.search(r"[/?#\\]", value) or not value.isprintable()):
            self.problems.append(f"BC_ENVIRONMENT must be an environment name such as Sandbox, got {shown(value)}")
            return ""
        return value

    def scope(self) -> str:
        value = self.required("BC_SCOPE")
        if value and (not value.endswith("/.default") or " " in value):
            self.problems.append(
                f"BC_SCOPE must be one resource's '/.default' scope (client credentials need it), e.g. "
                f"{DEFAULT_BC_SCOPE}, got {shown(value)}"
            )
            return ""
        return value

    def bc_auth(self) -> dict[str, Any]:
        """The Business Central auth fields of :class:`Settings`, or none after recording why not."""
        token, secret = self.secret("BC_ACCESS_TOKEN"), self.secret("BC_CLIENT_SECRET")
        path, thumbprint = self.values.get("BC_CERTIFICATE_PATH"), self.values.get("BC_CERTIFICATE_THUMBPRINT")
        chosen = [
            name
            for name, given in (
                ("BC_ACCESS_TOKEN", token is not None),
                ("BC_CLIENT_SECRET", secret is not None),
                ("BC_CERTIFICATE_PATH", path is not None or thumbprint is not None),
            )
            if given
        ]
        if not chosen:
            self.problems.append(
                "no Business Central auth is set: set BC_ACCESS_TOKEN, or BC_CLIENT_ID with BC_CLIENT_SECRET, or "
                "BC_CLIENT_ID with BC_CERTIFICATE_PATH and BC_CERTIFICATE_THUMBPRINT"
            )
            return {}
        if len(chosen) > 1:
            self.problems.append(
                f"more than one Business Central auth is set ({' and '.join(chosen)}): keep exactly one of "
                "BC_ACCESS_TOKEN, BC_CLIENT_SECRET, BC_CERTIFICATE_PATH"
            )
            return {}
        if token is not None:
            return {
                "bc_auth": "access_token",
                "bc_access_token": token,
                "bc_client_id": self.values.get("BC_CLIENT_ID"),
            }
        client_id = self.client_id()
        if secret is not None:
            return (
                {"bc_auth": "client_secret", "bc_client_id": client_id, "bc_client_secret": secret} if client_id else {}
            )
        certificate = self.certificate(path, thumbprint)
        if not client_id or not certificate:
            return {}
        return {"bc_auth": "certificate", "bc_client_id": client_id, **certificate}

    def client_id(self) -> str:
        value = self.values.get("BC_CLIENT_ID")
        if value is None:
            self.problems.append("BC_CLIENT_ID is not set: the Entra app registration (client) id, a GUID")
            return ""
        if not is_guid(value):
            self.problems.append(f"BC_CLIENT_ID must be the Entra app's client id, a GUID, got {shown(value)}")
            return ""
        return value

    def certificate(self, path: str | None, thumbprint: str | None) -> dict[str, Any]:
        normalized = None
        if thumbprint is None:
            self.problems.append(
                f"BC_CERTIFICATE_THUMBPRINT is not set: {_BY_NAME['BC_CERTIFICATE_THUMBPRINT'].meaning}"
            )
        else:
            normalized = normalize_thumbprint(thumbprint)
            if normalized is None:
                self.problems.append(
                    f"BC_CERTIFICATE_THUMBPRINT must be a SHA-1 thumbprint (40 hex digits), got {shown(thumbprint)}"
                )
        if path is None:
            self.problems.append(f"BC_CERTIFICATE_PATH is not set: {_BY_NAME['BC_CERTIFICATE_PATH'].meaning}")
            return {}
        try:
            pem = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a PEM text file"
            self.problems.append(f"BC_CERTIFICATE_PATH {path} cannot be read: {reason}")
            return {}
        faults = check_certificate(pem, normalized or "")
        self.problems.extend(f"BC_CERTIFICATE_PATH {path}: {fault}" for fault in faults)
        if faults or normalized is None:
            return {}
        return {"bc_certificate_path": Path(path), "bc_certificate_thumbprint": normalized}
