"""The proxy's control plane, from the suite's side (``HARNESS_PROXY_URL`` or ``--proxy``).

Exceptions: :class:`ProxyError` (the base), :class:`ProxyUnreachable` (nothing answers at the URL: not started,
or stopped mid-run), :class:`ProxyRefused` (the proxy answered 4xx: a wrong key, a rule it does not take; the
message is the proxy's own, naming the field).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["ProxyControl", "ProxyError", "ProxyRefused", "ProxyUnreachable"]


class ProxyError(RuntimeError):
    """Something went wrong talking to ``harness proxy``'s control plane."""


class ProxyUnreachable(ProxyError):
    """Nothing answers at the control plane's URL."""


class ProxyRefused(ProxyError):
    """The control plane refused the request (wrong key, a rule it does not take)."""


def _shown(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}:{parts.port}"


class ProxyControl:
    def __init__(self, url: str, *, timeout: float = 10.0, transport: httpx.BaseTransport | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname or not parts.password:
            raise ProxyError(
                f"HARNESS_PROXY_URL / --proxy must be the control URL harness proxy printed "
                f"(http://harness:KEY@127.0.0.1:PORT/), got {_shown(url) if parts.hostname else url[:40]!r}"
            )
        self.url = _shown(url)
        auth = httpx.BasicAuth(parts.username or "harness", parts.password)
        self._http = httpx.Client(base_url=self.url, auth=auth, timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"<proxy control at {self.url}>"

    def _call(self, method: str, path: str, body: Any = None, params: Mapping[str, str] | None = None) -> Any:
        try:
            answer = self._http.request(method, path, json=body, params=params)
        except httpx.TransportError as exc:
            raise ProxyUnreachable(
                f"harness proxy at {self.url} does not answer ({exc}); is it still running?"
            ) from None
        try:
            payload = answer.json()
        except ValueError:
            payload = {"error": answer.text[:200]}
        if answer.status_code >= 400:
            raise ProxyRefused(f"harness proxy refused {method} {path}: {payload.get('error', payload)}")
        return payload

    # --- reading ----------------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        return dict(self._call("GET", "/health"))

    def meters(self) -> dict[str, Any]:
        """Every meter and the limits judged (see :mod:`harness.traffic.meters`, :mod:`harness.traffic.limits`)."""
        return dict(self._call("GET", "/meters"))

    def trouble_seconds(self) -> float:
        """What the faults met and the holds have made the product wait so far, in all."""
        return float(self._call("GET", "/trouble")["seconds"])

    def writes_to(
        self, tenant: str, entity_set: str, record: str, *, since: float | None = None, until: float | None = None
    ) -> int:
        """Writes of the product that reached one record (between ``since`` and ``until``, wall clock)."""
        params = {"tenant": tenant, "entity_set": entity_set, "record": record}
        params |= {k: repr(v) for k, v in (("since", since), ("until", until)) if v is not None}
        return int(self._call("GET", "/meters/writes", params=params)["writes"])

    def cycles(self, since: float | None = None, records: list[str] | None = None) -> dict[str, Any]:
        """The product's complete cycles started at or after ``since`` (wall clock), with the list leading them;
        with ``records`` (ids), how many of them each cycle served per tenant."""
        body: dict[str, Any] = {"records": records or []}
        if since is not None:
            body["since"] = since
        return dict(self._call("POST", "/meters/cycles", body))

    # --- the nemesis ------------------------------------------------------------------------------------------
    def add_fault(self, tenant: str, kind: str, **scope: Any) -> dict[str, Any]:
        """One fault rule (see :mod:`harness.proxy.faults` for the kinds and fields)."""
        rule = {"tenant": tenant, "kind": kind, **{k: v for k, v in scope.items() if v is not None}}
        return dict(self._call("POST", "/faults", rule)["faults"][0])

    def remove_fault(self, fault_id: str) -> bool:
        return bool(self._call("DELETE", f"/faults/{fault_id}")["removed"])

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "/faults")["faults"])

    def clear_faults(self, tenant: str | None = None) -> int:
        return int(self._call("DELETE", "/faults", params={"tenant": tenant} if tenant else None)["removed"])

    # --- the product's process -------------------------------------------------------------------------------
    def product(self) -> dict[str, Any]:
        """The product's process as the proxy sees it; ``{"managed": false}`` when the proxy did not start it."""
        return dict(self._call("GET", "/product"))

    def start_product(self, command: str, environment: Mapping[str, str], log: str) -> dict[str, Any]:
        return dict(self._call("POST", "/product", {"command": command, "environment": dict(environment), "log": log}))

    def stop_product(self) -> int | None:
        status = self._call("DELETE", "/product")["status"]
        return None if status is None else int(status)

    def wait_crashed(self, fault_id: str, *, within: float, poll: float = 0.1) -> dict[str, Any] | None:
        """The crash the fault ``fault_id`` caused, once it happened; None when ``within`` ran out first."""
        deadline = time.monotonic() + within
        while True:
            crash = next((c for c in self.product().get("crashes", []) if c["fault"] == fault_id), None)
            if crash is not None or time.monotonic() >= deadline:
                return crash
            time.sleep(poll)

    # --- holds ------------------------------------------------------------------------------------------------
    def hold(self, tenant: str, entity_set: str, record: str, *, timeout: float, times: int = 1) -> str:
        body = {"tenant": tenant, "entity_set": entity_set, "record": record, "timeout": timeout, "times": times}
        return str(self._call("POST", "/holds", body)["id"])

    def hold_state(self, hold_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/holds/{hold_id}"))

    def wait_caught(self, hold_id: str, *, within: float, poll: float = 0.1) -> dict[str, Any]:
        """The hold's state once the product's write is caught, or as it stands when ``within`` ran out."""
        deadline = time.monotonic() + within
        while True:
            state = self.hold_state(hold_id)
            if state["state"] != "waiting" or time.monotonic() >= deadline:
                return state
            time.sleep(poll)

    def release(self, hold_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/holds/{hold_id}/release"))

    def cancel(self, hold_id: str) -> dict[str, Any]:
        return dict(self._call("DELETE", f"/holds/{hold_id}"))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ProxyControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
