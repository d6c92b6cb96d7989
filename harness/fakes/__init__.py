"""What every fake tenant shares: one clock, one id source, the fault plan, the control plane, two ways to run."""

from harness.fakes.clock import Clock, IdSource
from harness.fakes.faults import Fault, FaultPlan, FaultRuleError
from harness.fakes.mount import MODES, Mode, Mounted, mount
from harness.fakes.server import LoopbackServer
from harness.fakes.tenant import CONTROL_PREFIX, FakeTenant, Route, VendorError, json_response
from harness.fakes.transport import FakeTransport

__all__ = [
    "CONTROL_PREFIX",
    "MODES",
    "Clock",
    "FakeTenant",
    "FakeTransport",
    "Fault",
    "FaultPlan",
    "FaultRuleError",
    "IdSource",
    "LoopbackServer",
    "Mode",
    "Mounted",
    "Route",
    "VendorError",
    "json_response",
    "mount",
]
