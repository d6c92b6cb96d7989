"""Settings for real tenants: variables, settings file, checks, no secret shown, a round trip to fakes."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from harness.businesscentral.fake import BusinessCentralFake
from harness.client import RetryPolicy
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import Clock, IdSource, mount
from harness.settings import Settings, SettingsError
from harness.tenants import connect

CRM_SECRET = "crm-Secret-value-0001"
BC_SECRET = "bc-Secret-value-0002"
BC_TOKEN = "bc-Token-value-0003"
REFRESH = "crm-Refresh-value-0004"
BC_CLIENT_ID = "11111111-2222-3333-4444-555555555555"
COMPLETE = {
    "CRMOFFICE_API_URL": "https://api.crmoffice.no/",
    "CRMOFFICE_TOKEN_URL": "https://sesam.crmoffice.no/connect/token",
    "CRMOFFICE_CLIENT_ID": "sesam-qa",
    "CRMOFFICE_CLIENT_SECRET": CRM_SECRET,
    "BC_TENANT": "contoso.onmicrosoft.com",
    "BC_ENVIRONMENT": "Sandbox",
    "BC_COMPANY": "CRONUS NO",
    "BC_CLIENT_ID": BC_CLIENT_ID,
    "BC_CLIENT_SECRET": BC_SECRET,
    "PATH": "/usr/bin",
}
FAST = RetryPolicy(attempts=2, sleep=lambda _: None, jitter=0)


def _env(**changes: str | None) -> dict[str, str]:
    env = dict(COMPLETE)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _refused(env: dict[str, str]) -> SettingsError:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    return refused.value


def test_a_complete_environment_gives_settings() -> None:
    settings = Settings.from_env(_env())
    assert (
        settings.bc_api == "https://api.businesscentral.dynamics.com/v2.0/contoso.onmicrosoft.com/Sandbox/api/v2.0"
    ), f"expected the default API base with tenant and environment, got {settings.bc_api}"
    assert settings.bc_environments_url == "https://api.businesscentral.dynamics.com/environments/v1.1", (
        f"expected the environments listing, got {settings.bc_environments_url}"
    )
    assert settings.bc_auth == "client_secret", f"expected client_secret auth, got {settings.bc_auth}"
    assert settings.bc_authority == "https://login.microsoftonline.com", f"got {settings.bc_authority}"
    assert settings.bc_scope == "https://api.businesscentral.dynamics.com/.default", f"got {settings.bc_scope}"
    assert settings.bc_client_secret is not None, "expected the BC client secret held"
    assert settings.bc_client_secret.reveal() == BC_SECRET, "expected reveal() to give the BC client secret"
    assert settings.crmoffice_auth == "client_credentials", (
        f"expected client credentials, got {settings.crmoffice_auth}"
    )
    described = settings.describe()
    assert described["bc_api"] == settings.bc_api, f"expected the API base described, got {described}"
    assert described["bc_client_id"] == BC_CLIENT_ID, f"expected the client id described, got {described}"


def test_the_environment_is_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in _env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("HARNESS_SETTINGS", raising=False)
    assert Settings.from_env().bc_company == "CRONUS NO", "expected the settings read from os.environ"


REQUIRED = [
    "CRMOFFICE_API_URL",
    "CRMOFFICE_TOKEN_URL",
    "CRMOFFICE_CLIENT_ID",
    "CRMOFFICE_CLIENT_SECRET",
    "BC_TENANT",
    "BC_ENVIRONMENT",
    "BC_COMPANY",
    "BC_CLIENT_ID",
]


@pytest.mark.parametrize("name", REQUIRED)
def test_a_missing_variable_is_named(name: str) -> None:
    error = _refused(_env(**{name: None}))
    assert f"{name} is not set" in str(error), f"expected '{name} is not set' in {error}"
    assert len(error.problems) == 1, f"expected one problem, got {error.problems}"


def test_an_empty_variable_counts_as_unset() -> None:
    error = _refused(_env(BC_COMPANY="  "))
    assert "BC_COMPANY is not set" in str(error), f"expected BC_COMPANY named, got {error}"


def test_an_empty_environment_names_every_variable_in_one_message() -> None:
    error = _refused({})
    for name in [*REQUIRED[:-1], "BC_ACCESS_TOKEN", "BC_CLIENT_SECRET", "BC_CERTIFICATE_PATH"]:
        assert name in str(error), f"expected {name} in the one message, got {error}"


MALFORMED = [
    ("CRMOFFICE_API_URL", "api.crmoffice.no"),
    ("CRMOFFICE_TOKEN_URL", "ftp://sesam.crmoffice.no/connect/token"),
    ("BC_API_URL", "https://"),
    ("BC_API_URL", "https://host:port"),
    ("BC_TENANT", "contoso"),
    ("BC_ENVIRONMENT", "Sand/box"),
    ("BC_CLIENT_ID", "my-app"),
    ("BC_AUTHORITY", "http://login.microsoftonline.com"),
    ("BC_AUTHORITY", "https://login.microsoftonline.com/contoso.onmicrosoft.com"),
    ("BC_SCOPE", "https://api.businesscentral.dynamics.com/user_impersonation"),
]


@pytest.mark.parametrize(("name", "value"), MALFORMED, ids=[f"{n}={v}" for n, v in MALFORMED])
def test_a_malformed_value_is_named(name: str, value: str) -> None:
    error = _refused(_env(**{name: value}))
    assert [p for p in error.problems if p.startswith(name)], f"expected a problem naming {name}, got {error.problems}"


def test_credentials_in_a_url_are_refused_without_quoting_them() -> None:
    error = _refused(_env(CRMOFFICE_API_URL="https://qa:pw-Hidden-99@api.crmoffice.no/"))
    assert "CRMOFFICE_API_URL must not carry credentials" in str(error), f"expected the variable named, got {error}"
    assert "pw-Hidden-99" not in str(error), f"expected the password not quoted, got {error}"


def test_two_business_central_auth_methods_are_refused() -> None:
    error = _refused(_env(BC_ACCESS_TOKEN=BC_TOKEN))
    assert "BC_ACCESS_TOKEN and BC_CLIENT_SECRET" in str(error), f"expected both auth variables named, got {error}"


def test_no_business_central_auth_is_refused() -> None:
    error = _refused(_env(BC_CLIENT_SECRET=None))
    assert "no Business Central auth is set" in str(error), f"expected the missing auth named, got {error}"


def test_an_access_token_needs_no_client_id() -> None:
    settings = Settings.from_env(_env(BC_CLIENT_SECRET=None, BC_CLIENT_ID=None, BC_ACCESS_TOKEN=BC_TOKEN))
    assert settings.bc_auth == "access_token", f"expected access_token auth, got {settings.bc_auth}"


def _write_certificate(path: Path) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "harness-test")])
    now = datetime.datetime.now(datetime.UTC)
    builder = x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
    certificate = builder.serial_number(1).not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
    signed = certificate.sign(key, hashes.SHA256())
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.write_bytes(signed.public_bytes(serialization.Encoding.PEM) + pem_key)
    return signed.fingerprint(hashes.SHA1()).hex()


def test_a_certificate_is_checked(tmp_path: Path) -> None:
    pem = tmp_path / "bc.pem"
    thumbprint = _write_certificate(pem)
    with_colons = ":".join(thumbprint[i : i + 2] for i in range(0, 40, 2))
    env = _env(BC_CLIENT_SECRET=None, BC_CERTIFICATE_PATH=str(pem), BC_CERTIFICATE_THUMBPRINT=with_colons)
    settings = Settings.from_env(env)
    assert settings.bc_auth == "certificate", f"expected certificate auth, got {settings.bc_auth}"
    assert settings.bc_certificate_thumbprint == thumbprint.upper(), f"got {settings.bc_certificate_thumbprint}"
    wrong = _refused({**env, "BC_CERTIFICATE_THUMBPRINT": "AB" * 20})
    assert "not the thumbprint given" in str(wrong), f"expected the thumbprint mismatch named, got {wrong}"
    (tmp_path / "cert-only.pem").write_text(pem.read_text().split("-----END CERTIFICATE-----")[0])
    keyless = _refused({**env, "BC_CERTIFICATE_PATH": str(tmp_path / "cert-only.pem")})
    assert "no usable PEM private key" in str(keyless), f"expected a missing key named, got {keyless}"
    absent = _refused({**env, "BC_CERTIFICATE_PATH": str(tmp_path / "absent.pem")})
    assert "BC_CERTIFICATE_PATH" in str(absent) and "cannot be read" in str(absent), f"got {absent}"
    half = _refused(_env(BC_CLIENT_SECRET=None, BC_CERTIFICATE_PATH=str(pem)))
    assert "BC_CERTIFICATE_THUMBPRINT is not set" in str(half), f"expected the thumbprint named, got {half}"


def _settings_file(tmp_path: Path, content: object) -> str:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps(content))
    return str(path)


def test_a_secret_in_the_settings_file_is_refused(tmp_path: Path) -> None:
    file = _settings_file(tmp_path, {"BC_TENANT": "contoso.onmicrosoft.com", "BC_CLIENT_SECRET": "file-Secret-77"})
    error = _refused(_env(HARNESS_SETTINGS=file))
    assert "holds BC_CLIENT_SECRET, a secret" in str(error), f"expected the secret key named, got {error}"
    assert "set the environment variable BC_CLIENT_SECRET" in str(error), f"expected the way out, got {error}"
    assert "file-Secret-77" not in str(error), f"expected the value not quoted, got {error}"


def test_the_settings_file_fills_in_and_the_environment_wins(tmp_path: Path) -> None:
    file = _settings_file(tmp_path, {"BC_TENANT": "file.onmicrosoft.com", "BC_ENVIRONMENT": "QA-1", "BC_COMPANY": "F"})
    settings = Settings.from_env(_env(HARNESS_SETTINGS=file, BC_ENVIRONMENT=None, BC_COMPANY=None))
    assert settings.bc_environment == "QA-1", f"expected the file's environment, got {settings.bc_environment}"
    assert settings.bc_tenant == "contoso.onmicrosoft.com", (
        f"expected the environment's tenant, got {settings.bc_tenant}"
    )
    assert settings.describe().get("settings_file") == file, (
        f"expected the file in describe(), got {settings.describe()}"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"BC_TENNANT": "x"}, "unknown key 'BC_TENNANT'"),
        ({"BC_COMPANY": 7}, "BC_COMPANY must be a string"),
        (3, "object"),
    ],
    ids=["unknown key", "not a string", "not an object"],
)
def test_a_bad_settings_file_is_named(tmp_path: Path, content: object, expected: str) -> None:
    error = _refused(_env(HARNESS_SETTINGS=_settings_file(tmp_path, content)))
    assert expected in str(error) and "HARNESS_SETTINGS file" in str(error), f"expected {expected!r} in {error}"


def test_an_unreadable_settings_file_is_named(tmp_path: Path) -> None:
    error = _refused(_env(HARNESS_SETTINGS=str(tmp_path / "absent.json")))
    assert "absent.json cannot be read" in str(error), f"expected the file named, got {error}"


SECRETS = (CRM_SECRET, BC_SECRET, BC_TOKEN, REFRESH)


def test_no_secret_in_reprs_descriptions_or_errors() -> None:
    settings = Settings.from_env(_env(CRMOFFICE_REFRESH_TOKEN=REFRESH))
    error = _refused(_env(CRMOFFICE_REFRESH_TOKEN=REFRESH, BC_ACCESS_TOKEN=BC_TOKEN, BC_TENANT="contoso"))
    token_settings = Settings.from_env(_env(BC_CLIENT_SECRET=None, BC_ACCESS_TOKEN=BC_TOKEN))
    shown = [repr(settings), str(settings), json.dumps(settings.describe()), str(error), repr(error)]
    shown += [repr(token_settings), json.dumps(token_settings.describe())]
    for text in shown:
        leaked = [secret for secret in SECRETS if secret in text]
        assert not leaked, f"expected no secret shown, found {leaked} in {text!r}"


def test_secrets_lists_every_secret_held_for_the_redactor() -> None:
    settings = Settings.from_env(_env(CRMOFFICE_REFRESH_TOKEN=REFRESH))
    assert sorted(settings.secrets()) == sorted([CRM_SECRET, REFRESH, BC_SECRET]), f"got {len(settings.secrets())}"


def test_a_refresh_token_alone_is_read_but_connect_explains_it_is_unsupported() -> None:
    settings = Settings.from_env(_env(CRMOFFICE_CLIENT_SECRET=None, CRMOFFICE_REFRESH_TOKEN=REFRESH))
    assert settings.crmoffice_auth == "refresh_token", f"expected refresh_token, got {settings.crmoffice_auth}"
    with pytest.raises(SettingsError) as refused:
        connect(settings)
    assert "set CRMOFFICE_CLIENT_SECRET" in str(refused.value), f"expected the variable to set, got {refused.value}"
    assert REFRESH not in str(refused.value), "expected the refresh token not quoted"


# --- against fakes on loopback sockets --------------------------------------------------------------------------------
@pytest.fixture
def fakes() -> Iterator[tuple[CRMOfficeFake, BusinessCentralFake]]:
    clock, ids = Clock(), IdSource(2025)
    crm, bc = CRMOfficeFake(clock=clock, ids=ids), BusinessCentralFake(clock=clock, ids=ids)
    with mount(crm, "wire"), mount(bc, "wire"):
        yield crm, bc
    for fake in (crm, bc):
        assert fake.internal_errors == [], f"expected no internal error in {fake!r}, got {fake.internal_errors}"


def _fake_env(crm: CRMOfficeFake, bc: BusinessCentralFake, **changes: str | None) -> dict[str, str]:
    crm_info, bc_info = crm.info(), bc.info()
    env = {
        "CRMOFFICE_API_URL": crm_info["api"],
        "CRMOFFICE_TOKEN_URL": crm_info["token_url"],
        "CRMOFFICE_CLIENT_ID": crm_info["client_id"],
        "CRMOFFICE_CLIENT_SECRET": crm_info["client_secret"],
        "BC_API_URL": bc.base_url,
        "BC_TENANT": bc_info["tenant_id"],
        "BC_ENVIRONMENT": bc_info["environment"],
        "BC_COMPANY": "CRONUS NO",
        "BC_ACCESS_TOKEN": bc_info["token"],
    }
    return {name: value for name, value in {**env, **changes}.items() if value is not None}


@pytest.mark.wire
def test_settings_for_a_served_fake_give_the_urls_it_serves(fakes: tuple[CRMOfficeFake, BusinessCentralFake]) -> None:
    crm, bc = fakes
    settings = Settings.from_env(_fake_env(crm, bc))
    assert settings.bc_api == bc.info()["api"], f"expected {bc.info()['api']}, got {settings.bc_api}"
    assert settings.bc_environments_url == bc.info()["environments_url"], f"got {settings.bc_environments_url}"


@pytest.mark.wire
@pytest.mark.parametrize("company", ["name", "id"])
def test_connect_reaches_the_fakes(fakes: tuple[CRMOfficeFake, BusinessCentralFake], company: str) -> None:
    crm, bc = fakes
    wanted = "CRONUS NO" if company == "name" else bc.company_id.upper()
    with connect(Settings.from_env(_fake_env(crm, bc, BC_COMPANY=wanted)), retry=FAST) as pair:
        assert pair.businesscentral.company_id == bc.company_id, f"expected {bc.company_id}, got {pair.businesscentral}"
        environments = {env["name"]: env["type"] for env in pair.businesscentral.environments()}
        assert environments.get("Sandbox") == "sandbox", f"expected the Sandbox environment listed, got {environments}"
        customers = list(pair.businesscentral.pages("customers"))
        assert customers == [[]], f"expected one empty page of customers, got {customers}"
        companies = list(pair.crmoffice.records("companies"))
        assert companies == [], f"expected no CRMOffice companies yet, got {companies}"


@pytest.mark.wire
def test_wrap_puts_a_transport_in_front_of_each_tenant(fakes: tuple[CRMOfficeFake, BusinessCentralFake]) -> None:
    crm, bc = fakes
    seen: list[str] = []

    class Counting(httpx.BaseTransport):
        def __init__(self, inner: httpx.BaseTransport, system: str) -> None:
            self.inner, self.system = inner, system

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            seen.append(f"{self.system} {request.method} {request.url.path}")
            return self.inner.handle_request(request)

        def close(self) -> None:
            self.inner.close()

    with connect(Settings.from_env(_fake_env(crm, bc)), retry=FAST, wrap=lambda s, t: Counting(t, s)) as pair:
        list(pair.crmoffice.records("contacts"))
    expected = [
        f"businesscentral GET {bc.api_path()}/companies",
        "crmoffice POST /connect/token",
        "crmoffice GET /contacts",
    ]
    assert seen == expected, f"expected each tenant's calls through its wrapper: {expected}, got {seen}"


@pytest.mark.wire
def test_an_unknown_company_lists_the_companies_found(fakes: tuple[CRMOfficeFake, BusinessCentralFake]) -> None:
    crm, bc = fakes
    with pytest.raises(SettingsError) as refused:
        connect(Settings.from_env(_fake_env(crm, bc, BC_COMPANY="Nordic Ltd")), retry=FAST)
    text = str(refused.value)
    assert "BC_COMPANY 'Nordic Ltd'" in text, f"expected the company named, got {text}"
    assert f"'CRONUS NO' (id {bc.company_id})" in text, f"expected the companies found listed, got {text}"


@pytest.mark.wire
def test_connect_gets_a_business_central_token_from_entra(fakes: tuple[CRMOfficeFake, BusinessCentralFake]) -> None:
    crm, bc = fakes
    authority, tenant = "https://login.entra.test", bc.info()["tenant_id"]
    env = _fake_env(
        crm, bc, BC_ACCESS_TOKEN=None, BC_CLIENT_ID=BC_CLIENT_ID, BC_CLIENT_SECRET=BC_SECRET, BC_AUTHORITY=authority
    )
    with responses.RequestsMock() as entra:
        token_url = f"{authority}/{tenant}/oauth2/v2.0/token"
        discovery = {
            "authorization_endpoint": f"{authority}/{tenant}/oauth2/v2.0/authorize",
            "token_endpoint": token_url,
        }
        entra.get(f"{authority}/{tenant}/v2.0/.well-known/openid-configuration", json=discovery)
        entra.post(token_url, json={"token_type": "Bearer", "expires_in": 3600, "access_token": bc.token})
        with connect(Settings.from_env(env), retry=FAST) as pair:
            names = [company["name"] for company in pair.businesscentral.companies()]
    assert names == ["CRONUS NO"], f"expected the sandbox's company with Entra's token, got {names}"


def test_one_rate_limit_per_principal_shared_by_its_clients_and_split_among_workers() -> None:
    from harness.tenants import shared_rate_limit

    settings = Settings.from_env(_env(BC_API_URL="https://bc-limits.example"))
    limit = shared_rate_limit(settings, {"PYTEST_XDIST_WORKER_COUNT": "2"})
    assert shared_rate_limit(settings, {"PYTEST_XDIST_WORKER_COUNT": "2"}) is limit, "one limiter per principal"
    stats = limit.stats()
    assert (stats.max_requests, stats.max_concurrent) == (2000, 1), (
        f"expected a third of 6,000 and of 5 (two workers and the controller), got {stats}"
    )
