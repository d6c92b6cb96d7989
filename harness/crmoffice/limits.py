"""CRMOffice's limits as the harness assumes them (``docs/tenants.md``), in one place for the fake and the client."""

from __future__ import annotations

__all__ = ["MAX_PAGE_SIZE"]

MAX_PAGE_SIZE = 1000
"""Records in one page of a list (``pageSize`` 1 to this)."""
