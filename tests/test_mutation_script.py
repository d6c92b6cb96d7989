"""``scripts/mutation.py``: every site it lists makes a mutant that compiles and differs from the original."""

from __future__ import annotations

import ast
import importlib.util
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("mutation", ROOT / "scripts" / "mutation.py")
assert spec is not None
assert spec.loader is not None
mutation = importlib.util.module_from_spec(spec)
sys.modules["mutation"] = mutation
spec.loader.exec_module(mutation)


def test_the_sites_cover_the_sync_and_each_sampled_mutant_compiles_and_differs() -> None:
    sites = mutation.sites()
    files = {site.path for site in sites}
    assert "harness/sync/engine.py" in files and "harness/sync/merge.py" in files, sorted(files)
    assert len(sites) > 300, f"expected hundreds of sites in the sync, found {len(sites)}"
    changes = {site.change for site in sites}
    for family in ("Eq → NotEq", "And → Or", "not dropped", "call deleted", "assignment deleted", "True → False"):
        assert family in changes, f"expected a {family!r} mutant among the sync's sites"
    for site in random.Random(7).sample(sites, 40):
        original = ast.unparse(ast.parse((ROOT / site.path).read_text(encoding="utf-8")))
        mutated = mutation.mutated_source(site)
        compile(mutated, site.path, "exec")
        assert mutated != original, f"expected {site} to change {site.path}"


def test_a_comparison_is_flipped_where_it_stands() -> None:
    visitor = mutation._Sites(apply=0)
    tree = visitor.visit(ast.parse('"""doc"""\nx = a == b\n'))
    assert visitor.found[0] == (2, "Eq → NotEq"), (
        f"expected the comparison first (the docstring is no site), {visitor.found}"
    )
    assert ast.unparse(tree) == '"""doc"""\nx = a != b'


def test_a_mutants_diff_shows_only_its_change() -> None:
    site = next(s for s in mutation.sites() if s.change == "Eq → NotEq")
    shown = mutation.diff(site)
    removed = [line for line in shown.splitlines() if line.startswith("-")]
    added = [line for line in shown.splitlines() if line.startswith("+")]
    assert len(removed) == len(added) == 1, f"expected one line changed, found {shown}"
    assert "==" in removed[0] and "!=" in added[0], f"expected the comparison flipped, found {shown}"


def test_judgements_need_the_change_they_were_made_for_and_a_reason(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(
        '{"harness/sync/merge.py:0": {"change": "Eq → NotEq", "code": "x = a == b", "reason": "why"}}', encoding="utf-8"
    )
    assert mutation.judgements(good)["harness/sync/merge.py:0"]["reason"] == "why"
    assert mutation.judgements(tmp_path / "absent.json") == {}, "expected no judgements when there is no file"
    bad = tmp_path / "bad.json"
    bad.write_text('{"harness/sync/merge.py:0": {"change": "Eq → NotEq", "code": "x = a == b"}}', encoding="utf-8")
    with pytest.raises(SystemExit, match=r"bad\.json"):
        mutation.judgements(bad)


def test_judgements_follow_their_site_when_code_above_moves_it() -> None:
    every = mutation.sites()
    site = next(s for s in every if s.path.endswith("engine.py") and s.change == "call deleted" and s.index > 10)
    verdict = {"change": site.change, "code": mutation.code(site), "reason": "why"}
    moved, stale = mutation.rekey({f"{site.path}:{site.index - 3}": verdict}, every)
    assert (list(moved), stale) == ([mutation.key(site)], []), f"expected the judgement re-keyed to {site}"
    wrong = {**verdict, "code": "something else entirely"}
    assert mutation.rekey({mutation.key(site): wrong}, every) == ({}, [mutation.key(site)]), "expected it stale"
