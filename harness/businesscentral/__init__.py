"""Microsoft Dynamics 365 Business Central, API v2.0: the fake tenant and the client.

The client side (``client``, ``auth``, ``guard``, ``schema``) never imports the fake side (``api``, ``model``,
``odata``, ``expand``, ``parts``, ``csdl``, ``errors``): ``BusinessCentralFake`` and ``BusinessCentralModel`` load
when asked for."""

import importlib
from typing import TYPE_CHECKING, Any

from harness.businesscentral.schema import CONTACT, CUSTOMER, ENTITIES, REQUIRED_ON_CREATE

if TYPE_CHECKING:
    from harness.businesscentral.api import BusinessCentralFake
    from harness.businesscentral.model import BusinessCentralModel

_FAKE_SIDE = {
    "BusinessCentralFake": "harness.businesscentral.api",
    "BusinessCentralModel": "harness.businesscentral.model",
}


def __getattr__(name: str) -> Any:
    # The fake loads when it is asked for, so code that only talks to a tenant (the client) never imports it.
    if name in _FAKE_SIDE:
        return getattr(importlib.import_module(_FAKE_SIDE[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CONTACT", "CUSTOMER", "ENTITIES", "REQUIRED_ON_CREATE", "BusinessCentralFake", "BusinessCentralModel"]
