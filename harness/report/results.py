"""Reading a finished run's Allure result files, for everything rebuilt from them (sign-off, latency summary)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

__all__ = ["allure_results", "attachments"]


def allure_results(directory: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Each ``*-result.json`` in name order, parsed; ValueError naming a file that is not a readable result."""
    for path in sorted(directory.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"{path}: not a readable Allure result: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path}: not an Allure result: expected a JSON object, found {type(data).__name__}")
        yield path, data


def attachments(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every attachment of a result and of its steps, depth first."""
    for attachment in node.get("attachments") or ():
        if isinstance(attachment, Mapping):
            yield attachment
    for step in node.get("steps") or ():
        if isinstance(step, Mapping):
            yield from attachments(step)
