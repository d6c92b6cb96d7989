"""What the checklist suite's steps drive: realistic data, the dataflow under test, traceability, sign-off inputs."""
