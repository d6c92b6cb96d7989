"""Business Central's published limits for API v2.0 in the online service, in one place: the fake enforces them, the
client and the reference sync keep to them, the benchmark measures against them."""

from __future__ import annotations

__all__ = ["MAX_BATCH_OPERATIONS", "MAX_CONCURRENT", "MAX_PAGE_SIZE", "MAX_REQUESTS", "REQUEST_WINDOW"]

MAX_BATCH_OPERATIONS = 100
"""Operations in one ``$batch`` request."""
MAX_PAGE_SIZE = 20_000
"""Records in one server-driven page (``Prefer: odata.maxpagesize``)."""
MAX_REQUESTS = 6_000
"""Requests per principal in a sliding window of :data:`REQUEST_WINDOW` seconds."""
REQUEST_WINDOW = 300.0
MAX_CONCURRENT = 5
"""Requests in flight per principal; the service queues more rather than refusing them."""
