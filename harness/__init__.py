"""QA harness for Sesam Talk's CRMOffice <-> Microsoft Dynamics 365 Business Central dataflow.

Its rooms and the rules between them are in docs/architecture.md (held by tests/test_architecture.py).
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
