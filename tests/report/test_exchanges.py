"""Recording HTTP exchanges: the client sees what the inner transport gave; the log holds it redacted and bounded."""

from __future__ import annotations

import base64
import gzip
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal

import httpx
import pytest

from harness.crmoffice import CRMOfficeClient
from harness.crmoffice.fake import CRMOfficeFake
from harness.fakes import mount
from harness.report import REDACTED, Exchange, ExchangeLog, RecordingTransport

CLIENT_SECRET = "cs-4f1d9a7be2c04e51"
ACCESS_TOKEN = "at-9c2e7f1a5b3d4e60"
REFRESH_TOKEN = "rt-1b7d3f9e2a6c4058"


def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(201, headers={"ETag": 'W/"1"'}, json={"id": "c-1", "echo": request.url.path})


def _exchange(n: int) -> Exchange:
    return Exchange(started=datetime.now(UTC), elapsed_ms=1.0, method="GET", url=f"https://crm.test/{n}")


def test_the_client_gets_the_same_answer_and_the_log_has_both_sides() -> None:
    log = ExchangeLog()
    with httpx.Client(transport=RecordingTransport(httpx.MockTransport(_ok), log, "CRMOffice")) as client:
        response = client.post("https://crm.test/contacts", json={"name": "Ada"})
    assert (response.status_code, response.headers["ETag"], response.json()) == (
        201,
        'W/"1"',
        {"id": "c-1", "echo": "/contacts"},
    )
    [exchange] = log.exchanges()
    assert (exchange.method, exchange.url, exchange.status, exchange.error) == (
        "POST",
        "https://crm.test/contacts",
        201,
        None,
    )
    assert json.loads(exchange.request_body) == {"name": "Ada"}
    assert json.loads(exchange.response_body) == {"id": "c-1", "echo": "/contacts"}
    assert exchange.response_headers["ETag"] == 'W/"1"'
    assert "[1] CRMOffice" in log.render()
    assert "--> POST https://crm.test/contacts" in log.render()
    assert "<-- 201 Created (" in log.render()


def test_a_transport_error_is_recorded_and_raised_unchanged() -> None:
    error = httpx.ConnectError("connection refused")

    def refuse(request: httpx.Request) -> httpx.Response:
        raise error

    log = ExchangeLog()
    transport = RecordingTransport(httpx.MockTransport(refuse), log, "Business Central")
    with httpx.Client(transport=transport) as client, pytest.raises(httpx.ConnectError) as raised:
        client.get("https://bc.test/companies")
    assert raised.value is error
    [exchange] = log.exchanges()
    assert (exchange.status, exchange.error) == (None, "ConnectError: connection refused")
    assert "<-- error after" in log.render()
    assert "ConnectError: connection refused" in log.render()


class _OneShot(httpx.SyncByteStream):
    def __init__(self, body: bytes) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        yield self._body


@pytest.mark.parametrize("built", ["content", "unread stream", "read stream"])
def test_a_gzip_body_is_decoded_once(built: str) -> None:
    body = {"value": [{"id": n, "name": "Åse"} for n in range(50)]}
    packed = gzip.compress(json.dumps(body).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}

    def handler(request: httpx.Request) -> httpx.Response:
        if built == "content":
            return httpx.Response(200, headers=headers, content=packed)
        response = httpx.Response(200, headers=headers, stream=_OneShot(packed))
        if built == "read stream":
            response.read()
        return response

    log = ExchangeLog()
    with httpx.Client(transport=RecordingTransport(httpx.MockTransport(handler), log)) as client:
        response = client.get("https://bc.test/items")
    assert response.json() == body
    assert json.loads(log.exchanges()[0].response_body) == body


def test_the_ring_drops_the_oldest_and_says_so() -> None:
    log = ExchangeLog(limit=3)
    for n in range(5):
        log.append(_exchange(n))
    assert [e.url for e in log.exchanges()] == ["https://crm.test/2", "https://crm.test/3", "https://crm.test/4"]
    assert log.dropped == 2
    assert log.render().splitlines()[0] == "HTTP exchanges: 3 recorded; 2 earlier ones dropped (limit 3)"
    assert "[3] " in log.render()
    assert json.loads(log.to_json())["dropped"] == 2
    log.clear()
    assert (len(log), log.dropped) == (0, 0)


