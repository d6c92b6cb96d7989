"""The recorded Business Central exchanges in tests/captures/ and what a client can observe of an answer.

:func:`exchanges` loads every capture file (format: tests/captures/README.md). The ``compare_*`` functions hold the
fake's answer to a replayed request against the recorded one by what a client sees: status, error code and message
shape, property names and JSON types, formats (GUIDs, times, ETags, decimals), enum spellings, ``@odata.context`` and
``@odata.nextLink`` shapes, headers, ``$metadata`` and ``$batch`` envelopes. Ids, times and names are compared by
shape; values the replay seeded, by value.
"""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from harness.businesscentral.schema import ENTITIES, member_name

CAPTURES = Path(__file__).resolve().parents[1] / "captures"
NS = {"edmx": "http://docs.oasis-open.org/odata/ns/edmx", "edm": "http://docs.oasis-open.org/odata/ns/edm"}
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
CORRELATION = re.compile(r"\s*CorrelationId:.*$", re.S)
FORMATS = {
    "guid": re.compile(rf"^{GUID.pattern}$"),
    "datetime": re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$"),
    "date": re.compile(r"^\d{4}-\d{2}-\d{2}$"),
    "etag": re.compile(r'^W/"[A-Za-z0-9+/=]+"$'),
}
ENUMS = {spec.name for schema in ENTITIES.values() for spec in schema.fields if spec.kind == "enum"}
SHOWN_HEADERS = ("Content-Type", "OData-Version", "Location", "ETag")


@dataclass(frozen=True)
class Exchange:
    file: str
    source: dict[str, Any]
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.file}: {self.data['name']}"

    @property
    def kind(self) -> str:
        return str(self.source["kind"])

    @property
    def aspects(self) -> list[str]:
        default = ["status", "headers", "body", "nextLink"]
        return list(self.data.get("compare", default))

    @property
    def response(self) -> dict[str, Any]:
        return dict(self.data["response"])


def exchanges() -> list[Exchange]:
    found = []
    for path in sorted(CAPTURES.glob("*.json")):
        capture = json.loads(path.read_text(encoding="utf-8"))
        found += [Exchange(path.stem, capture["source"], exchange) for exchange in capture["exchanges"]]
    return found


# --- helpers ----------------------------------------------------------------------------------------------------------
def shape(text: str) -> str:
    """A text with what legitimately differs (URLs, GUIDs, the correlation id) replaced by placeholders."""
    text = CORRELATION.sub("", text)
    text = re.sub(r"https?://[^'\s]*", "{url}", text)
    return GUID.sub("{guid}", text)


def fragment(context: str) -> str:
    """An ``@odata.context``'s part after ``$metadata#``, GUIDs as placeholders (hosts and tenants differ)."""
    assert "/$metadata#" in context, f"not an @odata.context: {context!r}"
    return GUID.sub("{guid}", context.split("/$metadata#", 1)[1])


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return next((name for name, pattern in FORMATS.items() if pattern.match(value)), "string")
    return type(value).__name__


def etag_payload(tag: str) -> str:
    return base64.b64decode(tag[3:-1]).decode()


def media(header: str | None) -> list[str]:
    return sorted(part.strip().lower() for part in (header or "").split(";") if part.strip())


# --- comparisons ------------------------------------------------------------------------------------------------------
def compare_headers(recorded: dict[str, str], complete: bool, response: httpx.Response) -> None:
    for name in SHOWN_HEADERS:
        if name not in recorded:
            assert not complete or name not in response.headers, f"{name} was not recorded, the fake sends it"
            continue
        shown = response.headers.get(name)
        assert shown is not None, f"{name} recorded as {recorded[name]!r}, the fake sends none"
        if name == "Content-Type":
            assert media(shown) == media(recorded[name]), f"Content-Type {shown!r}, recorded {recorded[name]!r}"
        elif name == "Location":
            assert GUID.sub("{guid}", urlsplit(shown).path).endswith(
                GUID.sub("{guid}", urlsplit(recorded[name]).path).split("/api/v2.0", 1)[1]
            ), f"Location {shown!r}, recorded {recorded[name]!r}"
        else:
            assert shown == recorded[name], f"{name} {shown!r}, recorded {recorded[name]!r}"


def compare_error(recorded: dict[str, Any], shown: Any, aspects: list[str]) -> None:
    assert isinstance(shown, dict) and set(shown) == {"error"}, f"expected an OData error, got {shown}"
    error, expected = shown["error"], recorded["error"]
    assert set(error) == {"code", "message"}, error
    if expected["code"] is not None and ("body" in aspects or "code" in aspects):
        assert error["code"] == expected["code"], f"code {error['code']!r}, recorded {expected['code']!r}"
    message = str(expected["message"])
    if "  CorrelationId:  " in message:
        assert re.search(rf"  CorrelationId:  {GUID.pattern}\.$", error["message"]), error["message"]
    if "body" in aspects or "message" in aspects:
        assert shape(error["message"]) == shape(message), f"message {error['message']!r}, recorded {message!r}"
    if "message_prefix" in aspects:
        prefix = shape(message).split(" ...")[0].rstrip(". ")
        assert shape(error["message"]).startswith(prefix), f"message {error['message']!r}, recorded {message!r}"


