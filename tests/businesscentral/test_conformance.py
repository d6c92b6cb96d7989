"""Every recorded exchange in tests/captures/, replayed against the fake in mock and wire mode.

The replay seeds what the request reads (the recorded record, under its recorded id), puts the fake's company where
the recording had its own, sends the fake's current ETag where the recording sent the one it had read, and compares
what a client can observe (tests/businesscentral/captures.py). Documentation examples are replayed too, but only for
what no recording decides.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from harness.businesscentral.fake import BusinessCentralFake
from tests.businesscentral.captures import (
    Exchange,
    compare_batch,
    compare_body,
    compare_headers,
    compare_metadata,
    compare_next_link,
    exchanges,
)

EXCHANGES = exchanges()


def _ours(value: Any, exchange: Exchange, bc: BusinessCentralFake) -> Any:
    """The recorded value with the recording's company id replaced by the fake's."""
    return json.loads(json.dumps(value).replace(exchange.source["company"], bc.company_id))


def _replay(exchange: Exchange, raw: httpx.Client, api: str, bc: BusinessCentralFake) -> tuple[str, httpx.Response]:
    request, replay = exchange.data["request"], exchange.data.get("replay", {})
    root = api.rsplit("/api/v2.0", 1)[0] if request.get("root") == "environment" else api
    path = root + _ours(request["path"], exchange, bc)
    headers = dict(request.get("headers", {}))
    if replay.get("if_match") == "current":
        headers["If-Match"] = raw.get(path).json()["@odata.etag"]
    body = _ours(replay.get("body", request.get("body")), exchange, bc)
    if "repeat" in replay:
        body["requests"] = [{**body["requests"][0], "id": str(n)} for n in range(replay["repeat"])]
    content = None if body is None else json.dumps(body)
    return path, raw.request(request["method"], path, headers=headers, content=content)


@pytest.mark.parametrize("exchange", EXCHANGES, ids=[e.id for e in EXCHANGES])
def test_the_fake_answers_as_recorded(exchange: Exchange, raw: httpx.Client, api: str, bc: BusinessCentralFake) -> None:
    given = _ours(exchange.data.get("given", {}), exchange, bc)
    bc.seed(given)
    seeded = given.get("customers", [])
    path, response = _replay(exchange, raw, api, bc)
    recorded, aspects = exchange.response, exchange.aspects
    if "status" in aspects and recorded["status"] is not None:
        assert response.status_code == recorded["status"], f"{response.status_code} {response.text}"
    if "headers" in aspects and exchange.kind == "recording":
        compare_headers(recorded.get("headers", {}), bool(exchange.source["headers_complete"]), response)
    if {"body", "code", "message", "message_prefix"} & set(aspects):
        compare_body(exchange, response, seeded)
    if "nextLink" in aspects:
        compare_next_link(exchange, path, response)
    if "metadata" in aspects:
        compare_metadata(recorded["body_xml"], response.content)
    if "batch" in aspects:
        compare_batch(exchange, response)
    unchanged = exchange.data.get("replay", {}).get("unchanged")
    if unchanged is not None:
        record = raw.get(api + _ours(unchanged, exchange, bc)).json()
        assert record["displayName"] == exchange.data["given"]["customers"][0]["displayName"], record


def test_the_corpus_holds_at_least_25_recordings_each_with_its_provenance() -> None:
    recorded = [e for e in EXCHANGES if e.kind == "recording"]
    assert len(recorded) >= 25, f"expected at least 25 recorded exchanges, found {len(recorded)}"
    for exchange in EXCHANGES:
        where = exchange.source.get("repository") or exchange.data.get("source")
        assert where and exchange.kind in ("recording", "documentation"), exchange.id
