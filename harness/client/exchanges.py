"""The HTTP exchanges of a scenario, recorded redacted, to attach when it fails.

A failed sync step says what went wrong, rarely why; the requests and answers around it usually do. A
:class:`RecordingTransport` wraps the transport a client already uses (in-process fake, loopback, sandbox) and adds
each exchange to an :class:`ExchangeLog`, which keeps only the last ``limit`` exchanges, so a long scenario cannot grow
the log without bound. The log holds what was sent and received as it was, in memory only; every way out of it
(:meth:`ExchangeLog.exchanges`, ``render``, ``to_json``) redacts with the redactor's secrets as they are then, and
cuts bodies to a limit. Redacting on the way out rather than at once matters: a passing scenario's exchanges are
never read, and redacting each at once cost a fifth of the main job's time; a secret learnt after an exchange
(a token issued later) is hidden in it too.

The caller gets a response that behaves as the inner transport's would: same status, headers and extensions, and the
body bytes as they came, so a gzip body is decoded once, by the client, as without the recorder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from harness.client.redact import Redactor

__all__ = ["Exchange", "ExchangeLog", "RecordingTransport"]

_TEXT_TYPES = frozenset(
    {
        "application/json",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/javascript",
        "application/x-ndjson",
    }
)
_CHARSET = re.compile(r"charset\s*=\s*\"?([^\";\s]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Exchange:
    """One request and its answer (or the error instead), as recorded: every text already redacted."""

    started: datetime
    elapsed_ms: float
    method: str
    url: str
    request_headers: dict[str, str] = field(default_factory=dict)
    request_body: str = ""
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: str = ""
    error: str | None = None
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["started"] = self.started.isoformat(timespec="milliseconds")
        return data


@dataclass(frozen=True, repr=False)  # no repr: it would print the request's URL and headers unredacted
class _Sent:
    """One exchange as it went over the wire, unredacted: never leaves the log but as an :class:`Exchange`."""

    started: datetime
    elapsed_ms: float
    request: httpx.Request
    response: httpx.Response | None
    content: bytes | str | None
    error: str | None
    label: str

    def redacted(self, redactor: Redactor, limit: int) -> Exchange:
        request, response = self.request, self.response

        def body(data: bytes | str, headers: httpx.Headers) -> str:
            text = data if isinstance(data, str) else _body_text(data, headers)
            return _truncate(redactor.text(text, content_type=headers.get("Content-Type")), limit)

        return Exchange(
            started=self.started,
            elapsed_ms=self.elapsed_ms,
            method=request.method,
            url=redactor.url(request.url),
            request_headers=redactor.headers(request.headers),
            request_body=body(_request_body(request), request.headers),
            status=None if response is None else response.status_code,
            response_headers={} if response is None else redactor.headers(response.headers),
            response_body="" if response is None or self.content is None else body(self.content, response.headers),
            error=None if self.error is None else redactor.text(self.error),
            label=self.label,
        )


class ExchangeLog:
    """A thread-safe ring of the last ``limit`` exchanges; it counts the ones it dropped to make room. What comes
    out is redacted (see the module's docstring)."""

    def __init__(self, limit: int = 500, body_limit: int = 4000, redactor: Redactor | None = None) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1, got {limit}")
        if body_limit < 0:
            raise ValueError(f"body_limit must not be negative, got {body_limit}")
        self.limit = limit
        self.body_limit = body_limit
        self.redactor = redactor if redactor is not None else Redactor()
        self._lock = threading.Lock()
        self._ring: deque[Exchange | _Sent] = deque(maxlen=limit)
        self._dropped = 0

    def append(self, exchange: Exchange | _Sent) -> None:
        with self._lock:
            if len(self._ring) == self.limit:
                self._dropped += 1
            self._ring.append(exchange)

    def exchanges(self) -> list[Exchange]:
        return self._snapshot()[0]

    @property
    def dropped(self) -> int:
        with self._lock:
            return self._dropped

    def __len__(self) -> int:
        with self._lock:
            return len(self._ring)

    def clear(self) -> None:
        with self._lock:
            self._ring.clear()
            self._dropped = 0

    def _snapshot(self) -> tuple[list[Exchange], int]:
        with self._lock:
            held, dropped = list(self._ring), self._dropped
        redactor, limit = self.redactor, self.body_limit
        return [e if isinstance(e, Exchange) else e.redacted(redactor, limit) for e in held], dropped

    def render(self) -> str:
        """Readable HTTP-like text: a summary line, then ``-->`` request and ``<--`` answer blocks, oldest first."""
        exchanges, dropped = self._snapshot()
        lines = [f"HTTP exchanges: {len(exchanges)} recorded; {dropped} earlier ones dropped (limit {self.limit})"]
        for number, exchange in enumerate(exchanges, start=dropped + 1):
            lines += ["", _render(number, exchange)]
        return "\n".join(lines) + "\n"

    def to_json(self) -> str:
        exchanges, dropped = self._snapshot()
        document = {"limit": self.limit, "dropped": dropped, "exchanges": [e.to_dict() for e in exchanges]}
        return json.dumps(document, indent=2, ensure_ascii=False)


def _render(number: int, exchange: Exchange) -> str:
    title = " ".join(filter(None, [f"[{number}]", exchange.label, exchange.started.isoformat(timespec="milliseconds")]))
    lines = [title, f"--> {exchange.method} {exchange.url}"]
    lines += [f"{name}: {value}" for name, value in exchange.request_headers.items()]
    if exchange.request_body:
        lines += ["", exchange.request_body]
    took = f"{exchange.elapsed_ms:.0f} ms"
    if exchange.status is not None:
        lines += ["", f"<-- {exchange.status} {httpx.codes.get_reason_phrase(exchange.status)} ({took})".rstrip()]
        lines += [f"{name}: {value}" for name, value in exchange.response_headers.items()]
        if exchange.response_body:
            lines += ["", exchange.response_body]
        if exchange.error is not None:
            lines += ["", f"<-- error while reading the body: {exchange.error}"]
    else:
        lines += ["", f"<-- error after {took}: {exchange.error}"]
    return "\n".join(lines)


def _body_text(content: bytes, headers: httpx.Headers) -> str:
    if not content:
        return ""
    content_type = headers.get("Content-Type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    textual = media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml"))
    if media and not textual:
        return f"<{len(content)} bytes of {media}>"
    charset = _CHARSET.search(content_type)
    try:
        return content.decode(charset[1] if charset else "utf-8", errors="replace" if textual else "strict")
    except (UnicodeDecodeError, LookupError):
        return f"<{len(content)} bytes, not text>"


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n... [{len(text) - limit} more characters]"


