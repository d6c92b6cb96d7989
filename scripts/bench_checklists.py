"""Benchmark and corpus check: read every Sesam Talk checklist in a folder, write each back, and report.

Sesam's generated checklists are public: 1,152 files in datanav/docs, folder ``technical/`` of the branch
``systemtype-docs-test`` (the default branch no longer has them). Keep them out of this repository:

    git clone --branch systemtype-docs-test --depth 1 https://github.com/datanav/docs /tmp/datanav-docs
    .venv/bin/python scripts/bench_checklists.py /tmp/datanav-docs/technical [--workers N] [--json]

For every ``*.rst`` under the paths given (folders are searched recursively) the report says whether it was read,
whether writing the model back gives the file's bytes (with the file's own line ends), and, for a file the reader
refuses, why: refusals are grouped by their message with the quoted specifics left out, each group naming its first
files as ``path:line``. Reading is timed (``--workers`` processes, default one per CPU; ``--workers 1`` measures a
single core); writing back is timed apart.

Without a path, ``--synthetic N`` generates N checklists (default 1,150) from the real samples in
``tests/checklist/data`` with the harness's own writer and reads those; each model read must then equal the model
written, so a fast reader that reads the wrong thing fails the benchmark.

Exit status: 0 when every file was read (and, with ``--require-round-trip``, written back byte for byte); 1
otherwise; 2 on a usage error, or a path with no checklist.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

import docutils

from harness.checklist import (
    Checklist,
    ChecklistError,
    Endpoint,
    Flow,
    MergeRow,
    PropertyRow,
    Template,
    parse_bytes,
    parse_file,
    to_rst,
)

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "checklist" / "data"
# The proportions of Sesam's published corpus (4,557 flows in 1,152 files).
TEMPLATE_WEIGHTS = {
    Template.EVERY: 4118,
    Template.MERGE_OR_CREATE: 26,
    Template.LINK_ONLY: 316,
    Template.CONDITIONAL: 97,
}
CONDITIONS = (
    "When a {source} has a 100% probability of beeing sold",
    "removed person customers for now until that pattern is resolved",
)
CRLF_SHARE = 0.8
MAX_ROWS = 40
UNIFORM_SHARE = 0.2
SHOWN_PER_REASON = 5
# A quoted name, sentence or value in a reason ('...' or "...", as repr writes them); left out to group reasons.
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")


# -- reading and writing back ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What became of one file: read (``checklist``) or refused (``error``), and how long reading took."""

    path: str
    seconds: float
    size: int
    checklist: Checklist | None = None
    error: ChecklistError | None = None


def _read_timed(paths: list[str]) -> list[Outcome]:
    outcomes = []
    for path in paths:
        data = Path(path).read_bytes()
        start = time.perf_counter()
        try:
            checklist = parse_bytes(data, path)
        except ChecklistError as exc:
            outcomes.append(Outcome(path, time.perf_counter() - start, len(data), error=exc))
            continue
        outcomes.append(Outcome(path, time.perf_counter() - start, len(data), checklist=checklist))
    return outcomes


