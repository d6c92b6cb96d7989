"""Removing what test runs created on shared tenants: one scenario's records, one run's, or every run's older than
an age. Records are recognised by the run tag in their names (:mod:`harness.shared_tenants.runtag`), nothing else,
so a record a person made is never touched.

CRMOffice records go first: while a sync may still be running, deleting a Business Central counterpart first could
have it re-created from its CRMOffice origin (rule 6); an origin deleted first only retires its link.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from harness.businesscentral.client import EntitySet
from harness.client.errors import NotFoundError
from harness.crmoffice.client import Resource
from harness.crmoffice.dataflow import display_name
from harness.shared_tenants.runtag import run_started, tags_in
from harness.tenants import TenantPair

__all__ = ["CleanupReport", "cleanup", "matcher"]

CRM_KINDS: tuple[Resource, ...] = ("contacts", "companies")
BC_SETS: tuple[EntitySet, ...] = ("contacts", "customers")


@dataclass
class CleanupReport:
    deleted: dict[str, list[str]] = field(default_factory=dict)
    """``"crmoffice contacts"`` → names deleted."""
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(len(names) for names in self.deleted.values())

    def to_dict(self) -> dict[str, Any]:
        return {"deleted": self.deleted, "total": self.total, "errors": self.errors}


def matcher(
    *, run_id: str | None = None, older_than: timedelta | None = None, now: datetime | None = None
) -> Callable[[str], bool]:
    """Names tagged by run ``run_id``, or by any run that started more than ``older_than`` ago."""
    if (run_id is None) == (older_than is None):
        raise ValueError("name exactly one of run_id or older_than")
    if run_id is not None:
        run_started(run_id)
        return lambda name: any(run == run_id for run, _ in tags_in(name))
    assert older_than is not None
    cutoff = (now or datetime.now(UTC)) - older_than
    return lambda name: any(_started_before(run, cutoff) for run, _ in tags_in(name))


def _started_before(run_id: str, cutoff: datetime) -> bool:
    try:
        return run_started(run_id) < cutoff
    except ValueError:
        return False  # tag-shaped, but no real time in it (a month 13): not a run of ours


def cleanup(pair: TenantPair, matches: Callable[[str], bool], *, dry_run: bool = False) -> CleanupReport:
    report = CleanupReport()
    for kind in CRM_KINDS:
        for record in list(pair.crmoffice.records(kind)):
            name = display_name(kind, record)
            if matches(name):
                _delete(report, f"crmoffice {kind}", name, dry_run, _crm_delete(pair, kind, str(record["id"])))
    for entity in BC_SETS:
        found = [r for page in pair.businesscentral.pages(entity, filter="contains(displayName,'qa-')") for r in page]
        for record in found:
            name = str(record.get("displayName") or "")
            if matches(name):
                _delete(report, f"businesscentral {entity}", name, dry_run, _bc_delete(pair, entity, str(record["id"])))
    return report


def _crm_delete(pair: TenantPair, kind: Resource, record_id: str) -> Callable[[], None]:
    return lambda: pair.crmoffice.delete(kind, record_id)


def _bc_delete(pair: TenantPair, entity: EntitySet, record_id: str) -> Callable[[], None]:
    return lambda: pair.businesscentral.delete(entity, record_id)


def _delete(report: CleanupReport, where: str, name: str, dry_run: bool, action: Callable[[], None]) -> None:
    if not dry_run:
        try:
            action()
        except NotFoundError:
            return  # gone already: someone (or the sync) was first
        except Exception as exc:  # noqa: BLE001 - one stubborn record must not stop the cleanup of the others
            report.errors.append(f"{where} {name!r}: {exc}")
            return
    report.deleted.setdefault(where, []).append(name)
