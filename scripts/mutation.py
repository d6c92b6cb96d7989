"""Mutation testing of the reference sync (``harness/sync/``) with the checklist suite as the oracle.

``make mutation`` (or ``.venv/bin/python scripts/mutation.py``): every mutation site of the sync's modules is listed,
a seeded sample is taken (``MUTANTS=40 SEED=1``; ``MUTANTS=0`` takes them all), and each mutant runs the checklist
suite on the in-process fakes in a scratch copy of the project. A mutant is *killed* when the suite fails (or
outlasts its time bound), *survives* when it passes. Prints the score and every survivor with file, line and the
change; writes ``reports/mutation.json``.

Why a small mutator of our own: the suite is pytest-bdd over pytest-xdist, run from the project root with
``pythonpath = ["."]``, which the maintained tools' in-place rewriting and test selection do not fit; an AST
mutator over a scratch copy is a hundred lines and cannot leave a mutant behind in the work tree.

The command-line front (``cli.py``), the benchmark (``bench.py``) and the ``--watch`` loop (``watch.py``) are left
out: the suite runs the engine in-process and never reaches them, so their mutants would only measure that (they have
their own tests in ``tests/sync``).

Mutations: comparison operators flipped (``==``/``!=``, ``<``/``>=``, ``>``/``<=``, ``in``/``not in``,
``is``/``is not``), ``and``/``or`` swapped, a ``not`` dropped, ``True``/``False`` swapped, an integer constant
moved by one, and a statement (a call, an assignment, an augmented assignment) replaced by ``pass``.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the harness's own digest of the sources, as the sign-off computes it
from harness.report.mutation import now, sources_digest  # noqa: E402

TARGET = Path("harness/sync")
EXCLUDED = frozenset({"cli.py", "bench.py", "watch.py"})
COPIED = ("harness", "steps", "features", "conftest.py", "pyproject.toml")
FLIP = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}


@dataclass(frozen=True)
class Mutant:
    path: str
    index: int
    """The index-th site of the file, in the order :class:`_Sites` visits them."""
    line: int
    change: str


class _Sites(ast.NodeTransformer):
    """Visits every mutation site; with ``apply`` set, mutates that one site and leaves the rest."""

    def __init__(self, apply: int | None = None) -> None:
        self.apply = apply
        self.found: list[tuple[int, str]] = []

    def _site(self, node: ast.AST, change: str) -> bool:
        self.found.append((getattr(node, "lineno", 0), change))
        return len(self.found) - 1 == self.apply

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        op = node.ops[0]
        flipped = FLIP.get(type(op))
        if flipped is not None and self._site(node, f"{type(op).__name__} → {flipped.__name__}"):
            node.ops = [flipped(), *node.ops[1:]]
        return node

    def visit_BoolOp(self, node: ast.BoolOp) -> ast.AST:
        self.generic_visit(node)
        other = ast.Or() if isinstance(node.op, ast.And) else ast.And()
        if self._site(node, f"{type(node.op).__name__} → {type(other).__name__}"):
            node.op = other
        return node

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.op, ast.Not) and self._site(node, "not dropped"):
            return node.operand
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool):
            if self._site(node, f"{node.value} → {not node.value}"):
                return ast.copy_location(ast.Constant(not node.value), node)
        elif isinstance(node.value, int) and self._site(node, f"{node.value} → {node.value + 1}"):
            return ast.copy_location(ast.Constant(node.value + 1), node)
        return node

    def _statement(self, node: ast.stmt, what: str) -> ast.AST:
        self.generic_visit(node)
        if self._site(node, f"{what} deleted"):
            return ast.copy_location(ast.Pass(), node)
        return node

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if isinstance(node.value, ast.Constant):
            return node  # a docstring
        return self._statement(node, "call")

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        return self._statement(node, "assignment")

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        return self._statement(node, "augmented assignment")

    # Annotations are not behaviour: a mutant of one would be equivalent by construction.
    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self.visit(node.value)
        return node

    def visit_arg(self, node: ast.arg) -> ast.AST:
        return node


def sites(root: Path = ROOT) -> list[Mutant]:
    found = []
    for path in sorted(p for p in (root / TARGET).glob("*.py") if p.name not in EXCLUDED):
        visitor = _Sites()
        visitor.visit(ast.parse(path.read_text(encoding="utf-8")))
        relative = str(path.relative_to(root))
        found += [Mutant(relative, i, line, change) for i, (line, change) in enumerate(visitor.found)]
    return found


def mutated_source(mutant: Mutant, root: Path = ROOT) -> str:
    tree = ast.parse((root / mutant.path).read_text(encoding="utf-8"))
    visitor = _Sites(apply=mutant.index)
    tree = ast.fix_missing_locations(visitor.visit(tree))
    return ast.unparse(tree)


def diff(mutant: Mutant, root: Path = ROOT) -> str:
    """The mutant's change as a unified diff of the unparsed module (both sides formatted alike, so only it shows)."""
    original = ast.unparse(ast.parse((root / mutant.path).read_text(encoding="utf-8"))).splitlines()
    changed = mutated_source(mutant, root).splitlines()
    lines = difflib.unified_diff(original, changed, mutant.path, f"{mutant.path} (mutant)", n=1, lineterm="")
    return "\n".join(list(lines)[2:])


