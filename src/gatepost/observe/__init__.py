"""Observability: the access log (reason codes, redaction)."""
