"""The tracing tests' gateway config: an HTTP API with a Lambda-authorized route, public ones, a Lambda-proxy
route and a route whose upstream is down, served from this folder (trace_functions.py)."""

from __future__ import annotations

import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
STRICT = re.compile(r"00-((?!0{32})[0-9a-f]{32})-((?!0{16})[0-9a-f]{16})-(0[01])")
AUTH = {"Authorization": "Bearer let-me-in"}


def config(upstream: str, *, tracing: str | None = "{}", trusted: bool = False) -> str:
    server = "server: {trusted_proxies: [127.0.0.1/32]}\n" if trusted else ""
    section = f"tracing: {tracing}\n" if tracing is not None else ""
    return server + section + f"""
apis:
  shop:
    flavour: http
    api_id: shop123
    authorizers:
      gate: {{type: lambda, function: "trace_functions:authorize", enable_simple_responses: true,
              identity_sources: ["$request.header.Authorization"]}}
    routes:
      - {{route: "GET /items/{{id}}", authorizer: gate, integration: {{http: "{upstream}"}}}}
      - {{route: "GET /open", public: true, integration: {{http: "{upstream}"}}}}
      - {{route: "GET /fn", public: true, integration: {{lambda: "trace_functions:echo"}}}}
      - {{route: "GET /down", public: true, integration: {{http: "http://127.0.0.1:9"}}}}
"""


def parts(traceparent: str) -> tuple[str, str, str]:
    """(trace id, parent id, flags) of a valid version-00 traceparent; fails the test otherwise."""
    m = STRICT.fullmatch(traceparent)
    assert m is not None, traceparent
    return m.group(1), m.group(2), m.group(3)