def key(mutant: Mutant) -> str:
    """``path:index``: names one mutant of the current sources (``--only``, the judgements file)."""
    return f"{mutant.path}:{mutant.index}"


def judgements(path: Path) -> dict[str, dict[str, str]]:
    """Survivors judged equivalent (no user of the tenants could tell), by :func:`key`, with the change and the source
    line they were judged for: a judgement that no longer matches its site (the sources moved) is refused."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(
        isinstance(v, dict) and {"change", "code", "reason"} <= set(v) for v in data.values()
    ):
        raise SystemExit(f"{path}: expected {{'path:index': {{'change': ..., 'code': ..., 'reason': ...}}}}")
    return data


def run_suite(work: Path, timeout: float) -> tuple[bool, float]:
    """True when the suite passed (the mutant survived)."""
    started = time.monotonic()
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x", "-n", "2", "steps"]
    command += ["--scenario-timeout", "30"]
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST_", "HARNESS_"))}
    try:
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False, time.monotonic() - started
    return done.returncode == 0, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mutants", type=int, default=int(os.environ.get("MUTANTS") or 40), help="0: all")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED") or 1))
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per mutant's suite run")
    parser.add_argument("--out", type=Path, default=ROOT / "reports" / "mutation.json")
    parser.add_argument(
        "--only", nargs="+", metavar="PATH:INDEX", help="run these mutants only (e.g. the survivors of a run)"
    )
    parser.add_argument(
        "--equivalent",
        type=Path,
        default=ROOT / "scripts" / "mutation-equivalent.json",
        help="survivors judged equivalent, with the reason; the score counts them apart",
    )
    parser.add_argument(
        "--judge",
        nargs=2,
        action="append",
        metavar=("PATH:INDEX", "REASON"),
        help="record a survivor as equivalent, with why no user of the tenants could tell (runs nothing)",
    )
    args = parser.parse_args()
    every = sites()
    if args.judge:
        return _judge(every, args.equivalent, args.judge)
    if args.only:
        by_key = {key(m): m for m in every}
        unknown = [k for k in args.only if k not in by_key]
        if unknown:
            print(f"no such mutant: {', '.join(unknown)} (name one as path:index)", file=sys.stderr)
            return 2
        chosen = [by_key[k] for k in args.only]
    else:
        chosen = (
            every
            if args.mutants <= 0
            else sorted(
                random.Random(args.seed).sample(every, min(args.mutants, len(every))), key=lambda m: (m.path, m.index)
            )
        )
    judged, stale = rekey(judgements(args.equivalent), every)
    if stale:
        print(f"{args.equivalent}: judgements no longer match their sites: {', '.join(stale)}", file=sys.stderr)
        return 2
    print(f"{len(every)} mutation sites in {TARGET}; running {len(chosen)} (seed {args.seed})", flush=True)
    with tempfile.TemporaryDirectory(prefix="harness-mutation-") as scratch:
        work = Path(scratch)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, work / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, work / name)
        passed, seconds = run_suite(work, args.timeout)
        if not passed:
            print("the suite fails without any mutant: fix that first", file=sys.stderr)
            return 2
        print(f"baseline: the suite passes in {seconds:.0f} s", flush=True)
        survivors: list[Mutant] = []
        results = []
        for number, mutant in enumerate(chosen, 1):
            target = work / mutant.path
            original = target.read_text(encoding="utf-8")
            target.write_text(mutated_source(mutant), encoding="utf-8")
            try:
                survived, seconds = run_suite(work, args.timeout)
            finally:
                target.write_text(original, encoding="utf-8")
            verdict = "killed" if not survived else "EQUIVALENT" if key(mutant) in judged else "SURVIVED"
            print(
                f"[{number}/{len(chosen)}] {verdict:10} {key(mutant)} line {mutant.line} {mutant.change} "
                f"({seconds:.0f} s)",
                flush=True,
            )
            results.append({**asdict(mutant), "key": key(mutant), "verdict": verdict.lower(), "diff": diff(mutant)})
            if survived:
                survivors.append(mutant)
    killed = len(chosen) - len(survivors)
    equivalent = [m for m in survivors if key(m) in judged]
    judged_run = len(chosen) - len(equivalent)
    score = killed / len(chosen) if chosen else 1.0
    power = killed / judged_run if judged_run else 1.0
    print(f"\nmutation score: {killed} of {len(chosen)} killed ({score:.0%})")
    print(f"judged equivalent: {len(equivalent)}; killed of the others: {killed} of {judged_run} ({power:.0%})")
    for mutant in survivors:
        if key(mutant) in judged:
            print(f"  equivalent: {key(mutant)} line {mutant.line} {mutant.change}: {judged[key(mutant)]['reason']}")
    for mutant in survivors:
        if key(mutant) not in judged:
            print(
                f"  SURVIVED: {key(mutant)} line {mutant.line} {mutant.change}\n    "
                + diff(mutant).replace("\n", "\n    ")
            )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    summary = {
        "recorded": now(),
        "sources": sources_digest(ROOT),
        "seed": args.seed,
        "sites": len(every),
        "run": len(chosen),
        "killed": killed,
        "equivalent": len(equivalent),
        "score": score,
        "killed_of_non_equivalent": power,
    }
    args.out.write_text(json.dumps({**summary, "mutants": results}, indent=2), encoding="utf-8")
    return 0


def code(mutant: Mutant, root: Path = ROOT) -> str:
    """The source line the mutant changes, stripped: a judgement is made for it, and refused once it changed."""
    return (root / mutant.path).read_text(encoding="utf-8").splitlines()[mutant.line - 1].strip()


def _judge(every: list[Mutant], path: Path, verdicts: list[list[str]]) -> int:
    by_key = {key(m): m for m in every}
    judged, stale = rekey(judgements(path), every)
    if stale:
        print(f"{path}: judgements no longer match their sites: {', '.join(stale)}", file=sys.stderr)
        return 2
    for name, reason in verdicts:
        if name not in by_key:
            print(f"no such mutant: {name} (name one as path:index)", file=sys.stderr)
            return 2
        mutant = by_key[name]
        judged[name] = {"change": mutant.change, "code": code(mutant), "reason": reason}
    ordered = dict(sorted(judged.items(), key=lambda item: (item[0].rsplit(":", 1)[0], int(item[0].rsplit(":", 1)[1]))))
    path.write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{len(verdicts)} judged equivalent; {path} holds {len(ordered)}")
    return 0


def rekey(judged: dict[str, dict[str, str]], every: list[Mutant]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Judgements under the keys of the current sources. A judgement stays with its key while that site still makes
    the change it was judged for on the same source line. When code above it moved the site's index, it follows the
    site of its file with that change on that line — the only one, or, where several lines read the same, the one
    moved as far as the nearest judgement that could be placed. A line no longer in its file follows the one site
    anywhere that makes that change on that line. Anything else is stale (returned, never applied)."""
    by_key = {key(m): m for m in every}
    current: dict[str, dict[str, str]] = {}
    pending: dict[str, list[Mutant]] = {}
    shifts: dict[str, list[tuple[int, int]]] = {}  # per file: (old index, how far it moved) of settled judgements
    for name, verdict in judged.items():
        path, index = name.rsplit(":", 1)
        found = by_key.get(name)
        if found is not None and (found.change, code(found)) == (verdict["change"], verdict["code"]):
            current[name] = verdict
            shifts.setdefault(path, []).append((int(index), 0))
            continue
        alike = [m for m in every if (m.change, code(m)) == (verdict["change"], verdict["code"])]
        same = [m for m in alike if m.path == path]
        if not same and len(alike) == 1:
            same = alike  # the line moved to another module, unchanged: the judgement goes with it
        if len(same) == 1:
            current[key(same[0])] = verdict
            shifts.setdefault(path, []).append((int(index), same[0].index - int(index)))
        else:
            pending[name] = same
    stale = []
    for name, candidates in pending.items():
        path, index = name.rsplit(":", 1)
        # The judgement settled nearest to this one tells how far this part of the file moved.
        nearest = min(shifts.get(path, []), key=lambda seen: abs(seen[0] - int(index)), default=(0, 0))
        shift = nearest[1]
        chosen = [m for m in candidates if m.index == int(index) + shift and key(m) not in current]
        if len(chosen) == 1:
            current[key(chosen[0])] = judged[name]
        else:
            stale.append(name)
    return current, stale


if __name__ == "__main__":
    sys.exit(main())
