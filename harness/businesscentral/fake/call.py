"""What the fake's handlers take and give: one API call (from HTTP or from inside ``$batch``) and its answer, and
the headers Business Central answers with, as recorded."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

import harness.client.jsontext as jsontext
from harness.businesscentral.fake.errors import BadRequest
from harness.fakes.tenant import json_response

__all__ = ["BATCH_ERROR", "BATCH_OK", "ODATA", "ODATA_JSON", "PLAIN", "Call", "CallHandler", "Reply", "over_http"]

ODATA_JSON = "application/json; odata.metadata=minimal; odata.streaming=true"
"""The ``Content-Type`` of Business Central's OData answers (recorded: tests/captures/tfenster-wiremock-demo.json)."""
ODATA = {"Content-Type": ODATA_JSON, "OData-Version": "4.0"}
# As recorded (BC 25.4): a PATCH answers plain JSON without OData-Version; an error likewise (errors.py).
PLAIN = {"Content-Type": "application/json"}
# An operation inside $batch: a success as recorded (BC 26.0), an error as Microsoft's $batch page prints it.
BATCH_OK = {"content-type": ODATA_JSON, "odata-version": "4.0"}
BATCH_ERROR = {"content-type": "application/json; odata.metadata=minimal", "odata-version": "4.0"}


@dataclass
class Call:
    """One API call, from an HTTP request or from an operation inside ``$batch``; header names are lower-case."""

    method: str
    path: str
    origin: str
    args: MultiDict[str, str]
    headers: Mapping[str, str]
    json: Any = None
    raw: bytes | None = None

    @classmethod
    def from_request(cls, request: Request) -> Call:
        return cls(
            method=request.method,
            path=request.path,
            origin=request.host_url.rstrip("/"),
            args=request.args,
            headers={k.lower(): v for k, v in request.headers.items()},
            raw=request.get_data(),
        )

    @property
    def url(self) -> str:
        return f"{self.origin}{self.path}"

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def json_object(self) -> dict[str, Any]:
        payload = self.json
        if self.raw is not None:
            try:
                payload = jsontext.loads(self.raw) if self.raw else None
            except (ValueError, UnicodeDecodeError):
                raise BadRequest("Invalid Request Body") from None
            if payload is None and not self.raw:
                raise BadRequest("Invalid Request Body")
        if not isinstance(payload, dict):
            # OData's JSON reader, as recorded (MicrosoftDocs/dynamics365smb-devitpro-pb#2221).
            node = "StartArray" if isinstance(payload, list) else "PrimitiveValue"
            raise BadRequest(
                f"An unexpected '{node}' node was found when reading from the JSON reader. "
                "A 'StartObject' node was expected."
            )
        return payload


@dataclass
class Reply:
    """A handler's answer: ``body`` is JSON, or ``raw`` bytes whose ``Content-Type`` is in ``headers``."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


CallHandler = Callable[..., Reply]


def over_http(handler: CallHandler) -> Callable[..., Response]:
    def serve(request: Request, **params: Any) -> Response:
        reply = handler(Call.from_request(request), **params)
        if reply.raw is not None:
            return Response(reply.raw, status=reply.status, headers=reply.headers)
        if reply.body is None:
            empty = Response(status=reply.status, headers=reply.headers)
            if "Content-Type" not in reply.headers:
                del empty.headers["Content-Type"]  # as recorded: a 204 has no content type
            return empty
        return json_response(reply.body, status=reply.status, headers=reply.headers)

    return serve
