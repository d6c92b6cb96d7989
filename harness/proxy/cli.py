"""``harness proxy``: fronts on loopback for the tenants named in the settings, for the product to reach them by.

    harness proxy --env-file FILE [--tls] [--host 127.0.0.1] [--allow-production]
                  [--product-command CMD [--product-log FILE]]

Reads the tenants' settings (as sandbox mode does), refuses a production Business Central without both opt-ins,
checks that both tenants' hosts answer, starts mitmproxy (:mod:`harness.proxy.launch`), writes FILE with the
settings the product is to be started with (``export`` lines: ``CRMOFFICE_API_URL`` and ``BC_API_URL`` on the
fronts, every other setting as it was, ``HARNESS_PROXY_URL`` the control plane with its key), prints one JSON line
with the same, and runs until SIGTERM or Ctrl-C; then prints what the product did (the meters and the limits) to
standard error. Token endpoints are not proxied. ``HARNESS_PRODUCT_BC_ACCESS_TOKEN`` (``harness serve`` writes it)
becomes the product's ``BC_ACCESS_TOKEN``: Business Central's limits are per principal, so the product signs in as
its own, as a real product has an app registration of its own.

With ``--product-command`` the proxy also starts the product, with the settings file's values in its environment
and its output in ``--product-log`` (default: FILE with ``.product.log`` added), so that the suite can have it
killed right after a write lands ("the sync is stopped after its first write") and started again
(:mod:`harness.proxy.product`); it is stopped with the proxy. Exit 0 after a clean stop, 1 when mitmproxy or the
product failed on the way (a product that exited on its own, kept exiting at start, or did not stop cleanly), 2 when
it cannot start.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from harness.businesscentral.client.guard import ProductionRefused, check_environment
from harness.businesscentral.schema import COMPANY, ENTITIES
from harness.client.errors import TenantError
from harness.crmoffice.client import RESOURCES
from harness.envfile import write_env_file
from harness.proxy.client import ProxyControl, ProxyError
from harness.proxy.launch import Engine, EngineError, Upstream, reachable
from harness.settings import PRODUCT_TOKEN, VARIABLES, Settings, SettingsError
from harness.tenants import connect, what_to_check
from harness.traffic.limits import judge

__all__ = ["register", "run", "summary"]

BC_ENTITY_SETS = (
    COMPANY.entity_set,
    *ENTITIES,
    *(n.name for schema in ENTITIES.values() for n in schema.navigation),
    "currencies",
    "paymentTerms",
    "paymentMethods",
    "shipmentMethods",
    "$batch",
    "$metadata",
    "environments",
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "proxy",
        help="front the tenants for the product under test: meters, faults and holds (see docs/proxy.md)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--env-file", type=Path, required=True, metavar="FILE", help="settings for the product")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address the fronts listen on")
    parser.add_argument("--tls", action="store_true", help="serve the fronts over HTTPS with the proxy's own CA")
    parser.add_argument("--confdir", type=Path, help="mitmproxy's folder (its CA); default .harness-proxy with --tls")
    parser.add_argument("--mitmdump", help="the mitmdump to run (default: .venv-proxy/bin/mitmdump, then PATH)")
    parser.add_argument(
        "--product-command",
        metavar="CMD",
        help="start the product (words split as a shell does) with the settings, so it can be killed and restarted",
    )
    parser.add_argument("--product-log", type=Path, metavar="FILE", help="the product's output (FILE.product.log)")
    parser.add_argument(
        "--allow-production",
        action="store_true",
        help="front a production Business Central (also needs HARNESS_ALLOW_PRODUCTION=yes)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    try:
        settings = Settings.from_env()
        for name, url in (("CRMOffice", settings.crmoffice_api_url), ("Business Central", settings.bc_api_url)):
            why = reachable(url)
            if why is not None:
                raise EngineError(f"{name} at {url} is not reachable: {why}")
        with connect(settings) as pair:
            check_environment(pair.businesscentral, settings.bc_environment, allow_production=args.allow_production)
    except (SettingsError, ProductionRefused, EngineError) as exc:
        print(f"harness proxy: {exc}", file=sys.stderr)
        return 2
    except TenantError as exc:
        print(f"harness proxy: {what_to_check(exc)} (harness doctor checks it all)", file=sys.stderr)
        return 2
    engine = Engine(
        [Upstream("crmoffice", settings.crmoffice_api_url), Upstream("businesscentral", settings.bc_api_url)],
        {"crmoffice": RESOURCES, "businesscentral": BC_ENTITY_SETS},
        host=args.host,
        tls=args.tls,
        confdir=args.confdir,
        mitmdump=Path(args.mitmdump) if args.mitmdump else None,
    )
    stop = threading.Event()

    def interrupted(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, interrupted) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        try:
            engine.start()
        except EngineError as exc:
            print(f"harness proxy: {exc}", file=sys.stderr)
            return 2
        values = product_settings(engine)
        try:
            write_env_file(args.env_file, values)
        except OSError as exc:
            print(f"harness proxy: cannot write {args.env_file}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        announced: dict[str, Any] = {
            "crmoffice": {"api": engine.fronts["crmoffice"]},
            "businesscentral": {"api_url": engine.fronts["businesscentral"]},
            "control": engine.control_url,
            "env_file": str(args.env_file),
            "ca_certificate": str(engine.ca_certificate) if engine.ca_certificate else None,
        }
        try:
            product = _start_product(args, engine, values)
        except ProxyError as exc:
            print(f"harness proxy: cannot start the product: {exc}", file=sys.stderr)
            return 2
        announced["product_log"] = str(product) if product else None
        print(json.dumps(announced), flush=True)
        failed = _serve(engine, stop, watch_product=bool(product))
        meters = engine.meters()
        if meters is not None:
            print(summary(meters), file=sys.stderr)
        if product and not _stop_product(engine, product):
            failed = True
        return 1 if failed else 0
    finally:
        engine.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _start_product(args: argparse.Namespace, engine: Engine, values: dict[str, str]) -> Path | None:
    """The product's log when ``--product-command`` started it, None without one; ProxyError when it cannot."""
    if not args.product_command:
        return None
    log: Path = args.product_log or args.env_file.with_name(args.env_file.name + ".product.log")
    with ProxyControl(engine.control_url) as control:
        control.start_product(args.product_command, {**os.environ, **values}, str(log.resolve()))
    return log


