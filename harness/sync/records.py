"""Records as the sync reads them: a target's mapped values with its version, and the tenants' timestamps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from harness.client.timestamps import parse_timestamp
from harness.sync.merge import normalise
from harness.sync.plan import FlowPlan

__all__ = ["TargetRecord", "target_record", "when"]


@dataclass(slots=True)
class TargetRecord:
    """A Business Central record as read: its mapped values (normalised), when it was modified, its ETag."""

    values: dict[str, Any]
    modified: datetime | None
    etag: str | None


def target_record(plan: FlowPlan, record: Mapping[str, Any], etag: str | None = None) -> TargetRecord:
    return TargetRecord(
        values={name: normalise(record.get(name)) for name in plan.target_properties},
        modified=when(record.get("lastModifiedDateTime")),
        etag=etag or record.get("@odata.etag"),
    )


def when(text: Any) -> datetime | None:
    """A tenant's timestamp (``updatedAt``, ``lastModifiedDateTime``); None when the record has none."""
    return parse_timestamp(text) if isinstance(text, str) and text else None
