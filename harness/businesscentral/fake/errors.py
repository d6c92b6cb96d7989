"""Business Central's error answers, as the fake raises and renders them.

Every error body has OData v4's shape with Business Central's habit of appending the correlation id after two
spaces: ``{"error": {"code": "<Category_Detail>", "message": "<text>  CorrelationId:  <guid>."}}``.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from harness.fakes.tenant import VendorError, json_response

__all__ = [
    "AuthenticationFailed",
    "BCError",
    "BadRequest",
    "EntityChanged",
    "EntityExists",
    "FieldValidation",
    "InvalidOperation",
    "InvalidToken",
    "MethodNotAllowed",
    "NotAcceptable",
    "NotFound",
    "ResourceNotFound",
    "StringTooLong",
    "UnknownOption",
    "correlated",
]


NO_CORRELATION = "00000000-0000-0000-0000-000000000000"
"""The correlation id of an error answered outside a tenant (a tenant always passes one of its own)."""


def correlated(message: str, correlation_id: str) -> str:
    return f"{message}  CorrelationId:  {correlation_id}."


class BCError(VendorError):
    status = 400
    code = "BadRequest"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code
        self.headers: dict[str, str] = {}

    def body(self, correlation_id: str = NO_CORRELATION) -> dict[str, dict[str, str]]:
        """Business Central's error body; the tenant passes a correlation id from its seeded id source."""
        return {"error": {"code": self.code, "message": correlated(self.message, correlation_id)}}

    def to_response(self, correlation_id: str = NO_CORRELATION) -> Response:
        # As recorded (BC 25.4, tests/captures/tfenster-wiremock-demo.json): plain JSON, no OData-Version.
        return json_response(
            self.body(correlation_id), status=self.status, headers=self.headers, content_type="application/json"
        )


class BadRequest(BCError):
    """The OData layer refused the request (syntax, types, unknown properties, query options)."""


class AuthenticationFailed(BCError):
    status = 401
    code = "Authentication_InvalidCredentials"

    def __init__(self) -> None:
        super().__init__("The server has rejected the client credentials.")
        self.headers["WWW-Authenticate"] = 'Bearer realm="", error="invalid_token"'


class NotFound(BCError):
    """No route matches the URL (an unknown entity set or API): "No HTTP resource was found that matches ..."."""

    status = 404
    code = "BadRequest_NotFound"


class ResourceNotFound(BCError):
    """A URL segment names nothing: a record key that is not (or no longer) there, an unknown navigation."""

    status = 404
    code = "BadRequest_ResourceNotFound"


class NotAcceptable(BCError):
    status = 406
    code = "BadRequest_NotAcceptable"


class MethodNotAllowed(BCError):
    status = 405
    code = "BadRequest_MethodNotAllowed"


class InvalidToken(BCError):
    code = "BadRequest_InvalidToken"


class InvalidOperation(BCError):
    code = "BadRequest_InvalidOperation"


class EntityChanged(BCError):
    # 409 by a reading of the server code; clients treat 409 and 412 with this code alike.
    status = 409
    code = "Request_EntityChanged"

    def __init__(self) -> None:
        super().__init__("Another user has already changed the record.")


class EntityExists(BCError):
    code = "Internal_EntityWithSameKeyExists"


class StringTooLong(BCError):
    code = "Application_StringExceededLength"

    def __init__(self, value: str, limit: int) -> None:
        super().__init__(
            f"The length of the string is {len(value)}, but it must be less than or equal to {limit} characters. "
            f"Value: {value}"
        )


class FieldValidation(BCError):
    code = "Application_FieldValidationException"


class UnknownOption(BCError):
    code = "Unknown"

    def __init__(self, value: str, options: tuple[str, ...]) -> None:
        super().__init__(f"'{value}' is not an option. The existing options are: {','.join(options)}")
