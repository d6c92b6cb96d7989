"""Barriers: how a run knows an external sync product has caught up, without reading the product's own state.

``barrier`` (the service and its kinds), ``marker_records`` (the records a barrier writes and watches cross),
``rpc`` (one service shared by every pytest-xdist worker), ``external_run`` (the run's service and its final sweep).
Used by the suite, the soak and the report."""