def compare_entity(recorded: dict[str, Any], shown: dict[str, Any], seeded: dict[str, Any]) -> None:
    assert sorted(shown) == sorted(recorded), f"properties {sorted(shown)}, recorded {sorted(recorded)}"
    for name, expected in recorded.items():
        value = shown[name]
        where = f"{name}: {value!r}, recorded {expected!r}"
        if name == "@odata.context":
            assert fragment(value) == fragment(expected), where
            continue
        assert kind_of(value) == kind_of(expected), f"{where} ({kind_of(value)} against {kind_of(expected)})"
        if name == "@odata.etag":
            assert re.match(r"^'(\d+);(\d+);00;'$", etag_payload(value)), f"{where}: {etag_payload(value)!r}"
        elif isinstance(value, float):
            assert not value.is_integer(), f"{where}: a whole decimal is written without a fraction"
        elif kind_of(value) == "datetime" and "." in value:
            assert not value[:-1].endswith("0"), f"{where}: milliseconds are written without trailing zeros"
        if name in ENUMS:
            assert value == member_name(value), f"{where}: an option is written by its member name"
        if name in seeded and name != "id":
            assert value == expected, f"{where}: the replay seeded it"


def compare_body(exchange: Exchange, response: httpx.Response, seeded: list[dict[str, Any]]) -> None:
    recorded = exchange.response.get("body")
    if recorded is None:
        assert response.content == b"", f"no body recorded, the fake answers {response.text!r}"
        return
    shown = response.json()
    if "error" in recorded:
        compare_error(recorded, shown, exchange.aspects)
        return
    by_id = {str(record.get("id")): record for record in seeded}
    if "value" not in recorded:
        compare_entity(recorded, shown, by_id.get(str(recorded.get("id")), {}))
        return
    assert sorted(shown) == sorted(recorded), f"envelope {sorted(shown)}, recorded {sorted(recorded)}"
    assert fragment(shown["@odata.context"]) == fragment(recorded["@odata.context"]), shown["@odata.context"]
    assert shown["value"], "the replay expects the seeded records back"
    for record in shown["value"]:
        twin = next((r for r in recorded["value"] if r.get("id") == record.get("id")), recorded["value"][0])
        compare_entity(twin, record, by_id.get(str(twin.get("id")), {}))


def compare_next_link(exchange: Exchange, request_path: str, response: httpx.Response) -> None:
    recorded = exchange.response.get("body") or {}
    if "value" not in recorded:
        return
    link = response.json().get("@odata.nextLink")
    if "@odata.nextLink" not in recorded:
        assert link is None, f"no @odata.nextLink recorded, the fake sends {link!r}"
        return
    assert link is not None, "an @odata.nextLink was recorded, the fake sends none"
    parts = urlsplit(link)
    assert parts.path == urlsplit(request_path).path, f"the link {link!r} must repeat the request's path"
    assert "$skiptoken" in parse_qs(parts.query), f"the link {link!r} must continue with $skiptoken"


def compare_batch(exchange: Exchange, response: httpx.Response) -> None:
    recorded = exchange.response["body"]["responses"]
    shown = response.json()["responses"]
    assert len(shown) == len(recorded), f"{len(shown)} answers, recorded {len(recorded)}: {shown}"
    for expected, answer in zip(recorded, shown, strict=True):
        where = f"operation {answer.get('id')}: {answer}"
        if exchange.kind == "documentation":
            # Microsoft's example may be outranked by a recording: only the outcome of each operation is held.
            assert answer["status"] // 100 == expected["status"] // 100, where
            assert expected["status"] != 424 or answer["status"] == 424, where
        else:
            assert (answer["id"], answer["status"]) == (expected["id"], expected["status"]), where
            headers = {k: v for k, v in answer["headers"].items() if k != "location"}
            wanted = {k: v for k, v in expected["headers"].items() if k != "location"}
            assert {k: media(v) for k, v in headers.items()} == {k: media(v) for k, v in wanted.items()}, where
            assert ("location" in answer["headers"]) == ("location" in expected["headers"]), where
        code = (expected.get("body") or {}).get("error", {}).get("code")
        if code is not None:
            assert answer["body"]["error"]["code"] == code, where


def compare_metadata(recorded_xml: str, shown_xml: bytes) -> None:
    recorded, shown = ET.fromstring(recorded_xml), ET.fromstring(shown_xml)

    def sets(doc: ET.Element) -> dict[str, str]:
        return {s.get("Name", ""): s.get("EntityType", "") for s in doc.iterfind(".//edm:EntitySet", NS)}

    def container(doc: ET.Element) -> str:
        return next(doc.iterfind(".//edm:EntityContainer", NS)).get("Name", "")

    def types(doc: ET.Element, tag: str) -> dict[str, ET.Element]:
        return {t.get("Name", ""): t for t in doc.iterfind(f".//edm:{tag}", NS)}

    assert container(shown) == container(recorded), (container(shown), container(recorded))
    declared, real = sets(shown), sets(recorded)
    assert {"customers", "contacts"} <= set(declared), f"customers and contacts must be entity sets: {declared}"
    assert all(real.get(name) == kind for name, kind in declared.items()), (declared, real)
    for name in ("company", "customer", "contact"):
        mine, theirs = types(shown, "EntityType")[name], types(recorded, "EntityType")[name]
        props = [(p.get("Name"), p.get("Type")) for p in mine.iterfind("edm:Property", NS)]
        assert props == [(p.get("Name"), p.get("Type")) for p in theirs.iterfind("edm:Property", NS)], name
        navigation = {n.get("Name") for n in mine.iterfind("edm:NavigationProperty", NS)}
        assert navigation <= {n.get("Name") for n in theirs.iterfind("edm:NavigationProperty", NS)}, name
    real_enums = types(recorded, "EnumType")
    for name, enum in types(shown, "EnumType").items():
        members = [m.get("Name") for m in enum.iterfind("edm:Member", NS)]
        assert members == [m.get("Name") for m in real_enums[name].iterfind("edm:Member", NS)], name
