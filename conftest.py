"""The checklist suite's step modules; everything else comes from the harness's pytest plugin (harness.plugin)."""

pytest_plugins = ["steps.records", "steps.properties", "steps.sync", "steps.resilience", "steps.cost"]
