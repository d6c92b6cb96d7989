"""The reference sync: Sesam Talk's documented behaviour for the CRMOffice -> Business Central dataflow.

``plan_dataflow(checklist)`` -> ``FlowPlan``s; ``SyncEngine(plans, crmoffice, businesscentral, SyncState(path)).run()``
-> ``SyncReport``. Modules: ``plan`` (checklist -> flows), ``merge`` (the per-property rules), ``state`` (SQLite),
``engine`` (the run), ``report``, ``bench`` and ``cli`` (``harness sync``, ``harness bench``).
"""

from harness.sync.engine import SyncEngine
from harness.sync.merge import Decision, decide
from harness.sync.plan import FlowPlan, PlanError, PropertyPair, plan_dataflow
from harness.sync.report import Change, RecordOutcome, SyncReport
from harness.sync.state import SCHEMA_VERSION, StateError, SyncState

__all__ = [
    "SCHEMA_VERSION",
    "Change",
    "Decision",
    "FlowPlan",
    "PlanError",
    "PropertyPair",
    "RecordOutcome",
    "StateError",
    "SyncEngine",
    "SyncReport",
    "SyncState",
    "decide",
    "plan_dataflow",
]
