"""``harness bench``: time the reference sync on fresh fakes seeded with faker data (fixed seed).

Steps: the initial sync of N companies and M contacts, a second sync with no edits, and an incremental sync after K
edits on each side (CRMOffice contacts' direct phone, Business Central contacts' mobile phone, distinct records).
Each step reports seconds, the requests each tenant received (the fakes' own counters), and
``lower_bound_requests``: the fewest any correct sync could make for that step — pages read on each side at the
maximum page size, ``$batch`` requests of 100 writes, CRMOffice writes one by one, and the first token.

After each step, untimed, the bench checks what the sync left on the fakes (:func:`check_result`): as many
counterparts of each flow's type as origins, every origin linked to a counterpart that exists, and both sides equal
on every mapped property. A fast sync that loses, duplicates or garbles a record fails the bench
(:class:`BenchWrong`, exit 1) instead of reporting its time.
"""

from __future__ import annotations

import math
import random
import resource
import tempfile
import time
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from faker import Faker

from harness.businesscentral.fake.http import BusinessCentralFake
from harness.businesscentral.limits import MAX_BATCH_OPERATIONS
from harness.businesscentral.limits import MAX_PAGE_SIZE as BC_MAX_PAGE
from harness.checklist import parse_file
from harness.client.timestamps import format_timestamp
from harness.crmoffice.fake.http import CRMOfficeFake
from harness.crmoffice.limits import MAX_PAGE_SIZE as CRM_MAX_PAGE
from harness.fake_pair import fake_pair
from harness.fakes import Mode
from harness.progress import Ticker
from harness.sync.engine import SyncEngine
from harness.sync.merge import normalise
from harness.sync.plan import FlowPlan, plan_dataflow
from harness.sync.state import Link, SyncState

__all__ = ["BenchWrong", "check_result", "run_bench"]

CHECKLIST = Path(__file__).resolve().parents[2] / "features" / "crmoffice-businesscentral.rst"
CRM_PAGE = CRM_MAX_PAGE
BC_PAGE = BC_MAX_PAGE
BATCH = MAX_BATCH_OPERATIONS


def _pages(count: int, size: int) -> int:
    return max(1, math.ceil(count / size))


def _seed(faker: Faker, companies: int, contacts: int, now: datetime) -> dict[str, list[dict[str, Any]]]:
    """Records as a real tenant holds them: modified at different moments over the last 30 days."""
    total = max(1, companies + contacts)
    step = timedelta(days=30) / total
    stamps = iter(format_timestamp(now - timedelta(days=30) + step * index) for index in range(total))
    data = {
        "companies": [
            {"name": faker.company()[:100], "orgNr": f"{faker.random_number(digits=9, fix_len=True)}"}
            for _ in range(companies)
        ],
        "contacts": [
            {
                "givenName": faker.first_name(),
                "familyName": faker.last_name(),
                "directPhone": f"+47 {faker.random_number(digits=8, fix_len=True)}",
                "mobilePhone": f"9{faker.random_number(digits=7, fix_len=True)}",
            }
            for _ in range(contacts)
        ],
    }
    for record in (*data["companies"], *data["contacts"]):
        record["updatedAt"] = next(stamps)
    return data


