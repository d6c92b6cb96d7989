"""``harness checklist scaffold``: add the Examples rows a changed checklist needs to the feature files.

Exit status: 0 done (or nothing to do), 1 refused (nothing changed; stderr says what to write by hand), 2 the
checklist or the features cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["register"]


def register(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scaffold`` to ``harness checklist`` (it knows the features, so it lives with the suite)."""
    scaffold = actions.add_parser(
        "scaffold",
        help="add the Examples rows a changed checklist needs to the feature files, in place",
        description="For every checklist row missing from a scenario outline that proves rows in its direction, "
        "append it to that outline's Examples table (re-aligned, nothing else touched) and print what changed. "
        "Refuses, changing nothing, when a section has no row outlines yet (naming the ones it needs), when a row "
        "has no value generator, or when a column cannot be filled.",
    )
    scaffold.add_argument("checklist", metavar="CHECKLIST")
    scaffold.add_argument(
        "--features", type=Path, default=Path("features"), help="the folder of feature files (default: features)"
    )
    scaffold.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from harness.checklist import ChecklistError, parse_file
    from harness.traceability.coverage import FeatureError
    from harness.traceability.scaffold import ScaffoldRefused, plan_additions, write_additions

    features: Path = args.features.resolve()
    try:
        checklist = parse_file(args.checklist)
        additions = plan_additions(checklist, features, features.parent)
    except (ChecklistError, FeatureError) as exc:
        print(f"harness checklist scaffold: error: {exc}", file=sys.stderr)
        return 2
    except ScaffoldRefused as exc:
        print(f"harness checklist scaffold: {args.checklist}: {exc}", file=sys.stderr)
        return 1
    if not additions:
        print(f"{args.checklist}: every row is in every outline of its direction; nothing to add")
        return 0
    for line in write_additions(additions, features.parent):
        print(line)
    print(f"{len(additions)} Examples row(s) added; run the suite to prove them")
    return 0
