"""Secret redaction for everything that leaves a test run: log lines, Allure attachments, reports.

A failed scenario attaches its HTTP exchanges, and those carry the client secret (token request), the access and
refresh tokens (token response, ``Authorization`` header) and whatever else a tenant echoes back. Attachments are
shared more widely than the credentials are, so every text passes through here first. Redaction is by shape (header
and key names, ``Bearer``/``Basic`` credentials, JWTs) and by value: a :class:`Redactor` holds the secrets a caller
knows (client secret, issued tokens) and replaces them wherever they appear, also percent- or JSON-escaped.

Redaction errs on the side of hiding: a word after ``Bearer`` in prose is hidden as if it were a token.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import quote, quote_plus, unquote_plus, urlsplit, urlunsplit

import httpx

__all__ = ["REDACTED", "Redactor", "redact_data", "redact_headers", "redact_text", "redact_url"]

REDACTED = "[redacted]"

_MIN_SECRET = 4
_SECRET_KEYS = frozenset(
    {
        "access_token",
        "refresh_token",
        "id_token",
        "token",
        "client_secret",
        "secret",
        "password",
        "assertion",
        "client_assertion",
        "api_key",
        "apikey",
        "authorization",
        "code_verifier",
    }
)
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
_COOKIE_HEADERS = frozenset({"cookie", "set-cookie"})
_SECRET_HEADER_PARTS = ("token", "secret", "password", "api-key", "apikey", "signature")

# A secret-looking key inside free text (``client_secret=...``, ``"password": "..."``); mirrors _is_secret_key.
_KEY = (
    r"[A-Za-z0-9_-]*(?:secret|password)[A-Za-z0-9_-]*|[A-Za-z0-9_-]*token|[A-Za-z0-9_-]*api[_-]?key"
    r"|(?:client_)?assertion|authorization|code_verifier"
)
_SCHEMES = r"Bearer|Basic|Digest|Negotiate|NTLM"
_KEY_VALUE = re.compile(
    rf"""(?<![A-Za-z0-9_-])(?P<q>["']?)(?:{_KEY})(?P=q)\s*[:=]\s*"""
    rf"""(?:(?P<scheme>(?:{_SCHEMES})\s+))?"""
    r"""(?P<value>"(?:[^"\\\n]|\\.)*"?|'[^'\n]*'?|\[redacted\]|[^\s&,;"'{}\[\]]+)""",
    re.IGNORECASE,
)
_BEARER = re.compile(
    r"\b(?P<scheme>Bearer|Basic)\s+(?P<cred>[A-Za-z0-9._~+/-]+=*)(?![A-Za-z0-9._~+/=-])", re.IGNORECASE
)
_AUTH_PARAM = re.compile(r"[a-z_]+=")  # ``Bearer realm="api"``: a parameter, not a token
_JWT = re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]*){2,4}")
# A word each shape above needs (case-insensitively): _KEY's alternatives, the schemes, a JWT's "eyJ".
_SHAPE_HINTS = (
    "secret",
    "password",
    "token",
    "api",
    "assertion",
    "authorization",
    "code_verifier",
    "bearer",
    "basic",
    "eyj",
)
_SCHEME_WORD = re.compile(r"([A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]*)\s+\S")


def _is_secret_key(key: object) -> bool:
    name = str(key).lower().replace("-", "_")
    return (
        name in _SECRET_KEYS or "secret" in name or "password" in name or name.endswith(("token", "api_key", "apikey"))
    )


class _Secrets:
    """The secrets as written, percent-encoded and JSON-escaped, replaced longest first. Plain ``str.replace`` rather
    than one regex alternation: every scenario knows new secrets, and compiling that alternation cost more than all
    the replacing it did."""

    __slots__ = ("forms",)

    def __init__(self, forms: Iterable[str]) -> None:
        self.forms = tuple(sorted(set(forms), key=lambda form: (-len(form), form)))

    def sub(self, text: str) -> str:
        for form in self.forms:
            if form in text:
                text = text.replace(form, REDACTED)
        return text


def _secret_pattern(secrets: Iterable[str]) -> _Secrets | None:
    forms: set[str] = set()
    for secret in secrets:
        if len(secret) < _MIN_SECRET:
            continue
        escaped = json.dumps(secret)[1:-1]
        forms.update({secret, quote(secret), quote(secret, safe=""), quote_plus(secret), escaped})
        forms.add(json.dumps(secret, ensure_ascii=False)[1:-1])
    return _Secrets(forms) if forms else None


