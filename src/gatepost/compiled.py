"""The modules compiled to C with mypyc at install time (setup.py), and the check that none is stale.

A leaf module: setup.py reads MODULES from this file without importing the package. Compiled modules sit
beside their sources in an editable install, and Python imports a compiled module before its `.py`: a source
edited after the build would be silently ignored, so `gatepost` refuses to start with a stale build and says
how to rebuild (`stale_build`).
"""

from __future__ import annotations

import sysconfig
from pathlib import Path

MODULES: tuple[str, ...] = (
    # the wire path: the server's protocol, the request head, the pipeline, the upstream client
    "gatepost.server.native",
    "gatepost.server.wire",
    "gatepost.per_second",
    "gatepost.line_breaks",
    "gatepost.request_head",
    "gatepost.canonical_path",
    "gatepost.request",
    "gatepost.pipeline",
    "gatepost.decision",
    "gatepost.propagate",
    "gatepost.observe.metrics",
    "gatepost.upstream.connection",
    "gatepost.upstream.pool",
    "gatepost.upstream.head",
    "gatepost.upstream.response",
    "gatepost.integrations.http_proxy",
    "gatepost.integrations.outbound",
    "gatepost.integrations.events",
    "gatepost.integrations.proxy_response",
    "gatepost.response",
    "gatepost.gates",
    "gatepost.routing",
    "gatepost.matching",
    "gatepost.server.deadlines",
    "gatepost.server.limits",
    "gatepost.server.ids",
    "gatepost.uuid_text",
    "gatepost.clock",
    # token and signature checks
    "gatepost.authorizers.jwt_verify",
    "gatepost.authorizers.jwt_claims",
    "gatepost.authorizers.token_cache",
    "gatepost.authorizers.token_verifier",
    "gatepost.authorizers.token_authorizer",
    "gatepost.authorizers.result_cache",
    "gatepost.authorizers.identity_source",
    "gatepost.authorizers.iam",
    "gatepost.sigv4.canonical",
    "gatepost.sigv4.encoding",
    "gatepost.sigv4.keys",
    "gatepost.sigv4.verifier",
    "gatepost.sigv4.params",
    # the usage gate and policy evaluation
    "gatepost.usage.gate",
    "gatepost.usage.runtime",
    "gatepost.usage.limiter",
    "gatepost.usage.recorder",
    "gatepost.usage.throttle",
    "gatepost.stores.counters",
    "gatepost.stores.counters_memory",
    "gatepost.policy.evaluate",
    "gatepost.policy.document",
    "gatepost.policy.glob",
    "gatepost.policy.context",
    "gatepost.policy.conditions",
    "gatepost.policy.values",
)

_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def stale_build(package_dir: Path | None = None) -> list[str]:
    """Sources edited after their compiled module was built, as paths: in a checkout only (`src/gatepost`
    beside the project's pyproject.toml, as an editable install runs it). An installed wheel is never stale:
    its files carry the install's times, in no particular order, and nobody edits them."""
    root = package_dir or Path(__file__).resolve().parent
    if not (root.parent.parent / "pyproject.toml").is_file():
        return []
    stale = []
    for name in MODULES:
        source = root.joinpath(*name.split(".")[1:]).with_suffix(".py")
        built = source.with_name(source.stem + _SUFFIX)
        try:
            if built.stat().st_mtime < source.stat().st_mtime:
                stale.append(str(source))
        except FileNotFoundError:
            continue
    return stale
