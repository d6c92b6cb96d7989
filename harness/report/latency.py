"""The external sync's latency, per flow and direction: from the barriers' crossings to a summary table.

Each "the sync runs" of an external sync attaches its barrier to its step (``<label>: barrier``, JSON): the marker
changes that crossed and how long each took; at its end a scenario attaches every barrier it passed, the Given-steps'
too (``barriers of the scenario``). Scenarios waiting at the same moment share a marker change, so the summary
counts each change once. It is read back from the Allure results, like the rest of the sign-off, so it can be rebuilt
after the fact and cannot disagree with the report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.barriers.barrier import Crossing
from harness.report.results import allure_results, attachments

__all__ = ["BARRIERS_ATTACHMENT", "BARRIER_ATTACHMENT", "LatencyRow", "read_crossings", "render_latency", "summarise"]

BARRIER_ATTACHMENT = "barrier"
BARRIERS_ATTACHMENT = "barriers of the scenario"


@dataclass(frozen=True)
class LatencyRow:
    flow: str
    direction: str
    count: int
    median: float
    p95: float
    max: float


def _quantile(values: Sequence[float], q: float) -> float:
    """Nearest-rank quantile: a value that was measured, never an interpolation between two."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def summarise(crossings: Iterable[Crossing]) -> list[LatencyRow]:
    """One row per flow and direction, each marker change counted once."""
    unique: dict[str, Crossing] = {}
    for crossing in crossings:
        unique.setdefault(crossing.change_id, crossing)
    groups: dict[tuple[str, str], list[float]] = {}
    for crossing in unique.values():
        groups.setdefault((crossing.flow, crossing.direction), []).append(crossing.seconds)
    return [
        LatencyRow(flow, direction, len(values), _quantile(values, 0.5), _quantile(values, 0.95), max(values))
        for (flow, direction), values in sorted(groups.items())
    ]


def read_crossings(directory: Path) -> list[Crossing]:
    """Every crossing attached to a scenario in an Allure results folder; ValueError naming a file that is bad."""
    crossings = []
    suffix = f": {BARRIER_ATTACHMENT}"
    for path, result in allure_results(directory):
        for attachment in attachments(result):
            name = str(attachment.get("name", ""))
            if not name.endswith(suffix) and name != BARRIERS_ATTACHMENT:
                continue
            source = directory / str(attachment.get("source"))
            try:
                data = json.loads(source.read_text(encoding="utf-8"))
                barriers = data["barriers"] if name == BARRIERS_ATTACHMENT else [data]
                crossings += [Crossing.from_dict(item) for barrier in barriers for item in barrier["crossings"]]
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"{source}: not a barrier attachment of {path.name}: {exc!r}") from None
    return crossings


def render_latency(rows: Sequence[LatencyRow], environment: Mapping[str, str]) -> list[str]:
    """The Markdown section of the sign-off (empty when no external sync ran)."""
    if not rows:
        return []
    levels = ", ".join(
        f"{key} {environment[key]}" for key in ("Converge timeout", "Full sync timeout") if key in environment
    )
    lines = [
        "## External sync latency",
        "",
        "Marker change → seen on the other side, each change counted once (seconds; the resolution is the barrier's "
        f"poll interval){f'. Service levels: {levels}' if levels else ''}.",
        "",
        "| Flow | Direction | Changes | Median | p95 | Max |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    lines += [
        f"| {row.flow} | {row.direction} | {row.count} | {row.median:.2f} | {row.p95:.2f} | {row.max:.2f} |"
        for row in rows
    ]
    return [*lines, ""]
