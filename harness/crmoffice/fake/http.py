"""The CRMOffice fake tenant: thin HTTP handlers over :class:`~harness.crmoffice.fake.model.CRMOfficeModel`.

Routes (the harness's assumed contract, summarised in ``docs/tenants.md``)::

    POST   /connect/token        OAuth2 token endpoint (public; see harness.crmoffice.fake.tokens)
    GET    /{resource}           {"items": [...], "nextPage": url | null}; pageSize, updatedSince, cursor
    POST   /{resource}           201 + record, ETag, Location
    GET    /{resource}/{id}      200 + record, ETag
    PATCH  /{resource}/{id}      JSON merge patch, optional If-Match: 200 + record, ETag
    DELETE /{resource}/{id}      optional If-Match: 204

for each resource: ``companies``, ``contacts`` and ``activities``.

Everything else answers problem+json: 404 for an unknown path, 405 with ``Allow`` for a method the path does not
take. The control plane of :class:`~harness.fakes.tenant.FakeTenant` sits beside it under ``/_harness/``; the Python
object adds :meth:`CRMOfficeFake.expire_tokens`, :meth:`~CRMOfficeFake.revoke_tokens`,
:meth:`~CRMOfficeFake.set_token_lifetime` and :meth:`~CRMOfficeFake.set_rate_limit`.

``reset`` empties every resource and the rate-limit windows; the registered client, the tokens already
issued, the token lifetime and the rate-limit setting survive it, so connected clients keep working.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any, ClassVar

from werkzeug.wrappers import Request, Response

from harness.crmoffice.fake.errors import (
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    Problem,
    ServerFault,
    TooManyRequests,
    Unauthorized,
    retry_after_header,
)
from harness.crmoffice.fake.inbound import parse_if_match, read_json_object
from harness.crmoffice.fake.model import RESOURCES, CRMOfficeModel, Stored
from harness.crmoffice.fake.paging import next_page_url, parse_list_query
from harness.crmoffice.fake.tokens import DEFAULT_TOKEN_LIFETIME, TokenService
from harness.fakes.clock import Clock, IdSource
from harness.fakes.tenant import FakeTenant, Route, VendorError, json_response
from harness.fakes.window import FixedWindow, FixedWindowLimiter

__all__ = ["CRMOfficeFake"]

_ID = r"/(?P<record_id>[^/]+)"


class CRMOfficeFake(FakeTenant):
    system: ClassVar[str] = "crmoffice"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        token_lifetime: int = DEFAULT_TOKEN_LIFETIME,
    ) -> None:
        super().__init__(clock=clock, ids=ids)
        self.model = CRMOfficeModel(self.clock, self.ids)
        self.tokens = TokenService(
            self.clock, self.ids, client_id=client_id, client_secret=client_secret, lifetime=token_lifetime
        )
        self.rate_limiter = FixedWindowLimiter(self.clock)

    def __repr__(self) -> str:
        return f"CRMOfficeFake(base_url={self.base_url!r}, client_id={self.tokens.client_id!r})"

    # --- routes -----------------------------------------------------------------------------------------------
    def routes(self) -> Iterable[Route]:
        yield Route("POST", re.compile(r"/connect/token"), "POST connect/token", self._token, public=True)
        for resource in RESOURCES:
            many, one = re.compile(f"/{resource}"), re.compile(f"/{resource}{_ID}")
            yield Route("GET", many, f"GET {resource}", partial(self._list, resource=resource))
            yield Route("POST", many, f"POST {resource}", partial(self._create, resource=resource))
            yield Route("GET", one, f"GET {resource}/{{id}}", partial(self._get, resource=resource))
            yield Route("PATCH", one, f"PATCH {resource}/{{id}}", partial(self._update, resource=resource))
            yield Route("DELETE", one, f"DELETE {resource}/{{id}}", partial(self._delete, resource=resource))

    def _token(self, request: Request) -> Response:
        form = request.form.to_dict(flat=False) if request.mimetype == "application/x-www-form-urlencoded" else {}
        body = self.tokens.token_request(request.mimetype, form, request.headers.get("Authorization"))
        return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    def _list(self, request: Request, *, resource: str) -> Response:
        query = parse_list_query(resource, request.args.to_dict(flat=False))
        page = self.model.page(resource, since=query.since, after=query.after, size=query.page_size)
        next_page = None if page.last is None else next_page_url(request.base_url, resource, query, page.last)
        self.count_served(len(page.items))
        return json_response({"items": page.items, "nextPage": next_page})

    def _create(self, request: Request, *, resource: str) -> Response:
        stored = self.model.create(resource, read_json_object(request))
        location = f"{request.base_url}/{stored.record['id']}"
        return _record_response(stored, 201, location=location)

    def _get(self, request: Request, record_id: str, *, resource: str) -> Response:
        stored = self.model.get(resource, record_id)
        self.count_served(1)
        return _record_response(stored)

    def _update(self, request: Request, record_id: str, *, resource: str) -> Response:
        if_match = parse_if_match(request.headers.get("If-Match"))
        stored = self.model.update(resource, record_id, read_json_object(request), if_match=if_match)
        return _record_response(stored)

    def _delete(self, request: Request, record_id: str, *, resource: str) -> Response:
        self.model.delete(resource, record_id, if_match=parse_if_match(request.headers.get("If-Match")))
        return Response(status=204)

    # --- FakeTenant hooks -------------------------------------------------------------------------------------
    def authenticate(self, request: Request) -> str:
        return self.tokens.authenticate(request.headers.get("Authorization"))

    def before_request(self, request: Request, principal: str) -> None:
        wait = self.rate_limiter.admit(principal)
        if wait is not None:
            raise TooManyRequests(
                f"The rate limit ({self.rate_limiter.describe()}) is reached for this token; "
                "retry after the Retry-After seconds.",
                retry_after=wait,
            )

    def no_route(self, request: Request, allowed: list[str]) -> VendorError:
        if allowed:
            return MethodNotAllowed(request.method, request.path, allowed)
        paths = ", ".join(f"/{resource}" for resource in RESOURCES)
        return NotFound(f"No such path: {request.method} {request.path[:100]}. Paths are {paths}.")

    def fault_error(self, status: int, retry_after: float | None) -> VendorError:
        detail = "Injected by the harness fault plan."
        if status == 401:
            return Unauthorized(detail, invalid_token=True)
        if status == 429:
            return TooManyRequests(detail, retry_after=retry_after)
        if status >= 500:
            return ServerFault(status, detail, retry_after=retry_after)
        headers = {} if retry_after is None else {"Retry-After": retry_after_header(retry_after)}
        return Problem(status, detail, headers=headers)

    def internal_error(self) -> VendorError:
        return InternalServerError()

    def reset_state(self) -> None:
        self.model.clear()
        self.rate_limiter.clear()

    def seed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        return self.model.seed(payload)

    def dump(self) -> dict[str, Any]:
        return self.model.dump()

    def info(self) -> dict[str, Any]:
        return {
            "api": f"{self.base_url}/",
            "token_url": f"{self.base_url}/connect/token",
            "client_id": self.tokens.client_id,
            "client_secret": self.tokens.client_secret,
        }

    # --- control plane in Python ------------------------------------------------------------------------------
    @property
    def client_id(self) -> str:
        return self.tokens.client_id

    @property
    def client_secret(self) -> str:
        return self.tokens.client_secret

    def expire_tokens(self) -> None:
        """Every access token issued so far expires now; refresh tokens stay usable."""
        self.tokens.expire_all()

    def revoke_tokens(self) -> None:
        """Every access and refresh token issued so far becomes unknown to the tenant."""
        self.tokens.revoke_all()

    def set_token_lifetime(self, seconds: int) -> None:
        """Lifetime of access tokens issued from now on (whole seconds, by the tenant's clock)."""
        self.tokens.set_lifetime(seconds)

    def set_rate_limit(self, requests: int | None, per_seconds: float = 60.0) -> None:
        """At most ``requests`` per ``per_seconds`` per access token, by the tenant's clock; None turns it off."""
        self.rate_limiter.configure(None if requests is None else FixedWindow(requests, per_seconds))


def _record_response(stored: Stored, status: int = 200, *, location: str | None = None) -> Response:
    headers = {"ETag": stored.etag}
    if location is not None:
        headers["Location"] = location
    return json_response(stored.record, status, headers=headers)
