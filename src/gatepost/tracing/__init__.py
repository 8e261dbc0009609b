"""Tracing (docs/operations.md, "Tracing"): W3C Trace Context in and out, the trace id in the access log, and
an optional OpenTelemetry export. Off unless the config has a `tracing:` section; off, nothing here runs."""