def read_all(paths: list[str], workers: int) -> tuple[list[Outcome], float]:
    """Every file read, in the order given, and the wall time it took."""
    start = time.perf_counter()
    if workers == 1 or len(paths) < 2:
        outcomes = _read_timed(paths)
    else:
        chunks = [paths[worker::workers] for worker in range(workers)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            found = {outcome.path: outcome for chunk in pool.map(_read_timed, chunks) for outcome in chunk}
        outcomes = [found[path] for path in paths]
    return outcomes, time.perf_counter() - start


def first_difference(path: str, checklist: Checklist) -> int | None:
    """None if writing ``checklist`` back gives the bytes of ``path``; else the first line that differs."""
    data = Path(path).read_bytes()
    # Sesam published both: the file's first line end says which one it was written with.
    newline = "\r\n" if data.split(b"\n", 1)[0].endswith(b"\r") else "\n"
    written = to_rst(checklist, newline=newline).encode("utf-8")
    if written == data:
        return None
    for number, (old, new) in enumerate(zip(data.splitlines(True), written.splitlines(True), strict=False), 1):
        if old != new:
            return number
    return min(data.count(b"\n"), written.count(b"\n")) + 1


# -- the synthetic corpus ---------------------------------------------------------------------------------------


class Pools:
    """What the real samples contain, to draw variants from."""

    def __init__(self, samples: list[Checklist]) -> None:
        self.systems = sorted({name for c in samples for name in (c.source_system, c.target_system)})
        flows = [flow for c in samples for flow in c.flows]
        self.datatypes = sorted({endpoint.datatype for flow in flows for endpoint in (flow.source, flow.target)})
        self.classifications = sorted(
            {e.classification for flow in flows for e in (flow.source, flow.target) if e.classification}
        )
        self.rows: list[PropertyRow] = [replace(row, line=None) for flow in flows for row in flow.properties]
        self.merge: list[MergeRow] = [replace(row, line=None) for flow in flows for row in flow.merge]
        self.flow_counts = [len(c.flows) for c in samples]
        self.row_counts = [len(flow.properties) for flow in flows]


def variant(pools: Pools, rng: random.Random, rows: str) -> tuple[Checklist, str]:
    source_system, target_system = rng.choice(pools.systems), rng.choice(pools.systems)
    flows = []
    for _ in range(rng.choice(pools.flow_counts)):
        template = rng.choices(list(TEMPLATE_WEIGHTS), weights=list(TEMPLATE_WEIGHTS.values()))[0]
        source = Endpoint(source_system, rng.choice(pools.datatypes), _classification(pools, rng))
        target = Endpoint(target_system, rng.choice(pools.datatypes), _classification(pools, rng))
        merge = tuple(rng.choices(pools.merge, k=rng.randint(1, 3))) if template is not Template.EVERY else ()
        if template is Template.CONDITIONAL:
            merge = ()
        created_when = condition = None
        if template is Template.LINK_ONLY and rng.random() < 0.3:
            created_when = f"connected to a {source.label()} that is synchronized into {target_system}"
        if template is Template.CONDITIONAL:
            condition = rng.choice(CONDITIONS).format(source=source.label())
        if rows == "uniform" or rng.random() < UNIFORM_SHARE:
            count = rng.randint(0, MAX_ROWS)
        else:
            count = rng.choice(pools.row_counts)
        properties = tuple(rng.choices(pools.rows, k=count))
        flows.append(Flow(source, target, template, merge, properties, created_when, condition))
    generated = datetime(2023, 1, 1) + timedelta(seconds=rng.randrange(2 * 365 * 24 * 3600))
    checklist = Checklist(
        f"{source_system} to {target_system} Dataflow", source_system, target_system, generated, tuple(flows)
    )
    return checklist, "\r\n" if rng.random() < CRLF_SHARE else "\n"


def _classification(pools: Pools, rng: random.Random) -> str | None:
    return rng.choice(pools.classifications) if rng.random() < 0.5 else None


def write_synthetic(folder: Path, count: int, seed: int, rows: str) -> dict[str, Checklist]:
    """``count`` generated checklists written into ``folder``; the model each file was written from, by path."""
    rng = random.Random(seed)
    pools = Pools([parse_file(path) for path in sorted(SAMPLES.rglob("*.rst"))])
    expected: dict[str, Checklist] = {}
    for index in range(count):
        checklist, newline = variant(pools, rng, rows)
        path = folder / f"{index:04d}.rst"
        path.write_bytes(to_rst(checklist, newline=newline).encode())
        expected[str(path)] = checklist
    return expected


# -- the report -------------------------------------------------------------------------------------------------


def checklist_paths(paths: list[str]) -> list[str]:
    found: list[str] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(str(p) for p in sorted(path.rglob("*.rst")))
        else:
            found.append(str(path))
    return found


@dataclass
class Report:
    """The figures of one run; ``to_dict`` is the ``--json`` shape."""

    outcomes: list[Outcome]
    workers: int
    read_seconds: float
    write_seconds: float
    differing: dict[str, int]
    """Files read but written back otherwise: the first line that differs, by path."""
    model_mismatches: list[str] | None = None
    """Synthetic corpus only: files read as another model than the one written."""

    @property
    def read(self) -> list[Checklist]:
        return [outcome.checklist for outcome in self.outcomes if outcome.checklist is not None]

    @property
    def refused(self) -> list[tuple[str, ChecklistError]]:
        return [(outcome.path, outcome.error) for outcome in self.outcomes if outcome.error is not None]

    def refused_by_reason(self) -> list[tuple[str, list[str]]]:
        """Reasons, most frequent first, each with where it stopped every file (``path:line``)."""
        groups: dict[str, list[str]] = {}
        for path, error in self.refused:
            where = path if error.line is None else f"{path}:{error.line}"
            groups.setdefault(_QUOTED.sub("'…'", error.message), []).append(where)
        return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))

    def to_dict(self) -> dict[str, object]:
        flows = [flow for checklist in self.read for flow in checklist.flows]
        per_file_ms = sorted(outcome.seconds * 1000 for outcome in self.outcomes) or [0.0]
        total_bytes = sum(outcome.size for outcome in self.outcomes)
        shape: dict[str, object] = {
            "files": len(self.outcomes),
            "read": len(self.read),
            "round_tripped": len(self.read) - len(self.differing),
            "refused": len(self.refused),
            "refused_by_reason": [
                {"reason": text, "files": len(where), "first": where[:SHOWN_PER_REASON]}
                for text, where in self.refused_by_reason()
            ],
            "not_round_tripped": [f"{path}:{line}" for path, line in sorted(self.differing.items())],
            "flows": len(flows),
            "templates": dict(Counter(flow.template.value for flow in flows).most_common()),
            "property_rows": sum(len(flow.properties) for flow in flows),
            "bytes": total_bytes,
            "workers": self.workers,
            "read_wall_seconds": round(self.read_seconds, 3),
            "write_back_seconds": round(self.write_seconds, 3),
            "files_per_second": round(len(self.outcomes) / self.read_seconds, 1),
            "mib_per_second": round(total_bytes / self.read_seconds / 2**20, 3),
            "per_file_ms": {
                "mean": round(statistics.fmean(per_file_ms), 2),
                "median": round(statistics.median(per_file_ms), 2),
                "p95": round(per_file_ms[int(0.95 * (len(per_file_ms) - 1))], 2),
                "max": round(per_file_ms[-1], 2),
            },
            "python": platform.python_version(),
            "docutils": docutils.__version__,
            "cpus": os.cpu_count(),
        }
        if self.model_mismatches is not None:
            shape["model_mismatches"] = self.model_mismatches
        return shape

    def render(self) -> str:
        shape = self.to_dict()
        lines = [
            f"files: {shape['files']}",
            f"read: {shape['read']}",
            f"round-tripped: {shape['round_tripped']} (written back byte for byte)",
            f"refused: {shape['refused']}",
        ]
        for text, where in self.refused_by_reason():
            lines.append(f"  {len(where)} x {text}")
            lines.extend(f"      {place}" for place in where[:SHOWN_PER_REASON])
        if self.differing:
            lines.append("read but written back otherwise (first differing line):")
            lines.extend(f"  {path}:{line}" for path, line in sorted(self.differing.items())[:SHOWN_PER_REASON])
            if len(self.differing) > SHOWN_PER_REASON:
                lines.append(f"  ... and {len(self.differing) - SHOWN_PER_REASON} more (--json lists them all)")
        if self.model_mismatches is not None:
            lines.append(f"read otherwise than written: {len(self.model_mismatches)}")
            lines.extend(f"  {path}" for path in self.model_mismatches[:SHOWN_PER_REASON])
        lines += [
            f"flows: {shape['flows']} {shape['templates']}, property rows: {shape['property_rows']}",
            f"time: read {shape['read_wall_seconds']} s wall in {self.workers} worker(s) ({shape['files_per_second']} "
            f"files/s, {shape['mib_per_second']} MiB/s; per file ms {shape['per_file_ms']}), "
            f"write back {shape['write_back_seconds']} s",
            f"python {shape['python']}, docutils {shape['docutils']}, {shape['cpus']} CPU(s)",
        ]
        return "\n".join(lines) + "\n"

    @property
    def failed(self) -> bool:
        return bool(self.refused) or bool(self.model_mismatches)


