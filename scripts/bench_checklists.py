"""Benchmark: parse N realistic Sesam Talk checklists (default 1,150, the size of Sesam's corpus) and print figures.

The corpus itself is not on disk, so variants are generated from the real samples in ``tests/checklist/data``:
systems, datatypes, classifications, property and merge rows are drawn from what those files contain, the number
of flows per file follows the samples, templates follow the corpus's proportions (about 4,074 "every", 26
"merge-or-create", 316 "link-only"), and files are written with CRLF (as Sesam published them) or LF. Each flow
gets 0-40 property rows: ``--rows empirical`` (the default) draws four flows in five from the row counts of the
real flows (many are empty; at most 21) and the fifth uniformly from 0-40; ``--rows uniform`` draws every flow
uniformly from 0-40, about twice the rows, as a stress case. Files are written with the harness's own writer,
which reproduces the real files byte for byte, into a temporary folder, then parsed from disk.

Every parsed model is compared with the model it was written from (outside the timed part), so a fast parser
that reads the wrong thing fails the benchmark. Parsing runs in ``--workers`` processes (default: one per CPU);
``--workers 1`` measures a single core.

    .venv/bin/python scripts/bench_checklists.py [--count 1150] [--workers N] [--seed 20241113]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import docutils

from harness.checklist import Checklist, Endpoint, Flow, MergeRow, PropertyRow, Template, parse_file, to_rst

SAMPLES = Path(__file__).resolve().parents[1] / "tests" / "checklist" / "data"
TEMPLATE_WEIGHTS = {Template.EVERY: 4074, Template.MERGE_OR_CREATE: 26, Template.LINK_ONLY: 316}
CRLF_SHARE = 0.8
MAX_ROWS = 40
UNIFORM_SHARE = 0.2


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
        created_when = None
        if template is Template.LINK_ONLY and rng.random() < 0.3:
            created_when = f"connected to a {source.label()} that is synchronized into {target_system}"
        if rows == "uniform" or rng.random() < UNIFORM_SHARE:
            count = rng.randint(0, MAX_ROWS)
        else:
            count = rng.choice(pools.row_counts)
        properties = tuple(rng.choices(pools.rows, k=count))
        flows.append(Flow(source, target, template, merge, properties, created_when))
    generated = datetime(2023, 1, 1) + timedelta(seconds=rng.randrange(2 * 365 * 24 * 3600))
    checklist = Checklist(
        f"{source_system} to {target_system} Dataflow", source_system, target_system, generated, tuple(flows)
    )
    return checklist, "\r\n" if rng.random() < CRLF_SHARE else "\n"


def _classification(pools: Pools, rng: random.Random) -> str | None:
    return rng.choice(pools.classifications) if rng.random() < 0.5 else None


def _parse_timed(paths: list[str]) -> list[tuple[str, float, Checklist]]:
    results = []
    for path in paths:
        start = time.perf_counter()
        checklist = parse_file(path)
        results.append((path, time.perf_counter() - start, checklist))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1150, help="checklists to generate and parse (default 1150)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="parsing processes")
    parser.add_argument("--rows", choices=["empirical", "uniform"], default="empirical", help="rows per flow")
    parser.add_argument("--seed", type=int, default=20241113)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    pools = Pools([parse_file(path) for path in sorted(SAMPLES.rglob("*.rst"))])
    with tempfile.TemporaryDirectory(prefix="bench-checklists-") as folder:
        start = time.perf_counter()
        expected: dict[str, Checklist] = {}
        total_bytes = crlf_files = 0
        for index in range(args.count):
            checklist, newline = variant(pools, rng, args.rows)
            crlf_files += newline == "\r\n"
            path = Path(folder) / f"{index:04d}.rst"
            data = to_rst(checklist, newline=newline).encode()
            path.write_bytes(data)
            total_bytes += len(data)
            expected[str(path)] = checklist
        generate_seconds = time.perf_counter() - start

        paths = sorted(expected)
        chunks = [paths[worker :: args.workers] for worker in range(args.workers)]
        start = time.perf_counter()
        if args.workers == 1:
            results = _parse_timed(paths)
        else:
            with ProcessPoolExecutor(max_workers=args.workers) as pool:
                results = [item for chunk in pool.map(_parse_timed, chunks) for item in chunk]
        parse_seconds = time.perf_counter() - start

    mismatches = [path for path, _, parsed in results if parsed != expected[path]]
    per_file_ms = sorted(seconds * 1000 for _, seconds, _ in results)
    flows = [flow for checklist in expected.values() for flow in checklist.flows]
    figures = {
        "files": len(results),
        "bytes": total_bytes,
        "flows": len(flows),
        "property_rows": sum(len(flow.properties) for flow in flows),
        "crlf_files": crlf_files,
        "rows_per_flow": args.rows,
        "workers": args.workers,
        "generate_seconds": round(generate_seconds, 3),
        "parse_wall_seconds": round(parse_seconds, 3),
        "files_per_second": round(len(results) / parse_seconds, 1),
        "mib_per_second": round(total_bytes / parse_seconds / 2**20, 3),
        "per_file_ms": {
            "mean": round(statistics.fmean(per_file_ms), 2),
            "median": round(statistics.median(per_file_ms), 2),
            "p95": round(per_file_ms[int(0.95 * (len(per_file_ms) - 1))], 2),
            "max": round(per_file_ms[-1], 2),
        },
        "mismatches": len(mismatches),
        "python": platform.python_version(),
        "docutils": docutils.__version__,
        "cpus": os.cpu_count(),
        "seed": args.seed,
    }
    print(json.dumps(figures))
    if mismatches:
        print(f"parsed model differs from the generated one: {mismatches[:5]}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
