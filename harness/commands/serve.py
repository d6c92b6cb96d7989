"""``harness serve``: both fake tenants on loopback sockets until interrupted.

Prints exactly one JSON line once both listen — what a client needs to reach each tenant — and then nothing more::

    {"crmoffice": {"api", "token_url", "client_id", "client_secret"},
     "businesscentral": {"api", "token", "company_id"}}

Each tenant's control plane is under ``<origin>/_harness/`` (see :mod:`harness.fakes.tenant`).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from harness.envfile import write_env_file
from harness.fake_pair import fake_pair
from harness.settings import PRODUCT_TOKEN
from harness.tenants import TenantPair, endpoints

__all__ = ["register", "run", "settings_environment", "write_env_file"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the fake CRMOffice and Business Central tenants on loopback sockets",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    parser.add_argument("--port-crmoffice", type=_port, default=0, metavar="PORT", help="0 picks a free port")
    parser.add_argument("--port-businesscentral", type=_port, default=0, metavar="PORT", help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=None, help="seed for ids and credentials, to replay a run")
    parser.add_argument(
        "--env-file",
        type=Path,
        metavar="PATH",
        help="also write the settings of real tenants (CRMOFFICE_*, BC_*) pointing at these fakes, as `export` "
        "lines (mode 0600; `source PATH` passes them to what the shell starts), so `--tenants sandbox` and "
        "`harness sync --watch` can use them; HARNESS_PRODUCT_BC_ACCESS_TOKEN is a second Business Central "
        "principal's token, for the product",
    )
    parser.set_defaults(func=run)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is a number from 0 to 65535, got {port}")
    return port


def run(args: argparse.Namespace) -> int:
    stop = threading.Event()

    def interrupted(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    pair: TenantPair | None = None
    try:
        try:
            ports = (args.port_crmoffice, args.port_businesscentral)
            pair = fake_pair("wire", seed=args.seed, host=args.host, ports=ports)
        except (OSError, ValueError) as exc:
            print(f"harness serve: cannot listen on {args.host}: {exc}", file=sys.stderr)
            return 2
        assert pair.crmoffice_fake is not None
        assert pair.businesscentral_fake is not None
        crmoffice, businesscentral = pair.crmoffice_fake.info(), pair.businesscentral_fake.info()
        if args.env_file is not None:
            values = settings_environment(crmoffice, businesscentral)
            # Business Central's limits are per principal: a product given the suite's token would share the
            # suite's 6,000 requests per 5 minutes. A second principal for the product, as a real set-up gives it
            # an app registration of its own.
            values[PRODUCT_TOKEN] = pair.businesscentral_fake.issue_token()
            try:
                write_env_file(args.env_file, values)
            except OSError as exc:
                print(f"harness serve: cannot write {args.env_file}: {exc.strerror or exc}", file=sys.stderr)
                return 2
        print(json.dumps(endpoints(crmoffice, businesscentral)), flush=True)
        stop.wait()
        return 0
    finally:
        if pair is not None:
            pair.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def settings_environment(crmoffice: dict[str, Any], businesscentral: dict[str, Any]) -> dict[str, str]:
    """The environment variables of ``harness.settings`` that make these fakes the "real" sandbox tenants."""
    origin = businesscentral["environments_url"].removesuffix("/environments/v1.1")
    return {
        "CRMOFFICE_API_URL": crmoffice["api"],
        "CRMOFFICE_TOKEN_URL": crmoffice["token_url"],
        "CRMOFFICE_CLIENT_ID": crmoffice["client_id"],
        "CRMOFFICE_CLIENT_SECRET": crmoffice["client_secret"],
        "BC_API_URL": origin,
        "BC_TENANT": businesscentral["tenant_id"],
        "BC_ENVIRONMENT": businesscentral["environment"],
        "BC_COMPANY": businesscentral["company_id"],
        "BC_ACCESS_TOKEN": businesscentral["token"],
    }
