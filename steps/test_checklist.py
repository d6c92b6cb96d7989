"""Binds every feature under ``features/`` to the steps.

Before anything runs, ``conftest.py`` holds the features against the checklist under test
(``harness.traceability.coverage``) and stops the run when a row, section or rule is unproven or a scenario cites
something the checklist no longer has.
"""

from pytest_bdd import scenarios

scenarios("../features")
