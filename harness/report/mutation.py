"""The last recorded mutation run (``make mutation``, ``reports/mutation.json``) as one line of the sign-off's
environment: how many small defects planted in the reference sync the checklist suite caught.

A score belongs to the sources it was measured on: the run records a digest of the reference sync and of the suite
(features, steps, the suite's harness), and a score whose digest no longer matches the files is shown as stale.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["SOURCES", "describe_mutation_run", "now", "sources_digest"]

SOURCES = ("harness/sync", "harness/suite", "steps", "features")
"""What a mutation score depends on: the mutated code and the suite that judged it."""


def sources_digest(root: Path) -> str:
    """SHA-256 over the Python and feature files under :data:`SOURCES`, by relative path, in a stable order."""
    digest = hashlib.sha256()
    for folder in SOURCES:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix in (".py", ".feature", ".rst") and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def describe_mutation_run(path: Path, root: Path) -> str | None:
    """``"131 of 150 killed (87 %); 9 judged equivalent: 131 of 141 others (93 %); seed 11, 2026-11-29"``, with
    ``stale`` when the sources changed since; None when no run was recorded; the problem when the file is unreadable."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        run, killed, equivalent = int(data["run"]), int(data["killed"]), int(data.get("equivalent", 0))
        seed, recorded = data["seed"], str(data.get("recorded", "unknown date"))[:10]
    except (ValueError, KeyError, TypeError) as exc:
        return f"{path} is not a mutation run's record: {type(exc).__name__}: {exc}"
    if run <= 0:
        return f"{path} records no mutant"
    others = run - equivalent
    text = f"{killed} of {run} killed ({killed / run:.0%}); {equivalent} judged equivalent: "
    text += f"{killed} of {others} others ({killed / others:.0%})" if others else "no others"
    text += f"; seed {seed}, {recorded}"
    if data.get("sources") != sources_digest(root):
        text += "; stale: the reference sync or the suite changed since this run"
    return text


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
