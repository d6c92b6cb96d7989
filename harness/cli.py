"""The ``harness`` command: one sub-command per module, each registering itself.

A sub-command module exposes ``register(subparsers)``, which adds its parser and sets ``func`` to a callable that
takes the parsed namespace and returns the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="harness",
        description="QA harness for the CRMOffice <-> Business Central dataflow.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    # Imported here so that `harness --help` stays cheap and each room owns its own arguments.
    from harness.commands import serve

    serve.register(subparsers)
    from harness.checklist import cli as checklist_cli
    from harness.commands import scaffold

    scaffold.register(checklist_cli.register(subparsers))
    from harness.commands import sync as sync_cli

    sync_cli.register(subparsers)
    from harness.report import build as report_build
    from harness.report import cli as report_cli

    report_cli.register(subparsers)
    report_build.register(subparsers)
    from harness.commands import cleanup

    cleanup.register(subparsers)
    from harness import doctor

    doctor.register(subparsers)
    from harness.soak import cli as soak_cli

    soak_cli.register(subparsers)
    from harness.proxy import cli as proxy_cli

    proxy_cli.register(subparsers)
    # (sub-commands register here, one line each)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    status: int = args.func(args)
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
