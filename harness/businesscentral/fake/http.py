"""The Business Central fake's HTTP layer: thin handlers translating API v2.0 requests to model calls.

URL layout: ``/v2.0/{entraTenant}/{environment}/api/v2.0/...`` (the tenant segment may be omitted), the read-only
``companies`` set, company-scoped ``customers`` and ``contacts`` with their navigation properties
(``customers({id})/picture``), ``$metadata``, JSON ``$batch``, and the environments listing at
``/environments/v1.1``. Bearer tokens authenticate; the limits of the service apply (a page holds at most 20,000
entities, a ``$batch`` at most 100 operations, 6,000 requests per principal per 5-minute sliding window).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlencode

from werkzeug.wrappers import Request, Response

from harness.businesscentral.fake.batch import run_batch
from harness.businesscentral.fake.call import ODATA, PLAIN, Call, CallHandler, Reply, over_http
from harness.businesscentral.fake.csdl import metadata_document
from harness.businesscentral.fake.errors import (
    AuthenticationFailed,
    BadRequest,
    BCError,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    ResourceNotFound,
)
from harness.businesscentral.fake.expand import NAVIGATION_OPTIONS, expansion, parse_expand
from harness.businesscentral.fake.model import BusinessCentralModel, Company, Query
from harness.businesscentral.fake.odata import parse_count, parse_filter, parse_orderby, parse_select
from harness.businesscentral.fake.parts import Parts
from harness.businesscentral.limits import MAX_PAGE_SIZE, MAX_REQUESTS, REQUEST_WINDOW
from harness.businesscentral.schema import ENTITIES
from harness.client.timestamps import parse_timestamp
from harness.fakes import pagetoken
from harness.fakes.clock import Clock, IdSource
from harness.fakes.tenant import FakeTenant, Route, VendorError
from harness.fakes.window import SlidingWindow

__all__ = ["BusinessCentralFake"]

MAX_BODY_BYTES = 350 * 1024 * 1024
_API = r"/v2\.0/(?:(?P<tenant>[^/]+)/)?(?P<environment>[^/]+)/api/v2\.0"
_COMPANY = _API + r"/companies\((?P<company>[^)/]*)\)"
_ENTITY_SET = _COMPANY + r"/(?P<entity_set>customers|contacts)"
_RECORD = _ENTITY_SET + r"\((?P<record_id>[^)/]*)\)"
_QUERY_OPTIONS = {"$filter", "$select", "$orderby", "$top", "$skip", "$skiptoken", "$count", "$expand", "$format"}
_PREFER_PAGE = re.compile(r"odata\.maxpagesize\s*=\s*(\S+)")


class BusinessCentralFake(FakeTenant):
    """One Entra tenant with a sandbox and a production environment, each holding one company."""

    system = "businesscentral"

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        seed: int | None = None,
        rate_limit: tuple[int, float] | None = (MAX_REQUESTS, REQUEST_WINDOW),
    ) -> None:
        super().__init__(clock=clock, ids=ids or IdSource(seed))
        self.tenant_id = self.ids.guid()
        self.token = self.ids.token()
        self.tokens: set[str] = {self.token}
        self._window: SlidingWindow | None = None
        self.rate_limit = rate_limit
        self._layout: list[tuple[str, str, str, str]] = [
            ("Sandbox", "sandbox", "CRONUS NO", self.ids.guid()),
            ("Production", "production", "CRONUS NO", self.ids.guid()),
        ]
        self.model = self._fresh_model()

    def _fresh_model(self) -> BusinessCentralModel:
        model = BusinessCentralModel(self.clock, self.ids, tenant_id=self.tenant_id)
        for environment, kind, company, company_id in self._layout:
            if environment.lower() not in model.environments:
                model.add_environment(environment, kind)
            model.add_company(environment, company, company_id)
        return model

    # --- identity ---------------------------------------------------------------------------------------------
    @property
    def environment(self) -> str:
        return self._layout[0][0]

    @property
    def company_id(self) -> str:
        return self._layout[0][3]

    def company(self, environment: str | None = None) -> Company:
        """The company a test works in (the sandbox's, unless another environment is named)."""
        env = self.model.environment(environment or self.environment)
        return next(iter(env.companies.values()))

    def api_path(self, environment: str | None = None) -> str:
        return f"/v2.0/{self.tenant_id}/{environment or self.environment}/api/v2.0"

    def info(self) -> dict[str, Any]:
        return {
            "api": f"{self.base_url}{self.api_path()}",
            "token": self.token,
            "company_id": self.company_id,
            "tenant_id": self.tenant_id,
            "environment": self.environment,
            "environments_url": f"{self.base_url}/environments/v1.1",
        }

    def issue_token(self) -> str:
        token = self.ids.token()
        self.tokens.add(token)
        return token

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    # --- FakeTenant -------------------------------------------------------------------------------------------
    def routes(self) -> Iterable[Route]:
        table: list[tuple[str, str, str, CallHandler]] = [
            ("GET", r"/environments/v1\.1", "GET environments", self._environments),
            ("GET", _API + r"/companies", "GET companies", self._companies),
            ("GET", _COMPANY, "GET companies({id})", self._company),
            ("GET", _ENTITY_SET, "GET {entity_set}", self._list),
            ("POST", _ENTITY_SET, "POST {entity_set}", self._create),
            ("GET", _RECORD, "GET {entity_set}({id})", self._get),
            ("PATCH", _RECORD, "PATCH {entity_set}({id})", self._update),
            ("DELETE", _RECORD, "DELETE {entity_set}({id})", self._delete),
            ("GET", _RECORD + r"/(?P<navigation>\w+)", "GET {entity_set}({id})/{navigation}", self._navigate),
            ("GET", _RECORD + r"/picture\([^)/]*\)/content", "GET {entity_set}({id})/picture/content", self._picture),
            ("GET", _API + r"/\$metadata", "GET $metadata", self._metadata),
            ("POST", _API + r"/\$batch", "POST $batch", self._batch),
        ]
        # $batch operations call the handlers directly, without an HTTP request around each one.
        self._handlers: dict[str, CallHandler] = {name: handler for _, _, name, handler in table}
        return [
            Route(method, re.compile(pattern), name, over_http(handler)) for method, pattern, name, handler in table
        ]

    def error_response(self, error: VendorError) -> Response:
        if isinstance(error, BCError):
            return error.to_response(self.ids.guid())
        return error.to_response()

    def authenticate(self, request: Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.tokens:
            raise AuthenticationFailed()
        return token.strip()

    @property
    def rate_limit(self) -> tuple[int, float] | None:
        """(requests, seconds) per principal in a sliding window; None: no limit. Setting it starts counting afresh."""
        return (self._window.requests, self._window.seconds) if self._window is not None else None

    @rate_limit.setter
    def rate_limit(self, limit: tuple[int, float] | None) -> None:
        self._window = SlidingWindow(self.clock, *limit) if limit is not None else None

    def before_request(self, request: Request, principal: str) -> None:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            raise BCError(
                f"The request body is larger than the maximum of {MAX_BODY_BYTES} bytes.",
                status=413,
                code="RequestEntityTooLarge",
            )
        if self._window is None:
            return
        refused = self._window.admit(principal)
        if refused is not None:
            raise BCError(
                f"Too many requests reached.  Actual ({refused}).  Maximum ({self._window.requests}).",
                status=429,
                code="Application_TooManyRequests",
            )

    def no_route(self, request: Request, allowed: list[str]) -> VendorError:
        if allowed:
            error = MethodNotAllowed(
                f"'{request.method}' requests for '{request.path.rsplit('/', 1)[-1]}' are not allowed within "
                "Dynamics 365 Business Central OData web services."
            )
            error.headers["Allow"] = ", ".join(allowed)
            return error
        # Recorded: microsoft/AL#8283, MicrosoftDocs/dynamics365smb-devitpro-pb#2520.
        return NotFound(f"No HTTP resource was found that matches the request URI '{request.url}'.")

    def fault_error(self, status: int, retry_after: float | None) -> VendorError:
        codes = {
            400: "BadRequest",
            408: "RequestTimeout",
            429: "Application_TooManyRequests",
            500: "Unknown",
            502: "BadGateway",
            503: "ServiceUnavailable",
            504: "GatewayTimeout",
        }
        error = BCError(f"Injected fault: HTTP {status}.", status=status, code=codes.get(status, "Unknown"))
        if retry_after is not None:
            error.headers["Retry-After"] = f"{retry_after:g}"
        return error

    def internal_error(self) -> VendorError:
        return BCError("An unexpected error occurred.", status=500, code="Unknown")

    def reset_state(self) -> None:
        # Ids, tenant, token and company ids survive a reset so that what `harness serve` printed stays valid.
        self.model = self._fresh_model()
        if self._window is not None:
            self._window.clear()

    def seed(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """``{"environment"?: name, "customers"?: [...], "contacts"?: [...]}``.

        Records go through the same rules as a POST; a record may also carry ``lastModifiedDateTime`` to backdate it.
        """
        unknown = sorted(set(payload) - {"environment", "customers", "contacts"})
        if unknown:
            raise ValueError(f"unknown seed key(s) {unknown}; allowed: contacts, customers, environment")
        company = self.company(payload.get("environment"))
        created: dict[str, Any] = {}
        for entity_set in ("customers", "contacts"):
            records = payload.get(entity_set) or []
            if not isinstance(records, list):
                raise ValueError(f"seed '{entity_set}' must be a list of records")
            created[entity_set] = [self._seed_one(company, entity_set, record) for record in records]
        return created

    def _seed_one(self, company: Company, entity_set: str, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise ValueError(f"each seeded {entity_set} record must be a JSON object, got {body!r}")
        stamp = body.pop("lastModifiedDateTime", None)
        try:
            record = self.model.create(company, entity_set, body)
        except BCError as exc:
            raise ValueError(f"seeded {entity_set} record {body!r} was refused: {exc.code}: {exc.message}") from None
        if stamp is not None:
            record["lastModifiedDateTime"] = parse_timestamp(str(stamp))
            company.store(entity_set).changed()
        return self.model.render(company, entity_set, record)

    def records(self, entity_set: str, environment: str | None = None) -> Iterator[dict[str, Any]]:
        """The company's records of ``entity_set`` as the API renders them, one at a time (:meth:`dump` renders
        every record of every company at once)."""
        company = self.company(environment)
        for record in list(company.store(entity_set).records.values()):
            yield self.model.render(company, entity_set, record)

    def record(self, entity_set: str, record_id: str, environment: str | None = None) -> dict[str, Any] | None:
        """One record of the company's ``entity_set`` as the API renders it; None when there is none by that id."""
        company = self.company(environment)
        record = company.store(entity_set).records.get(record_id)
        return None if record is None else self.model.render(company, entity_set, record)

    def dump(self) -> dict[str, Any]:
        environments = []
        for env in self.model.environments.values():
            companies = []
            for company in env.companies.values():
                entry: dict[str, Any] = {"id": company.id, "name": company.name}
                for entity_set in ENTITIES:
                    store = company.store(entity_set)
                    entry[entity_set] = [self.model.render(company, entity_set, r) for r in store.records.values()]
                companies.append(entry)
            environments.append({"name": env.name, "type": env.type, "companies": companies})
        return {"tenant_id": self.tenant_id, "environments": environments}

    # --- handlers ---------------------------------------------------------------------------------------------
    def _scope(self, tenant: str | None, environment: str) -> None:
        if tenant is not None and tenant.lower() != self.tenant_id.lower():
            raise AuthenticationFailed()
        self.model.environment(environment)

    def _context(self, call: Call, suffix: str) -> str:
        root = call.path.split("/api/v2.0", 1)[0]
        return f"{call.origin}{root}/api/v2.0/$metadata#{suffix}"

    def _environments(self, call: Call) -> Reply:
        value = [
            {
                "aadTenantId": self.tenant_id,
                "applicationFamily": "BusinessCentral",
                "type": env.type,
                "name": env.name,
                "countryCode": env.country_code,
                "status": "Active",
                "webServiceUrl": f"{call.origin}/v2.0/{self.tenant_id}/{env.name}/api/v2.0",
            }
            for env in self.model.environments.values()
        ]
        return Reply({"value": value}, headers={"Content-Type": "application/json"})

    def _companies(self, call: Call, tenant: str | None, environment: str) -> Reply:
        self._scope(tenant, environment)
        env = self.model.environment(environment)
        value = [self.model.render_company(c) for c in env.companies.values()]
        return Reply({"@odata.context": self._context(call, "companies"), "value": value}, headers=dict(ODATA))

    def _company(self, call: Call, tenant: str | None, environment: str, company: str) -> Reply:
        self._scope(tenant, environment)
        body = self.model.render_company(self.model.company(environment, company))
        return Reply({"@odata.context": self._context(call, "companies/$entity"), **body}, headers=dict(ODATA))

    def _list(self, call: Call, tenant: str | None, environment: str, company: str, entity_set: str) -> Reply:
        self._scope(tenant, environment)
        scope = self.model.company(environment, company)
        schema = ENTITIES[entity_set]
        args = call.args
        for key in args:
            if key.startswith("$") and key not in _QUERY_OPTIONS:
                raise BadRequest(f"The query parameter '{key}' is not supported.")
        select = tuple(parse_select(args["$select"], schema)) if "$select" in args else None
        expand = parse_expand(args["$expand"], schema) if "$expand" in args else ()
        page_size, applied = _page_size(call.header("prefer"))
        query = Query(
            filter=parse_filter(args["$filter"], schema) if "$filter" in args else None,
            orderby=tuple(parse_orderby(args["$orderby"], schema)) if "$orderby" in args else (),
            top=parse_count(args, "$top"),
            skip=parse_count(args, "$skip") or 0,
            after=_decode_skiptoken(args["$skiptoken"]) if "$skiptoken" in args else None,
            page_size=page_size,
        )
        page = self.model.query(scope, entity_set, query)
        parts = Parts(self.model)
        value = []
        for record in page.records:
            # A record's own URL matters only to what it expands (media links hang off it).
            url = f"{call.url}({record['id']})" if expand else call.url
            value.append(parts.render(scope, schema, record, url, select, expand))
        body: dict[str, Any] = {"@odata.context": self._context(call, f"companies({scope.id})/{entity_set}")}
        if args.get("$count", "").lower() == "true":
            body["@odata.count"] = page.count
        body["value"] = value
        self.count_served(len(value))
        if page.next_after is not None:
            items = [(k, v) for k, v in args.items(multi=True) if k != "$skiptoken"]
            items.append(("$skiptoken", _encode_skiptoken(page.next_after)))
            query_string = urlencode(items, safe="$'(),:")
            body["@odata.nextLink"] = f"{call.url}?{query_string}"
        headers = dict(ODATA)
        if applied:
            headers["Preference-Applied"] = f"odata.maxpagesize={page_size}"
        return Reply(body, headers=headers)

    def _entity(
        self, call: Call, scope: Company, entity_set: str, record: Mapping[str, Any], status: int = 200
    ) -> Reply:
        if call.method == "GET":
            # A read honours $select and $expand as a collection does; a write answers the whole record.
            schema = ENTITIES[entity_set]
            select = tuple(parse_select(call.args["$select"], schema)) if "$select" in call.args else None
            expand = parse_expand(call.args["$expand"], schema) if "$expand" in call.args else ()
            rendered = Parts(self.model).render(scope, schema, record, call.url, select, expand)
        else:
            rendered = self.model.render(scope, entity_set, record)
        # As recorded: the context names the company, and no ETag header: the tag travels in @odata.etag.
        body = {"@odata.context": self._context(call, f"companies({scope.id})/{entity_set}/$entity"), **rendered}
        headers = dict(PLAIN if call.method == "PATCH" else ODATA)
        if status == 201:
            headers["Location"] = f"{call.url}({record['id']})"
        return Reply(body, status=status, headers=headers)

    def _get(
        self, call: Call, tenant: str | None, environment: str, company: str, entity_set: str, record_id: str
    ) -> Reply:
        self._scope(tenant, environment)
        scope = self.model.company(environment, company)
        record = self.model.get(scope, entity_set, record_id)
        self.count_served(1)
        return self._entity(call, scope, entity_set, record)

    def _navigate(
        self,
        call: Call,
        tenant: str | None,
        environment: str,
        company: str,
        entity_set: str,
        record_id: str,
        navigation: str,
    ) -> Reply:
        self._scope(tenant, environment)
        scope = self.model.company(environment, company)
        schema = ENTITIES[entity_set]
        record = self.model.get(scope, entity_set, record_id)
        if navigation not in schema.navigation_by_name:
            raise ResourceNotFound(f"Resource not found for the segment '{navigation}'.")
        options = {key: value for key, value in call.args.items() if key in NAVIGATION_OPTIONS}
        item = expansion(navigation, schema, options)
        value = Parts(self.model).render(scope, schema, record, call.url.rsplit("/", 1)[0], expand=(item,))[navigation]
        if value is None:
            return Reply(None, status=204)
        path = f"companies({scope.id})/{entity_set}({record['id']})/{navigation}"
        if item.navigation.collection:
            self.count_served(len(value))
            return Reply({"@odata.context": self._context(call, path), "value": value}, headers=dict(ODATA))
        self.count_served(1)
        return Reply({"@odata.context": self._context(call, f"{path}/$entity"), **value}, headers=dict(ODATA))

    def _picture(
        self, call: Call, tenant: str | None, environment: str, company: str, entity_set: str, record_id: str
    ) -> Reply:
        self._scope(tenant, environment)
        self.model.get(self.model.company(environment, company), entity_set, record_id)
        return Reply(None, status=204)  # the fake keeps no pictures: every record's picture is empty

    def _metadata(self, call: Call, tenant: str | None, environment: str) -> Reply:
        self._scope(tenant, environment)
        wanted = call.args.get("$format", "xml").split(";")[0].strip().lower()
        if wanted not in ("xml", "application/xml"):
            raise NotAcceptable(
                f"The $metadata document is served as XML only; $format={call.args['$format']} is not supported."
            )
        return Reply(None, headers={"Content-Type": "application/xml; charset=utf-8"}, raw=metadata_document())

    def _create(self, call: Call, tenant: str | None, environment: str, company: str, entity_set: str) -> Reply:
        self._scope(tenant, environment)
        scope = self.model.company(environment, company)
        record = self.model.create(scope, entity_set, call.json_object())
        return self._entity(call, scope, entity_set, record, status=201)

    def _update(
        self, call: Call, tenant: str | None, environment: str, company: str, entity_set: str, record_id: str
    ) -> Reply:
        self._scope(tenant, environment)
        scope = self.model.company(environment, company)
        record = self.model.update(scope, entity_set, record_id, call.json_object(), call.header("if-match"))
        return self._entity(call, scope, entity_set, record)

    def _delete(
        self, call: Call, tenant: str | None, environment: str, company: str, entity_set: str, record_id: str
    ) -> Reply:
        self._scope(tenant, environment)
        scope = self.model.company(environment, company)
        self.model.delete(scope, entity_set, record_id, call.header("if-match"))
        return Reply(None, status=204)

    def handler(self, route_name: str) -> CallHandler:
        """The handler of a route by its name, for an operation inside ``$batch``."""
        return self._handlers[route_name]

    def _batch(self, call: Call, tenant: str | None, environment: str) -> Reply:
        self._scope(tenant, environment)
        return run_batch(self, call)


def _page_size(prefer: str | None) -> tuple[int, bool]:
    if not prefer:
        return MAX_PAGE_SIZE, False
    match = _PREFER_PAGE.search(prefer)
    if match is None:
        return MAX_PAGE_SIZE, False
    text = match.group(1).rstrip(",;")
    if not text.isdigit() or int(text) < 1:
        raise BadRequest(f"The Prefer value odata.maxpagesize={text} must be a positive integer.")
    # A preference, not an order: beyond the service's maximum the page holds the maximum.
    return min(int(text), MAX_PAGE_SIZE), True


def _encode_skiptoken(after: Mapping[str, Any]) -> str:
    return pagetoken.encode(after)


def _decode_skiptoken(token: str) -> dict[str, Any]:
    try:
        decoded = pagetoken.decode(token)
    except ValueError:
        raise BadRequest(f"The $skiptoken '{token}' is not valid.") from None
    if not isinstance(decoded, dict) or "id" not in decoded:
        raise BadRequest(f"The $skiptoken '{token}' is not valid.")
    return decoded
