"""Bearer auth, the URL layout, the read-only companies, the environments listing, and unknown paths."""

from __future__ import annotations

import httpx
import pytest

from harness.businesscentral.client import BusinessCentralClient
from harness.businesscentral.fake import BusinessCentralFake
from harness.client import AuthenticationError, BearerToken, RetryPolicy
from harness.fakes import Mounted
from tests.businesscentral.helpers import assert_error, error_of


def test_a_request_without_a_token_is_refused(anonymous: httpx.Client, api: str) -> None:
    response = anonymous.get(f"{api}/companies")
    assert_error(response, 401, "Authentication_InvalidCredentials", "The server has rejected the client credentials.")


@pytest.mark.parametrize("header", ["Bearer wrong-token", "Basic dXNlcjpwYXNz", "Bearer", "bearer x"])
def test_a_wrong_token_is_refused(anonymous: httpx.Client, api: str, header: str) -> None:
    response = anonymous.get(f"{api}/companies", headers={"Authorization": header})
    assert_error(response, 401, "Authentication_InvalidCredentials")


def test_a_revoked_token_stops_working(raw: httpx.Client, api: str, bc: BusinessCentralFake) -> None:
    assert raw.get(f"{api}/companies").status_code == 200
    bc.revoke_tokens()
    assert_error(raw.get(f"{api}/companies"), 401, "Authentication_InvalidCredentials")


def test_the_client_raises_authentication_error(mounted: Mounted, bc: BusinessCentralFake) -> None:
    info = bc.info()
    with (
        BusinessCentralClient(
            info["api"], info["company_id"], auth=BearerToken("nope"), transport=mounted.transport()
        ) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        client.companies()
    assert (caught.value.status, caught.value.code) == (401, "Authentication_InvalidCredentials"), caught.value


def test_companies_are_listed_and_read_only(raw: httpx.Client, api: str, bc: BusinessCentralFake) -> None:
    listing = raw.get(f"{api}/companies")
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["@odata.context"].endswith("/api/v2.0/$metadata#companies"), body["@odata.context"]
    assert [c["id"] for c in body["value"]] == [bc.company_id], body
    assert {"id", "name", "displayName", "systemVersion", "timestamp", "businessProfileId"} <= set(body["value"][0])
    one = raw.get(f"{api}/companies({bc.company_id})")
    assert one.status_code == 200 and one.json()["id"] == bc.company_id, one.text
    assert_error(raw.post(f"{api}/companies", json={"name": "New"}), 405, "BadRequest_MethodNotAllowed")
    assert_error(raw.patch(f"{api}/companies({bc.company_id})", json={"name": "x"}), 405, "BadRequest_MethodNotAllowed")


def test_the_tenant_segment_may_be_omitted(raw: httpx.Client, bc: BusinessCentralFake) -> None:
    response = raw.get(f"/v2.0/{bc.environment}/api/v2.0/companies")
    assert response.status_code == 200, response.text


def test_another_tenant_in_the_url_is_refused(raw: httpx.Client, bc: BusinessCentralFake) -> None:
    response = raw.get(f"/v2.0/00000000-0000-0000-0000-00000000beef/{bc.environment}/api/v2.0/companies")
    assert_error(response, 401, "Authentication_InvalidCredentials")


def test_environment_names_ignore_case_and_unknown_ones_are_not_found(
    raw: httpx.Client, bc: BusinessCentralFake
) -> None:
    assert raw.get(f"/v2.0/{bc.tenant_id}/SANDBOX/api/v2.0/companies").status_code == 200
    assert_error(raw.get(f"/v2.0/{bc.tenant_id}/QA-9/api/v2.0/companies"), 404, "BadRequest_ResourceNotFound")


def test_an_unknown_company_is_not_found(raw: httpx.Client, api: str) -> None:
    missing = "11111111-2222-3333-4444-555555555555"
    assert_error(raw.get(f"{api}/companies({missing})/customers"), 404, "BadRequest_NotFound")
    assert_error(raw.get(f"{api}/companies(not-a-guid)/customers"), 400, "BadRequest")


@pytest.mark.parametrize("path", ["/", "/v2.0", "/v2.0/x/y/api/v2.0/vendors", "/v2.0/x/api/v1.0/companies"])
def test_unknown_paths_get_the_vendor_error_not_a_traceback(raw: httpx.Client, path: str) -> None:
    response = raw.get(path)
    assert_error(response, 404, "BadRequest_NotFound")
    assert error_of(response)["message"].startswith("No HTTP resource was found that matches the request URI '")


def test_environments_are_listed_with_their_type(client: BusinessCentralClient, bc: BusinessCentralFake) -> None:
    environments = {env["name"]: env for env in client.environments()}
    assert {name: env["type"] for name, env in environments.items()} == {
        "Sandbox": "sandbox",
        "Production": "production",
    }, environments
    assert environments["Sandbox"]["aadTenantId"] == bc.tenant_id
    assert environments["Sandbox"]["webServiceUrl"].endswith(f"/v2.0/{bc.tenant_id}/Sandbox/api/v2.0")


def test_the_production_environment_is_a_separate_company(raw: httpx.Client, bc: BusinessCentralFake) -> None:
    production = raw.get(f"/v2.0/{bc.tenant_id}/Production/api/v2.0/companies").json()["value"]
    assert [c["id"] for c in production] != [bc.company_id], production


def test_a_client_without_environments_url_says_so(mounted: Mounted, bc: BusinessCentralFake) -> None:
    client = BusinessCentralClient(
        bc.info()["api"], bc.company_id, transport=mounted.transport(), retry=RetryPolicy.none()
    )
    with client, pytest.raises(ValueError, match="environments_url"):
        client.environments()


def test_an_unknown_entity_set_is_refused_before_sending(client: BusinessCentralClient) -> None:
    with pytest.raises(ValueError, match="unknown Business Central entity set 'vendors'"):
        client.get("vendors", "x")  # type: ignore[arg-type]
