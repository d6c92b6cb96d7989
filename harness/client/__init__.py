"""What every tenant client shares: the exception tree, the retry policy, the base client."""

from harness.client.base import TenantClient
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
from harness.client.retry import RetryPolicy, parse_retry_after

__all__ = [
    "AlreadyExistsError",
    "ApiError",
    "AuthenticationError",
    "ChangedUnderYouError",
    "NotFoundError",
    "RetryPolicy",
    "ServerError",
    "TenantClient",
    "TenantError",
    "ThrottledError",
    "TransportError",
    "ValidationError",
    "parse_retry_after",
]