def _request_body(request: httpx.Request) -> bytes | str:
    try:
        return request.content
    except httpx.RequestNotRead:
        return "<streamed body, not recorded>"


def _decoded(raw: bytes, headers: httpx.Headers) -> bytes | str:
    """The body as the client will see it: ``Content-Encoding`` undone."""
    try:
        return httpx.Response(200, headers=headers, content=raw).content
    except httpx.DecodingError as exc:
        return f"<{len(raw)} bytes the client cannot decode: {exc}>"


class RecordingTransport(httpx.BaseTransport):
    """Sends through ``inner`` and adds each exchange, redacted, to ``log``; ``label`` names the system in the log."""

    def __init__(self, inner: httpx.BaseTransport, log: ExchangeLog, label: str = "") -> None:
        self.inner = inner
        self.log = log
        self.label = label

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        started = datetime.now(UTC)
        clock = time.perf_counter()
        response: httpx.Response | None = None
        try:
            response = self.inner.handle_request(request)
            raw, headers = _drain(response)
        except Exception as exc:
            if response is not None:
                with contextlib.suppress(httpx.HTTPError, OSError):  # the original error is the one to see
                    response.close()
            self._record(request, started, clock, response, None, exc)
            raise
        self._record(request, started, clock, response, _decoded(raw, headers), None)
        return httpx.Response(
            response.status_code,
            headers=headers,
            stream=httpx.ByteStream(raw),
            extensions=response.extensions,
            request=request,
        )

    def close(self) -> None:
        self.inner.close()

    def _record(
        self,
        request: httpx.Request,
        started: datetime,
        clock: float,
        response: httpx.Response | None,
        content: bytes | str | None,
        error: Exception | None,
    ) -> None:
        elapsed_ms = round((time.perf_counter() - clock) * 1000, 1)
        described = None if error is None else f"{type(error).__name__}: {error}"
        self.log.append(_Sent(started, elapsed_ms, request, response, content, described, self.label))


def _drain(response: httpx.Response) -> tuple[bytes, httpx.Headers]:
    """Read the whole body: the bytes to hand on, and the headers that describe them."""
    if isinstance(response.stream, httpx.ByteStream):
        # Built with ``content=``: the stream replays the body as given, still encoded, whatever was read from it.
        raw = b"".join(response.stream)
        response.close()
        return raw, response.headers
    if not response.is_stream_consumed:
        return b"".join(response.iter_raw()), response.headers
    # Read already (and decoded) by whoever built it: hand on the decoded body, without the encoding that was undone.
    headers = response.headers.copy()
    headers.pop("Content-Encoding", None)
    headers["Content-Length"] = str(len(response.content))
    return response.content, headers
