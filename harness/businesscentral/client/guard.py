"""The production guard: no write reaches a Business Central environment unless it is a sandbox, or the user opted
in to production twice over (a command-line flag and an environment variable, so neither a stray flag in a script
nor a variable left in a shell does it alone).

The environment's type comes from Business Central itself (the environments listing), never from its name: a
production environment may well be called "Sandbox-copy".
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from harness.businesscentral.client import BusinessCentralClient

__all__ = ["OPT_IN_FLAG", "OPT_IN_VARIABLE", "ProductionRefused", "check_environment"]

OPT_IN_FLAG = "--allow-production"
OPT_IN_VARIABLE = "HARNESS_ALLOW_PRODUCTION"


class ProductionRefused(RuntimeError):
    """The environment is not a sandbox (or its type cannot be established) and the user did not opt in."""


def check_environment(
    client: BusinessCentralClient,
    environment: str,
    *,
    allow_production: bool = False,
    environ: Mapping[str, str] | None = None,
) -> str:
    """The environment's type (``sandbox``/``production``); raises ProductionRefused before any write otherwise."""
    environ = os.environ if environ is None else environ
    listed = client.environments()
    match = [env for env in listed if str(env.get("name", "")).casefold() == environment.casefold()]
    if not match:
        names = ", ".join(str(env.get("name")) for env in listed) or "none"
        raise ProductionRefused(
            f"Business Central lists no environment named {environment!r} (found: {names}); without its type the "
            "harness will not write to it"
        )
    kind = str(match[0].get("type", "")).casefold()
    if kind == "sandbox":
        return kind
    opted_in = allow_production and environ.get(OPT_IN_VARIABLE, "").strip().casefold() in ("yes", "1", "true")
    if opted_in:
        return kind
    raise ProductionRefused(
        f"Business Central environment {environment!r} is of type {kind or 'unknown'!r}, not a sandbox: the harness "
        f"refuses to write to it. To run against it anyway, pass {OPT_IN_FLAG} and set {OPT_IN_VARIABLE}=yes"
    )
