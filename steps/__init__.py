"""Step definitions of the checklist suite, one module per feature area; ``test_checklist`` binds the features."""
