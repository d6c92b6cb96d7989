"""The checklist suite as a pytest plugin, registered as the ``harness`` ``pytest11`` entry point.

Installing the harness gives any project the suite's options (``--tenants``, ``--sync``, ``--checklist`` …), its
fixtures (``dataflow`` and what it is built from), the tag → marker and Allure label mapping, the run's gates and
its per-scenario hooks. The project keeps its ``features/``, ``steps/`` and checklist, and its ``conftest.py`` only
names its step modules. Every part acts on the checklist suite's scenarios only (see
:func:`harness.plugin.common.runs_the_suite`), so other tests in the same environment are left alone.
"""

pytest_plugins = [
    "harness.plugin.options",
    "harness.plugin.session",
    "harness.plugin.labels",
    "harness.plugin.scenarios",
    "harness.plugin.fixtures",
]
