"""The run's environment and the failure categories, written beside the Allure results.

``environment.properties`` says what was tested with what: tenant and sync mode, the checklist and its Generated
date, the faker seed that replays the data, and the versions of the packages that did the work.
``categories.json`` sorts failures for the person signing off: a product defect (an assertion about the dataflow
failed), an infrastructure failure (a tenant could not be reached, timed out, throttled past every retry), or a
harness error (anything else broken: the harness itself needs fixing before the run means anything).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "CATEGORIES",
    "PACKAGES",
    "allure3_categories",
    "environment",
    "read_properties",
    "write_categories",
    "write_properties",
]

PACKAGES = ("crmoffice-businesscentral-qa", "pytest", "pytest-bdd", "allure-pytest-bdd", "httpx", "faker", "docutils")

INFRASTRUCTURE = (
    "ConnectError|ConnectTimeout|ReadTimeout|WriteTimeout|PoolTimeout|RemoteProtocolError|TransportError|"
    "ThrottledError|ServerError|Connection refused|Name or service not known"
)
"""Failure messages that say a tenant or the network let the run down rather than the dataflow."""

_CATEGORY_RULES: list[tuple[str, str, list[str], str | None]] = [
    (
        "Infrastructure failures",
        "A tenant could not be reached, timed out, or kept failing past every retry.",
        ["broken", "failed"],
        INFRASTRUCTURE,
    ),
    ("Product defects", "The dataflow did not do what the checklist or the sync contract says.", ["failed"], None),
    (
        "Harness errors",
        "The harness itself broke (a bug, a missing step, a bad setting): fix it and run again.",
        ["broken"],
        None,
    ),
]

CATEGORIES: list[dict[str, Any]] = [
    # Allure 2's categories.json: a message regex must match the whole message.
    {"name": name, "description": text, "matchedStatuses": statuses}
    | ({"messageRegex": f"(?s).*({regex}).*"} if regex else {})
    for name, text, statuses, regex in _CATEGORY_RULES
]


def allure3_categories() -> list[dict[str, Any]]:
    """The same rules in Allure 3's form (``allurerc.json``: JavaScript regexes that match anywhere), in order."""
    return [
        {"name": name, "matchers": {"statuses": statuses} | ({"message": regex} if regex else {})}
        for name, _, statuses, regex in _CATEGORY_RULES
    ]


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment(
    *, tenants: str, sync: str, seed: int, checklist_path: str, checklist_generated: str, workers: str = "1"
) -> dict[str, str]:
    env = {
        "Tenants": tenants,
        "Sync": sync,
        "Faker seed": str(seed),
        "Replay": f"make qa QA_ARGS='--faker-seed {seed} --tenants {tenants} --sync {sync}'",
        "Checklist": checklist_path,
        "Checklist generated": checklist_generated,
        "Workers": workers,
        "Python": platform.python_version(),
    }
    env.update({package: _version(package) for package in PACKAGES})
    return env


def _escape(text: str) -> str:
    # java.util.Properties: backslashes, and every character a line-oriented reader could take as a line end.
    out = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")
    return "".join(ch if ch.isprintable() or ch == " " else f"\\u{ord(ch):04x}" for ch in out)


def _escape_key(text: str) -> str:
    # A key also ends at the first unescaped '=', ':' or space, and one starting with '#' or '!' is a comment.
    out = _escape(text).replace("=", "\\=").replace(":", "\\:").replace(" ", "\\ ")
    return "\\" + out if out.startswith(("#", "!")) else out


def write_properties(directory: Path, env: Mapping[str, str]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "environment.properties"
    lines = [f"{_escape_key(key)}={_escape(value)}" for key, value in env.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _unescape(text: str) -> tuple[str, str]:
    """(key, value) of one line: the key ends at the first unescaped ``=``, ``:`` or space."""
    key: list[str] = []
    value: list[str] = []
    out, i = key, 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt == "u" and i + 5 < len(text):
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append({"n": "\n", "r": "\r"}.get(nxt, nxt))
            i += 2
            continue
        if out is key and ch in "=: ":
            out = value
        else:
            out.append(ch)
        i += 1
    return "".join(key), "".join(value)


def read_properties(path: Path) -> dict[str, str]:
    """The subset of java.util.Properties that :func:`write_properties` writes."""
    result: dict[str, str] = {}
    if not path.is_file():
        return result
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line and not line.startswith(("#", "!")):
            key, value = _unescape(line)
            result[key] = value
    return result


def write_categories(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "categories.json"
    path.write_text(json.dumps(CATEGORIES, indent=2) + "\n", encoding="utf-8")
    return path
