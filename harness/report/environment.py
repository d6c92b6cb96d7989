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

__all__ = ["CATEGORIES", "PACKAGES", "environment", "read_properties", "write_categories", "write_properties"]

PACKAGES = ("crmoffice-businesscentral-qa", "pytest", "pytest-bdd", "allure-pytest-bdd", "httpx", "faker", "docutils")

INFRASTRUCTURE = (
    r"(?s).*(ConnectError|ConnectTimeout|ReadTimeout|WriteTimeout|PoolTimeout|RemoteProtocolError|TransportError|"
    r"ThrottledError|ServerError|ConvergenceTimeout|Connection refused|Name or service not known).*"
)

CATEGORIES = [
    {
        "name": "Infrastructure failures",
        "description": "A tenant could not be reached, timed out, or kept failing past every retry.",
        "matchedStatuses": ["broken", "failed"],
        "messageRegex": INFRASTRUCTURE,
    },
    {
        "name": "Product defects",
        "description": "The dataflow did not do what the checklist or the sync contract says.",
        "matchedStatuses": ["failed"],
    },
    {
        "name": "Harness errors",
        "description": "The harness itself broke (a bug, a missing step, a bad setting): fix it and run again.",
        "matchedStatuses": ["broken"],
    },
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
    # java.util.Properties: a value needs only backslashes and line breaks escaped.
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _escape_key(text: str) -> str:
    # A key also ends at the first unescaped '=', ':' or space.
    return _escape(text).replace("=", "\\=").replace(":", "\\:").replace(" ", "\\ ")


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
            out.append("\n" if nxt == "n" else nxt)
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
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", "!")):
            key, value = _unescape(line)
            result[key] = value
    return result


def write_categories(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "categories.json"
    path.write_text(json.dumps(CATEGORIES, indent=2) + "\n", encoding="utf-8")
    return path
