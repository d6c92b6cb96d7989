"""What every tenant client shares: the exception tree, the retry policy, the rate limit, the base client."""

from harness.client.auth import BearerToken
from harness.client.base import TenantClient, Versioned
from harness.client.errors import (
    AlreadyExistsError,
    ApiError,
    AuthenticationError,
    ChangedUnderYouError,
    NotFoundError,
    ServerError,
    TenantError,
    ThrottledError,
    TransportError,
    ValidationError,
)
from harness.client.ratelimit import RateLimit, RateLimitStats
from harness.client.retry import RetryPolicy, parse_retry_after

__all__ = [
    "AlreadyExistsError",
    "ApiError",
    "AuthenticationError",
    "BearerToken",
    "ChangedUnderYouError",
    "NotFoundError",
    "RateLimit",
    "RateLimitStats",
    "RetryPolicy",
    "ServerError",
    "TenantClient",
    "TenantError",
    "ThrottledError",
    "TransportError",
    "ValidationError",
    "Versioned",
    "parse_retry_after",
]