def run_bench(
    companies: int, contacts: int, edits: int, mode: Mode = "mock", seed: int = 2024, *, progress: bool = False
) -> dict[str, Any]:
    """``progress``: show each step's reads, writes and requests on standard error as it runs."""
    faker = Faker("no_NO")
    faker.seed_instance(seed)
    plans = plan_dataflow(parse_file(CHECKLIST))
    with fake_pair(mode, seed=seed) as pair, tempfile.TemporaryDirectory() as folder:
        crm, bc = pair.crmoffice_fake, pair.businesscentral_fake
        assert crm is not None
        assert bc is not None
        crm.seed(_seed(faker, companies, contacts, crm.clock.now()))
        state = SyncState(Path(folder) / "state.sqlite")
        engine = SyncEngine(plans, pair.crmoffice, pair.businesscentral, state)

        def step(name: str, lower_bound: int) -> dict[str, Any]:
            with Ticker(f"bench {name}", pair, show=progress):
                result = _step(engine, crm, bc, lower_bound)
            problems = check_result(plans, crm, bc, state)
            if problems:
                listed = "; ".join(problems[:5])
                raise BenchWrong(f"after the {name} sync, {len(problems)} record(s) are wrong: {listed}")
            result["checked"] = {"origins": sum(crm.model.count(plan.origin) for plan in plans), "problems": 0}
            return result

        initial = step("initial", _initial_lower_bound(companies, contacts))
        noop = step("no-op", 4)
        contacts_flow = next(plan.key for plan in plans if plan.origin == "contacts")
        _edit_both_sides(crm, bc, state, contacts_flow, edits, random.Random(seed))
        # Pages on each side, the $batch of the CRMOffice edits, one write each of the Business Central ones.
        incremental = step("incremental", 4 + math.ceil(edits / BATCH) + edits)
        state.close()
    return {
        "companies": companies,
        "contacts": contacts,
        "edits": edits,
        "tenants": mode,
        "initial": initial,
        "noop": noop,
        "incremental": incremental,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


class BenchWrong(RuntimeError):
    """The sync under benchmark left the tenants wrong; its time means nothing."""


def _value(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return normalise(value)


def check_result(plans: list[FlowPlan], crm: CRMOfficeFake, bc: BusinessCentralFake, state: SyncState) -> list[str]:
    """What is wrong on the fakes after a sync, one line per problem (none: every origin has exactly one counterpart
    equal to it on every mapped property, and no counterpart is extra).

    Origins are read 500 at a time with their links, and each one's counterpart looked up by its id; counterparts
    are only counted: at 120,000 records a copy of either tenant, or every link at once, would outweigh the sync
    being measured."""
    problems: list[str] = []
    for plan in plans:
        targets = sum(1 for record in bc.records(plan.target) if _is_target(plan, record))
        origins = 0
        with crm.lock:
            for chunk in _chunks(crm.model.records(plan.origin), 500):
                origins += len(chunk)
                links = {
                    link.origin_id: link for link in state.links_for(plan.key, "origin_id", (r["id"] for r in chunk))
                }
                for origin in chunk:
                    problems += _compare(plan, origin, links.get(str(origin["id"])), bc)
        if targets != origins:
            problems.insert(
                0,
                f"{plan.heading}: expected one {plan.target_type} {plan.target} record per {plan.origin} record, "
                f"found {targets} for {origins}",
            )
    return problems


def _chunks(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for record in records:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _is_target(plan: FlowPlan, record: dict[str, Any]) -> bool:
    return bool(record.get("type", plan.target_type) == plan.target_type)


def _compare(plan: FlowPlan, origin: dict[str, Any], link: Link | None, bc: BusinessCentralFake) -> list[str]:
    origin_id = str(origin["id"])
    target = bc.record(plan.target, link.target_id) if link is not None else None
    if target is None or not _is_target(plan, target):
        return [f"{plan.heading}: {plan.origin} {origin_id} has no counterpart"]
    return [
        f"{plan.heading}: {plan.origin} {origin_id} {pair.origin} {_value(origin, pair.origin)!r}, "
        f"its counterpart's {pair.target} {_value(target, pair.target)!r}"
        for pair in plan.pairs
        if _value(origin, pair.origin) != _value(target, pair.target)
    ]


def _initial_lower_bound(companies: int, contacts: int) -> int:
    """The first token, every CRMOffice page, each Business Central entity set read once (empty), the creates."""
    crm_pages = _pages(companies, CRM_PAGE) + _pages(contacts, CRM_PAGE)
    return 1 + crm_pages + 2 + math.ceil((companies + contacts) / BATCH)


def _step(engine: SyncEngine, crm: CRMOfficeFake, bc: BusinessCentralFake, lower_bound: int) -> dict[str, Any]:
    """One timed sync run, with the requests each fake served and the fewest the run could have needed."""
    crm.clear_counts()
    bc.clear_counts()
    started = time.perf_counter()
    report = engine.run()
    seconds = time.perf_counter() - started
    if report.failures:
        raise RuntimeError(f"the benchmark sync refused records: {report.failures[:3]}")
    return {
        "seconds": round(seconds, 3),
        "requests": {"crmoffice": crm.counts()["total"], "businesscentral": bc.counts()["total"]},
        "lower_bound_requests": lower_bound,
        "writes": report.writes,
        "passes": report.passes,
    }


def _edit_both_sides(
    crm: CRMOfficeFake, bc: BusinessCentralFake, state: SyncState, flow: str, edits: int, rng: random.Random
) -> None:
    """``edits`` contacts edited in CRMOffice and as many others in Business Central, as users would."""
    crm_ids = [record["id"] for record in crm.dump()["contacts"]]
    chosen = rng.sample(range(len(crm_ids)), min(len(crm_ids), 2 * edits))
    with crm.lock:
        for index in chosen[:edits]:
            crm.model.update("contacts", crm_ids[index], {"directPhone": f"+47 {rng.randrange(10**7, 10**8)}"})
    edited = [crm_ids[index] for index in chosen[edits:]]
    links = {link.origin_id: link for link in state.links_for(flow, "origin_id", edited)}
    company = bc.company()
    with bc.lock:
        for origin_id in edited:
            target_id = links[origin_id].target_id
            bc.model.update(company, "contacts", target_id, {"mobilePhoneNumber": f"4{rng.randrange(10**7)}"}, "*")
