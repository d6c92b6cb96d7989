"""Writing to CRMOffice: one record at a time, conditionally on the version just read.

CRMOffice has no batch and its records are edited by people while the sync runs, so a write of target->origin values
first reads the record again. If it no longer holds what the decision was made on, the writer hands it back to be
decided again on what it holds now (:class:`Moved`); otherwise it writes with the ETag just read, and a write refused
as changed since that read starts over. Each re-read counts a round; after ``conflict_rounds`` the record fails
(rule 9). A record gone meanwhile is reported as :data:`Outcome.GONE` (its link retires); a value CRMOffice refuses
fails that record only; trouble on CRMOffice's side (5xx, 429 after the client's retries) ends the run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from harness.client.base import Versioned
from harness.client.errors import ApiError, ChangedUnderYouError, NotFoundError
from harness.crmoffice.client import CRMOfficeClient
from harness.sync.ledger import Ledger
from harness.sync.links import LinkCache
from harness.sync.merge import normalise
from harness.sync.plan import ORIGIN_SYSTEM, FlowPlan
from harness.sync.records import when
from harness.sync.state import Link

__all__ = ["ConditionalWriter", "Moved", "Outcome"]


class Outcome(Enum):
    WRITTEN = "written"
    GONE = "gone"
    FAILED = "failed"  # recorded in the ledger


@dataclass(frozen=True)
class Moved:
    """The record changed since the decision was made: decide again on these values, in round ``round``."""

    values: dict[str, Any]
    modified: datetime | None
    round: int


class ConditionalWriter:
    def __init__(self, crm: CRMOfficeClient, links: LinkCache, ledger: Ledger, *, conflict_rounds: int) -> None:
        self.crm = crm
        self.links = links
        self.ledger = ledger
        self.conflict_rounds = conflict_rounds

    def write(
        self, plan: FlowPlan, link: Link, changes: dict[str, Any], decided_on: Mapping[str, Any], *, round: int
    ) -> Outcome | Moved:
        """Write ``changes`` to the link's origin record, if it still holds ``decided_on``."""
        expected = {key: normalise(value) for key, value in decided_on.items()}
        landed = {**expected, **{key: normalise(value) for key, value in changes.items()}}
        refused_once = False
        for attempt in range(round, self.conflict_rounds + 1):
            try:
                fresh = self.crm.get(plan.origin, link.origin_id)
            except NotFoundError:
                return Outcome.GONE
            fresh_values = {pair.origin: normalise(fresh.record.get(pair.origin)) for pair in plan.pairs}
            if refused_once and fresh_values == landed:
                # The write whose answer was lost had landed: the retry met its own version. It is written.
                self._written(plan, link, changes, fresh)
                return Outcome.WRITTEN
            if fresh_values != expected:
                if attempt >= self.conflict_rounds:
                    break
                return Moved(fresh_values, when(fresh.record.get("updatedAt")), attempt + 1)
            try:
                written = self.crm.update(plan.origin, link.origin_id, changes, fresh.etag)
            except ChangedUnderYouError:
                refused_once = True
                continue  # changed between this read and this write (or by our own unanswered try): read again
            except NotFoundError:
                return Outcome.GONE
            except ApiError as exc:
                if exc.status >= 500 or exc.status == 429:
                    raise
                self.ledger.fail_with(plan.key, link.origin_id, link.target_id, "target", exc)
                return Outcome.FAILED
            self._written(plan, link, changes, written)
            return Outcome.WRITTEN
        message = "the CRMOffice record kept changing while the sync wrote to it"
        self.ledger.fail(
            plan.key, link.origin_id, link.target_id, "target", "ChangedUnderYou", message, system=ORIGIN_SYSTEM
        )
        return Outcome.FAILED

    def _written(self, plan: FlowPlan, link: Link, changes: Mapping[str, Any], written: Versioned) -> None:
        """CRMOffice took the values: they are the last synced ones now, at the version it answered with."""
        by_origin = {pair.origin: pair.target for pair in plan.pairs}
        for origin_property, value in changes.items():
            link.synced[by_origin[origin_property]] = value
        link.origin_modified = when(written.record.get("updatedAt"))
        self.links.touch(link)
        self.ledger.clear(plan.key, "target", link.target_id)
