"""The sign-off's "product etiquette" (contract rule 12): each published limit of the tenants beside the figure
measured, and whether it held.

Two sources, kept apart: for an external product behind ``harness proxy``, the proxy's meters over the whole run,
which the pytest controller writes beside the Allure results when the run ends (:data:`RUN_FILE`); and for the
reference sync, the judgement each rule-12 scenario attached (:data:`LIMITS_ATTACHMENT`), over that scenario's runs.
A limit broken in either makes the run NOT READY, whatever the scenarios say: a product that kept to the limits
while the rule-12 scenario ran but broke them later has not kept to them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.report.results import allure_results, attachments

__all__ = ["LIMITS_ATTACHMENT", "RUN_FILE", "Etiquette", "read_etiquette", "render_etiquette", "write_run_etiquette"]

LIMITS_ATTACHMENT = "the tenants' published limits"
HEADER_RULE = "| --- | --- | --- | --- | --- |"
RUN_FILE = "harness-etiquette.json"


@dataclass(frozen=True)
class Etiquette:
    source: str
    limits: tuple[Mapping[str, Any], ...]

    @property
    def held(self) -> bool:
        return all(bool(limit.get("held")) for limit in self.limits)


def write_run_etiquette(directory: Path, meters: Mapping[str, Any]) -> Path:
    """What ``harness proxy`` measured over the whole run (its ``/meters`` answer, limits judged)."""
    path = directory / RUN_FILE
    seconds = meters.get("seconds", 0)
    payload = {"source": f"harness proxy, the product's whole run ({seconds:g} s)", "limits": meters["limits"]}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def read_etiquette(directory: Path) -> list[Etiquette]:
    """The run's measure first (when a proxy fronted the product), then each scenario's; ValueError naming a file
    that is not what it should be."""
    found: list[Etiquette] = []
    run_file = directory / RUN_FILE
    if run_file.exists():
        try:
            data = json.loads(run_file.read_text(encoding="utf-8"))
            found.append(Etiquette(str(data["source"]), tuple(data["limits"])))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ValueError(f"{run_file}: not the proxy's measure of the run: {exc!r}") from None
    for path, result in allure_results(directory):
        for attachment in attachments(result):
            if attachment.get("name") != LIMITS_ATTACHMENT:
                continue
            source = directory / str(attachment.get("source"))
            try:
                data = json.loads(source.read_text(encoding="utf-8"))
                found.append(Etiquette(f"scenario: {result.get('name', path.stem)}", tuple(data["limits"])))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{source}: not a limits attachment of {path.name}: {exc!r}") from None
    return found


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_etiquette(measures: Sequence[Etiquette]) -> list[str]:
    """The Markdown section of the sign-off (empty when nothing was measured)."""
    if not measures:
        return []
    lines = ["## Product etiquette (rule 12)", ""]
    for measure in measures:
        lines += [
            f"{measure.source}:",
            "",
            "| Tenant | Limit | Published | Measured | |",
            "| --- | --- | --- | --- | --- |",
        ]
        lines += [
            f"| {_cell(limit.get('tenant'))} | {_cell(limit.get('rule'))} | {_cell(limit.get('limit'))} | "
            f"{_cell(limit.get('measured'))} | {'held' if limit.get('held') else 'BROKEN'} |"
            for limit in measure.limits
        ]
        lines.append("")
    return lines