def measure(paths: list[str], workers: int, expected: dict[str, Checklist] | None = None) -> Report:
    outcomes, read_seconds = read_all(paths, workers)
    start = time.perf_counter()
    differing = {
        outcome.path: line
        for outcome in outcomes
        if outcome.checklist is not None and (line := first_difference(outcome.path, outcome.checklist)) is not None
    }
    write_seconds = time.perf_counter() - start
    mismatches = None
    if expected is not None:
        mismatches = sorted(o.path for o in outcomes if o.checklist is not None and o.checklist != expected[o.path])
    return Report(outcomes, workers, read_seconds, write_seconds, differing, mismatches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("paths", nargs="*", metavar="CORPUS", help="checklist files, or folders to search for *.rst")
    parser.add_argument(
        "--synthetic", type=int, metavar="N", help="without CORPUS: generate N checklists and read them"
    )
    parser.add_argument("--rows", choices=["empirical", "uniform"], default="empirical", help="synthetic rows per flow")
    parser.add_argument("--seed", type=int, default=20241113, help="synthetic corpus seed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="reading processes")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    parser.add_argument("--require-round-trip", action="store_true", help="exit 1 if a file is written back otherwise")
    args = parser.parse_args(argv)
    if args.paths and args.synthetic is not None:
        parser.error("give a CORPUS or --synthetic N, not both")
    if args.workers < 1:
        parser.error("--workers must be at least 1")

    with tempfile.TemporaryDirectory(prefix="bench-checklists-") as folder:
        expected = None
        if args.paths:
            paths = checklist_paths(args.paths)
        else:
            count = 1150 if args.synthetic is None else args.synthetic
            expected = write_synthetic(Path(folder), count, args.seed, args.rows)
            paths = sorted(expected)
        if not paths:
            print(f"bench_checklists: no *.rst found under {' '.join(args.paths)}", file=sys.stderr)
            return 2
        report = measure(paths, args.workers, expected)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(report.render(), end="")
    return 1 if report.failed or (args.require_round_trip and report.differing) else 0


if __name__ == "__main__":
    sys.exit(main())
