"""What ``harness proxy`` costs: the latency it adds per request, and the reference sync's initial sync through it
against the same sync direct, on fakes served on loopback (the same seed both times).

    .venv/bin/python scripts/bench_proxy.py [--requests 400] [--companies 2000] [--contacts 10000] [--rounds 1]

Needs mitmproxy (``make proxy-env``). Prints one JSON object. Loopback only, bounded by the counts given.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from faker import Faker  # noqa: E402

from harness.checklist import parse_file  # noqa: E402
from harness.commands.serve import settings_environment  # noqa: E402
from harness.crmoffice.client import RESOURCES  # noqa: E402
from harness.fake_pair import fake_pair  # noqa: E402
from harness.proxy.cli import BC_ENTITY_SETS  # noqa: E402
from harness.proxy.launch import Engine, Upstream  # noqa: E402
from harness.settings import Settings  # noqa: E402
from harness.sync.engine import SyncEngine  # noqa: E402
from harness.sync.plan import plan_dataflow  # noqa: E402
from harness.sync.state import SyncState  # noqa: E402
from harness.tenants import connect  # noqa: E402

CHECKLIST = ROOT / "features" / "crmoffice-businesscentral.rst"


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(direct_url: str, front_url: str, token: str, count: int) -> dict[str, float]:
    """One company read, alternately direct and through the front, ``count`` times each (milliseconds)."""
    direct, proxied = [], []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(headers=headers, timeout=10) as client:
        for url in (direct_url, front_url):  # warm both paths (connections, the proxy's first flow)
            client.get(url).raise_for_status()
        for _ in range(count):
            for url, into in ((direct_url, direct), (front_url, proxied)):
                started = time.perf_counter()
                client.get(url).raise_for_status()
                into.append((time.perf_counter() - started) * 1000)
    return {
        "direct_median_ms": round(statistics.median(direct), 3),
        "proxied_median_ms": round(statistics.median(proxied), 3),
        "added_median_ms": round(statistics.median(proxied) - statistics.median(direct), 3),
        "direct_p95_ms": round(_quantile(direct, 0.95), 3),
        "proxied_p95_ms": round(_quantile(proxied, 0.95), 3),
        "added_p95_ms": round(_quantile(proxied, 0.95) - _quantile(direct, 0.95), 3),
    }


def initial_sync(companies: int, contacts: int, *, through_proxy: bool, seed: int = 2024) -> dict[str, Any]:
    faker = Faker("no_NO")
    faker.seed_instance(seed)
    plans = plan_dataflow(parse_file(CHECKLIST))
    with fake_pair("wire", seed=seed) as pair, tempfile.TemporaryDirectory() as folder:
        crm, bc = pair.crmoffice_fake, pair.businesscentral_fake
        assert crm is not None
        assert bc is not None
        crm.seed(
            {
                "companies": [{"name": faker.company()[:100]} for _ in range(companies)],
                "contacts": [
                    {
                        "givenName": faker.first_name(),
                        "familyName": faker.last_name(),
                        "directPhone": faker.phone_number(),
                    }
                    for _ in range(contacts)
                ],
            }
        )
        env = settings_environment(crm.info(), bc.info())
        engine = None
        if through_proxy:
            engine = Engine(
                [Upstream("crmoffice", env["CRMOFFICE_API_URL"]), Upstream("businesscentral", env["BC_API_URL"])],
                {"crmoffice": RESOURCES, "businesscentral": BC_ENTITY_SETS},
            )
            engine.start()
            env = {
                **env,
                "CRMOFFICE_API_URL": engine.fronts["crmoffice"],
                "BC_API_URL": engine.fronts["businesscentral"],
            }
        try:
            with connect(Settings.from_env(env)) as tenants:
                state = SyncState(Path(folder) / "state.sqlite")
                started = time.perf_counter()
                report = SyncEngine(plans, tenants.crmoffice, tenants.businesscentral, state).run()
                seconds = time.perf_counter() - started
                state.close()
            created = sum(1 for record in report.records if record.action == "created")
            return {"seconds": round(seconds, 2), "created": created, "requests": dict(report.requests)}
        finally:
            if engine is not None:
                engine.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--contacts", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=1, help="initial syncs each way, interleaved")
    args = parser.parse_args()
    with fake_pair("wire", seed=1) as pair:
        assert pair.businesscentral_fake is not None
        info = pair.businesscentral_fake.info()
        env = settings_environment(pair.crmoffice_fake.info() if pair.crmoffice_fake else {}, info)
        engine = Engine(
            [Upstream("crmoffice", env["CRMOFFICE_API_URL"]), Upstream("businesscentral", env["BC_API_URL"])],
            {"crmoffice": RESOURCES, "businesscentral": BC_ENTITY_SETS},
        )
        engine.start()
        try:
            path = f"/v2.0/{info['tenant_id']}/{info['environment']}/api/v2.0/companies"
            measured = latency(
                env["BC_API_URL"] + path, engine.fronts["businesscentral"] + path, info["token"], args.requests
            )
        finally:
            engine.stop()
    runs: dict[str, list[dict[str, Any]]] = {"direct": [], "proxied": []}
    for _ in range(args.rounds):
        runs["direct"].append(initial_sync(args.companies, args.contacts, through_proxy=False))
        runs["proxied"].append(initial_sync(args.companies, args.contacts, through_proxy=True))
    direct = statistics.median(r["seconds"] for r in runs["direct"])
    proxied = statistics.median(r["seconds"] for r in runs["proxied"])
    print(
        json.dumps(
            {
                "latency": {"requests": args.requests, **measured},
                "initial_sync": {
                    "companies": args.companies,
                    "contacts": args.contacts,
                    "runs": runs,
                    "ratio": round(proxied / direct, 2),
                },
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