def _serve(engine: Engine, stop: threading.Event, *, watch_product: bool) -> bool:
    """Run until SIGTERM; True when mitmproxy died or the product kept exiting at start."""
    with ProxyControl(engine.control_url) as control:
        while not stop.wait(1.0):
            if not engine.alive():
                print(f"harness proxy: mitmdump stopped unexpectedly: {engine.log_tail()}", file=sys.stderr)
                return True
            if not watch_product:
                continue
            try:
                state = control.product()
            except ProxyError:
                continue  # mitmproxy's own death is noticed above
            if state.get("state") == "failing":
                last = (state.get("exits") or [{}])[-1]
                print(
                    f"harness proxy: the product exited {len(state['exits'])} times, each soon after its start "
                    f"(last status {last.get('status')}); see {state['log']}",
                    file=sys.stderr,
                )
                return True
    return False


def _stop_product(engine: Engine, log: Path) -> bool:
    """Stop the product before mitmproxy; False (and a line saying so) when it did not stop cleanly."""
    try:
        with ProxyControl(engine.control_url) as control:
            state = control.product()
            status = control.stop_product()
    except ProxyError as exc:
        print(f"harness proxy: could not stop the product: {exc}", file=sys.stderr)
        return False
    crashes = len(state.get("crashes", []))
    exits = len(state.get("exits", []))
    print(
        f"harness proxy: the product was started {state.get('starts', 0)} times ({crashes} killed by a crash fault, "
        f"{exits} exited on their own); it stopped with status {status}; output in {log}",
        file=sys.stderr,
    )
    if exits:
        statuses = ", ".join(str(e.get("status")) for e in state["exits"])
        print(
            f"harness proxy: the product exited on its own {exits} times (statuses {statuses}); a sync service that "
            "stops while the tenants are there is a failure of the product",
            file=sys.stderr,
        )
    return status in (0, None, -signal.SIGTERM) and not exits


def product_settings(engine: Engine) -> dict[str, str]:
    """The environment the product is started with: the tenants' settings with the two API URLs on the fronts."""
    values = {v.name: os.environ[v.name] for v in VARIABLES if os.environ.get(v.name)}
    product_token = os.environ.get(PRODUCT_TOKEN)
    if product_token and "BC_ACCESS_TOKEN" in values:
        # Business Central's limits are per principal: the product signs in as its own (harness serve makes one).
        values["BC_ACCESS_TOKEN"] = product_token
    values["CRMOFFICE_API_URL"] = engine.fronts["crmoffice"]
    values["BC_API_URL"] = engine.fronts["businesscentral"]
    values["HARNESS_PROXY_URL"] = engine.control_url
    return values


def summary(meters: dict[str, Any]) -> str:
    """What the product did, per tenant, and each published limit beside the figure measured."""
    lines = [f"harness proxy: what the product did in {meters.get('seconds', 0):g} s"]
    for tenant, m in meters.get("tenants", {}).items():
        sets = m.get("entity_sets", {})
        served = sum(v["records_served"] for v in sets.values())
        written = sum(v["records_written"] for v in sets.values())
        lines.append(
            f"  {tenant}: {m['requests']} requests, {served} records served, {written} written, "
            f"{m['batches']['count']} $batch, answers {m['answers']}"
        )
    for limit in judge(meters):
        mark = "held" if limit.held else "BROKEN"
        lines.append(f"  {mark}: {limit.tenant} {limit.rule} ({limit.limit}): {limit.measured}")
    return "\n".join(lines)
