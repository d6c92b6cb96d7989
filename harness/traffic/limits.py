"""The tenants' published limits, held against meters (contract rule 12, "The product keeps to the tenants'
published limits").

Business Central publishes its limits per principal: 6,000 requests per 5-minute sliding window, 5 requests in
flight at once, 100 operations per ``$batch``, and answers 429 with ``Retry-After`` beyond them. Both tenants hand
out versions (ETags): an update that carries the version it read cannot overwrite a user's newer edit, where
``If-Match: *`` or none can. A token is fetched once and reused until it nears its expiry (or is refused).
:func:`judge` turns a :meth:`~harness.traffic.meters.Meters.snapshot` into one :class:`Limit` per rule and tenant,
each with the figure measured, so the sign-off can print them side by side.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["BC_BATCH_OPERATIONS", "BC_CONCURRENT", "BC_WINDOW_REQUESTS", "Limit", "judge"]

BC_WINDOW_REQUESTS = 6000
BC_CONCURRENT = 5
BC_BATCH_OPERATIONS = 100
_NAMES = {"crmoffice": "CRMOffice", "businesscentral": "Business Central"}


@dataclass(frozen=True)
class Limit:
    tenant: str
    rule: str
    limit: str
    measured: str
    held: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "rule": self.rule,
            "limit": self.limit,
            "measured": self.measured,
            "held": self.held,
        }


def _sum(sets: Mapping[str, Any], key: str, kind: str) -> int:
    return sum(int(v.get(key, {}).get(kind, 0)) for v in sets.values())


def judge(snapshot: Mapping[str, Any]) -> list[Limit]:
    """Every limit for every tenant the meters saw; ``held`` is False where the figure breaks it."""
    limits: list[Limit] = []
    for tenant, m in sorted(snapshot.get("tenants", {}).items()):
        name = _NAMES.get(tenant, tenant)
        sets = m.get("entity_sets", {})
        if tenant == "businesscentral":
            window = int(m["window_max"])
            limits.append(
                Limit(
                    name,
                    "requests per 5 minutes",
                    f"≤ {BC_WINDOW_REQUESTS}",
                    f"{window} at most",
                    window <= BC_WINDOW_REQUESTS,
                )
            )
            flight = int(m["in_flight_max"])
            limits.append(
                Limit(
                    name,
                    "requests in flight at once",
                    f"≤ {BC_CONCURRENT}",
                    f"{flight} at most",
                    flight <= BC_CONCURRENT,
                )
            )
            batch = int(m["batches"]["max_operations"])
            limits.append(
                Limit(
                    name,
                    "operations per $batch",
                    f"≤ {BC_BATCH_OPERATIONS}",
                    f"{batch} at most in {m['batches']['count']} batches",
                    batch <= BC_BATCH_OPERATIONS,
                )
            )
        early = int(m["early_after_retry_after"])
        limits.append(Limit(name, "requests sent before a Retry-After expired", "none", str(early), early == 0))
        etag, star, bare = (_sum(sets, "updates", k) for k in ("etag", "any", "none"))
        limits.append(
            Limit(
                name,
                "updates conditional on the version read",
                "every update",
                f"{etag} with the ETag read, {star} with If-Match: *, {bare} without If-Match",
                star == 0 and bare == 0,
            )
        )
        replaced = int(m["token_replaced_early"])
        limits.append(
            Limit(
                name,
                "a token reused for its lifetime",
                "no early replacement",
                f"{m['token_changes']} changes, {replaced} early",
                replaced == 0,
            )
        )
    return limits