def test_concurrent_recording_loses_nothing_below_the_limit() -> None:
    log = ExchangeLog(limit=500)
    transport = RecordingTransport(httpx.MockTransport(_ok), log)

    def send(worker: int) -> None:
        for n in range(50):
            transport.handle_request(httpx.Request("GET", f"https://crm.test/{worker}/{n}"))

    threads = [threading.Thread(target=send, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    urls = {e.url for e in log.exchanges()}
    assert (len(urls), log.dropped) == (400, 0)


def test_bodies_are_cut_after_redaction() -> None:
    log = ExchangeLog(body_limit=40)

    def big(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"access_token": ACCESS_TOKEN, "filler": "x" * 200})

    with httpx.Client(transport=RecordingTransport(httpx.MockTransport(big), log)) as client:
        client.get("https://crm.test/big")
    body = log.exchanges()[0].response_body
    assert body.startswith('{\n  "access_token": "[redacted]"'), body
    assert body.endswith("more characters]"), body


def _token_tenant(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/connect/token":
        tokens = {"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN, "token_type": "Bearer"}
        return httpx.Response(200, json={**tokens, "expires_in": 3600})
    assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
    return httpx.Response(200, json={"value": [], "@odata.nextLink": f"/contacts?access_token={ACCESS_TOKEN}"})


def test_a_rendered_token_exchange_holds_no_secret() -> None:
    log = ExchangeLog()
    basic = base64.b64encode(f"crm-client:{CLIENT_SECRET}".encode()).decode()
    with httpx.Client(transport=RecordingTransport(httpx.MockTransport(_token_tenant), log, "CRMOffice")) as client:
        form = {"grant_type": "client_credentials", "client_secret": CLIENT_SECRET}
        client.post("https://crm.test/connect/token", data=form)
        client.post(
            "https://crm.test/connect/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {basic}"},
        )
        client.post(
            "https://crm.test/connect/token", data={"grant_type": "refresh_token", "refresh_token": REFRESH_TOKEN}
        )
        client.get(
            f"https://crm.test/contacts?access_token={ACCESS_TOKEN}",
            headers={"Authorization": f"Bearer {ACCESS_TOKEN}"},
        )
    rendered, document = log.render(), log.to_json()
    for secret in (CLIENT_SECRET, ACCESS_TOKEN, REFRESH_TOKEN, basic):
        assert secret not in rendered, f"{secret!r} leaked into render()"
        assert secret not in document, f"{secret!r} leaked into to_json()"
    assert "grant_type=client_credentials" in rendered
    assert f"Bearer {REDACTED}" in rendered
    assert '"token_type": "Bearer"' in rendered


@pytest.mark.parametrize("client_auth", ["post", "basic"])
def test_a_crmoffice_session_through_the_recorder_leaks_nothing(client_auth: Literal["post", "basic"]) -> None:
    fake = CRMOfficeFake()
    log = ExchangeLog()
    with mount(fake, "mock") as mounted:
        transport = RecordingTransport(mounted.transport(), log, "CRMOffice")
        with CRMOfficeClient.connect(fake.info(), transport=transport, client_auth=client_auth) as client:
            assert list(client.records("contacts")) == []
    secrets = [fake.client_secret, *fake.tokens._access, *fake.tokens._refresh]
    assert len(log) >= 2
    assert len(secrets) >= 2
    leaked = [s for s in secrets if s in log.render() or s in log.to_json()]
    assert leaked == []
    assert fake.internal_errors == []


def test_close_closes_the_inner_transport() -> None:
    closed: list[bool] = []

    class Inner(httpx.MockTransport):
        def close(self) -> None:
            closed.append(True)

    RecordingTransport(Inner(_ok), ExchangeLog()).close()
    assert closed == [True]


def test_a_secret_learnt_after_the_exchange_is_hidden_in_it_too() -> None:
    log = ExchangeLog()

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"note": f"issued {ACCESS_TOKEN}"})

    with httpx.Client(transport=RecordingTransport(httpx.MockTransport(echo), log)) as client:
        client.get(f"https://crm.test/ping?q={ACCESS_TOKEN}")
    assert ACCESS_TOKEN in log.render(), "a value nobody has called secret yet is shown as it is"
    log.redactor.add(ACCESS_TOKEN)
    rendered, [exchange] = log.render(), log.exchanges()
    assert ACCESS_TOKEN not in rendered
    assert ACCESS_TOKEN not in exchange.url + exchange.response_body
    assert f"issued {REDACTED}" in exchange.response_body