def _is_basic_credential(cred: str) -> bool:
    try:
        decoded = base64.b64decode(cred + "=" * (-len(cred) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded


def _hide_value(match: re.Match[str]) -> str:
    value = match["value"]
    quote_char = value[0] if value[0] in "\"'" else ""
    kept = match.string[match.start() : match.start("value")]
    return f"{kept}{quote_char}{REDACTED}{quote_char}"


def _hide_credential(match: re.Match[str]) -> str:
    cred, scheme = match["cred"], match["scheme"]
    following = match.string[match.end() : match.end() + 1]
    if _AUTH_PARAM.fullmatch(cred) and following == '"':
        return match[0]
    if scheme.lower() == "basic" and not _is_basic_credential(cred):
        return match[0]
    return f"{scheme} {REDACTED}"


def _scrub(text: str, secrets: _Secrets | None) -> str:
    """Free-text redaction: known secret values, secret-keyed values, ``Bearer``/``Basic`` credentials, JWTs."""
    if secrets is not None:
        text = secrets.sub(text)
    lowered = text.lower()
    # Most strings are names and phone numbers: without one of these words no shape below can match.
    if not any(hint in lowered for hint in _SHAPE_HINTS):
        return text
    text = _KEY_VALUE.sub(_hide_value, text)
    text = _BEARER.sub(_hide_credential, text)
    return _JWT.sub(REDACTED, text)


def _walk(value: Any, scrub: Callable[[str], str]) -> Any:
    if isinstance(value, Mapping):
        return {
            key: REDACTED if _is_secret_key(key) and item not in (None, "") else _walk(item, scrub)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        items = [_walk(item, scrub) for item in value]
        return tuple(items) if isinstance(value, tuple) else items
    if isinstance(value, str):
        return scrub(value)
    return value


def _redact_pairs(encoded: str) -> str:
    """``a=1&client_secret=x`` with secret keys' values hidden; everything else kept as encoded."""
    pairs = []
    for pair in encoded.split("&"):
        key, sep, _ = pair.partition("=")
        pairs.append(f"{key}={REDACTED}" if sep and _is_secret_key(unquote_plus(key)) else pair)
    return "&".join(pairs)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _text(text: str, content_type: str | None, secrets: _Secrets | None) -> str:
    media = _media_type(content_type)
    if media == "application/x-www-form-urlencoded":
        return _scrub(_redact_pairs(text), secrets)
    declared_json = media == "application/json" or media.endswith("+json")
    if declared_json or text.lstrip().startswith(("{", "[")):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict | list):
            redacted = _walk(parsed, lambda s: _scrub(s, secrets))
            return json.dumps(redacted, indent=2, ensure_ascii=False)
    return _scrub(text, secrets)


def _header_value(name: str, value: str, secrets: _Secrets | None) -> str:
    lowered = name.lower().replace("_", "-")
    if lowered in _CREDENTIAL_HEADERS:
        scheme = _SCHEME_WORD.match(value.strip())
        return f"{scheme[1]} {REDACTED}" if scheme else REDACTED
    if lowered in _COOKIE_HEADERS or any(part in lowered for part in _SECRET_HEADER_PARTS):
        return REDACTED
    return _scrub(value, secrets)


def _headers(headers: Mapping[str, str] | httpx.Headers, secrets: _Secrets | None) -> dict[str, str]:
    if isinstance(headers, httpx.Headers):
        pairs: Iterable[tuple[str, str]] = [
            (key.decode(headers.encoding), value.decode(headers.encoding)) for key, value in headers.raw
        ]
    else:
        pairs = headers.items()
    out: dict[str, str] = {}
    names: dict[str, str] = {}  # lower-case name -> the spelling first seen
    for name, value in pairs:
        redacted = _header_value(name, value, secrets)
        key = names.setdefault(name.lower(), name)
        out[key] = f"{out[key]}, {redacted}" if key in out else redacted
    return out


def _url(url: str | httpx.URL, secrets: _Secrets | None) -> str:
    text = str(url)
    try:
        parts = urlsplit(text)
        password = parts.password
    except ValueError:
        return _scrub(text, secrets)
    netloc = parts.netloc
    if password is not None:
        userinfo, _, host = netloc.rpartition("@")
        netloc = f"{userinfo.partition(':')[0]}:{REDACTED}@{host}"
    query = _redact_pairs(parts.query) if parts.query else ""
    fragment = _redact_pairs(parts.fragment) if "=" in parts.fragment else parts.fragment
    rebuilt = urlunsplit((parts.scheme, netloc, parts.path, query, fragment))
    return _scrub(rebuilt, secrets)


def redact_headers(headers: Mapping[str, str] | httpx.Headers) -> dict[str, str]:
    """Headers with credentials hidden: auth headers keep their scheme word, cookies and secret-named ones go whole."""
    return _headers(headers, None)


def redact_data(value: Any) -> Any:
    """A copy of ``value`` (dicts, lists, tuples): secret keys' values replaced (null and "" kept), strings scrubbed."""
    return _walk(value, lambda s: _scrub(s, None))


def redact_text(text: str, *, content_type: str | None = None, secrets: Iterable[str] = ()) -> str:
    """A body or message with secrets hidden; JSON comes back re-indented, form bodies keep their other fields."""
    return _text(text, content_type, _secret_pattern(secrets))


def redact_url(url: str | httpx.URL) -> str:
    """The URL with secret-looking query (and fragment) parameters and any userinfo password hidden."""
    return _url(url, None)


class Redactor:
    """The redaction functions plus the secret values a caller knows (client secret, issued tokens).

    Values shorter than four characters are ignored: hiding them would blank out ordinary text.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._secrets: frozenset[str] = frozenset()
        self._pattern: _Secrets | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, value: str) -> None:
        if len(value) < _MIN_SECRET:
            return
        with self._lock:
            if value not in self._secrets:
                self._secrets = self._secrets | {value}
                self._pattern = _secret_pattern(self._secrets)

    def __len__(self) -> int:
        return len(self._secrets)

    def __repr__(self) -> str:
        return f"Redactor(<{len(self)} secrets>)"

    def headers(self, headers: Mapping[str, str] | httpx.Headers) -> dict[str, str]:
        return _headers(headers, self._pattern)

    def data(self, value: Any) -> Any:
        pattern = self._pattern
        return _walk(value, lambda s: _scrub(s, pattern))

    def text(self, text: str, *, content_type: str | None = None) -> str:
        return _text(text, content_type, self._pattern)

    def url(self, url: str | httpx.URL) -> str:
        return _url(url, self._pattern)
