"""JSON ``$batch`` as Business Central runs it: operations in order, each answered as its own request would be.

Without ``Prefer: odata.continue-on-error`` the batch stops at the first failed operation (the answers so far and
the failed one come back); with it every operation runs, and one whose ``dependsOn`` failed is not run and is answered
424. ``Isolation: snapshot`` undoes every change when one operation fails, the answers so far kept. At most 100
operations. docs/tenants.md gives the sources.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.datastructures import ImmutableMultiDict, MultiDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from harness.businesscentral.fake.call import BATCH_ERROR, BATCH_OK, ODATA, Call, Reply
from harness.businesscentral.fake.errors import BadRequest, BCError
from harness.businesscentral.limits import MAX_BATCH_OPERATIONS

if TYPE_CHECKING:
    from harness.businesscentral.fake.http import BusinessCentralFake

__all__ = ["run_batch"]

_NO_ARGS: MultiDict[str, str] = ImmutableMultiDict()  # shared by the operations without a query string
_CONTINUE_ON_ERROR = re.compile(r"(?:^|[\s,;])(?:odata\.)?continue-on-error(?:\s*=\s*true)?\s*(?:$|[,;])")


def run_batch(fake: BusinessCentralFake, call: Call) -> Reply:
    """JSON ``$batch`` as Business Central runs it: in order, stopping at the first failed operation unless the
    client prefers ``odata.continue-on-error`` (then an operation whose ``dependsOn`` failed is not run and is
    answered 424); ``Isolation: snapshot`` undoes every change when one fails, the answers so far kept."""
    payload = call.json_object()
    operations = payload.get("requests")
    if not isinstance(operations, list) or not operations:
        raise BadRequest("The batch request must have a non-empty 'requests' array.")
    if len(operations) > MAX_BATCH_OPERATIONS:
        # As a partner's tenant answered (demiliani.com, 2021-01-12; tests/captures/issue-threads.json).
        raise BCError(
            f"The current batch message contains too many parts. A maximum number of '{MAX_BATCH_OPERATIONS}' "
            "query operations and change sets are allowed in a batch message.",
            code="Unknown",
        )
    _check_depends_on(operations)
    api_root = call.path.rsplit("/", 1)[0]
    atomic = (call.header("isolation") or "").strip().lower() == "snapshot"
    keep_going = not atomic and _CONTINUE_ON_ERROR.search(call.header("prefer") or "") is not None
    responses: list[dict[str, Any]] = []
    try:
        with fake.model.atomic() if atomic else contextlib.nullcontext():
            failed: set[str] = set()
            for op in operations:
                depends = op.get("dependsOn") if isinstance(op, dict) else None
                if depends and failed.intersection(str(d) for d in depends):
                    answer = _failed_dependency(fake, op)
                else:
                    answer = _operation(fake, api_root, call, op)
                responses.append(answer)
                if answer["status"] < 400:
                    continue
                failed.add(str(answer["id"]))
                if not keep_going:
                    # The answers so far stand; with Isolation: snapshot their changes are undone.
                    raise _RollBack()
    except _RollBack:
        pass
    return Reply({"responses": responses}, headers=dict(ODATA))


def _failed_dependency(fake: BusinessCentralFake, op: dict[str, Any]) -> dict[str, Any]:
    error = BCError(
        "The operation was not run because an operation it depends on failed.",
        status=424,
        code="FailedDependency",
    )
    return {"id": op.get("id"), "status": 424, "headers": dict(BATCH_ERROR), "body": error.body(fake.ids.guid())}


def _operation(fake: BusinessCentralFake, api_root: str, outer: Call, op: Any) -> dict[str, Any]:
    op_id = op.get("id") if isinstance(op, dict) else None
    try:
        if not isinstance(op, dict):
            raise BadRequest("Each batch operation must be a JSON object.")
        method = str(op.get("method", "")).upper()
        url = op.get("url")
        if not method or not isinstance(url, str) or not url:
            raise BadRequest("Each batch operation needs a 'method' and a 'url'.")
        parts = urlsplit(url)
        path = parts.path if parts.path.startswith("/") else f"{api_root}/{parts.path}"
        found = fake.dispatch(method, path)
        if not isinstance(found, tuple):
            raise fake.no_route(Request(EnvironBuilder(path=path, method=method).get_environ()), found)
        route, params = found
        if route.name == "POST $batch":
            raise BadRequest("A batch operation cannot itself be a batch.")
        fake.count_batch_operation(route.label(params))
        fault = fake.faults.take(method, path, in_batch=True)
        if fault is not None and fault.status is not None:
            raise fake.fault_error(fault.status, fault.retry_after)
        headers = op.get("headers") or {}
        if not isinstance(headers, dict):
            raise BadRequest("The 'headers' of a batch operation must be a JSON object.")
        body = op.get("body")
        call = Call(
            method=method,
            path=path,
            origin=outer.origin,
            args=MultiDict(parse_qsl(parts.query, keep_blank_values=True)) if parts.query else _NO_ARGS,
            headers={str(k).lower(): str(v) for k, v in headers.items()},
            json=body,
        )
        reply = fake.handler(route.name)(call, **params)
        status, reply_headers, reply_body = reply.status, reply.headers, reply.body
        if reply.raw is not None:
            reply_body = reply.raw.decode()
    except BCError as exc:
        status, reply_headers, reply_body = exc.status, exc.headers, exc.body(fake.ids.guid())
    if status >= 400:
        headers_out = dict(BATCH_ERROR)
    elif reply_body is None:
        headers_out = {}  # 204: Microsoft's $batch page prints no headers
    else:
        headers_out = dict(BATCH_OK)
    if "Location" in reply_headers:
        headers_out["location"] = reply_headers["Location"]
    answer: dict[str, Any] = {"id": op_id, "status": status, "headers": headers_out}
    if reply_body is not None:
        answer["body"] = reply_body
    return answer


class _RollBack(Exception):
    pass


def _check_depends_on(operations: list[Any]) -> None:
    """Each ``dependsOn`` names an operation before it, as OData's batch reader demands of the whole request."""
    seen: set[str] = set()
    for op in operations:
        if not isinstance(op, dict):
            continue
        depends = op.get("dependsOn")
        if depends is not None:
            if not isinstance(depends, list):
                raise BadRequest(f"The 'dependsOn' of request [{op.get('id')}] must be an array of request ids.")
            for dependency in depends:
                if str(dependency) not in seen:
                    raise BadRequest(
                        f"The dependsOn Id: [{dependency}] in request [{op.get('id')}] is not matching any of the "
                        "request Id and atomic group Id seen so far. Forward reference is not allowed."
                    )
        if op.get("id") is not None:
            seen.add(str(op["id"]))
