"""What each authorizer kind is, in the seed's vocabulary: identity source, owner of the identity provider,
hot-path cost, provider coupling, what propagates to the integration.

`Authorizer.describe()` is the source (each kind's owner fills it in); these per-kind defaults fill the
keys a kind does not return yet, so `explain` always has a full row.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from gatepost.authorizers.base import Authorizer
from gatepost.authorizers.user_pool import builtin_facts

FACT_KEYS = ("identity_source", "owner", "cost", "coupling", "propagates")


def _jwt(cfg: Any) -> dict[str, str]:
    return {"identity_source": getattr(cfg, "identity_source", "header.authorization"),
            "owner": f"the issuer {getattr(cfg, 'issuer', None) or '?'}", "cost": "native check",
            "coupling": "any OIDC issuer", "propagates": "claims"}


def _user_pool(cfg: Any) -> dict[str, str]:
    if getattr(cfg, "builtin", None):  # the pool's id is known once compiled: describe() names it
        return builtin_facts(str(cfg.builtin), getattr(cfg, "identity_source", "header.authorization"),
                             bool(getattr(cfg, "check_revocation", False)))
    return {"identity_source": getattr(cfg, "identity_source", "header.authorization"),
            "owner": f"the user pool {getattr(cfg, 'issuer', None) or '?'}", "cost": "native check",
            "coupling": "one user pool", "propagates": "claims"}


def _iam(cfg: Any) -> dict[str, str]:
    return {"identity_source": "SigV4 signature (authorization header or query)", "owner": "AWS IAM",
            "cost": "native check", "coupling": "IAM only", "propagates": "principal ARN"}


def _lambda(cfg: Any) -> dict[str, str]:
    ttl = int(getattr(cfg, "result_ttl", 0) or 0)
    target = getattr(cfg, "function", None) or getattr(cfg, "url", None) or "?"
    return {"identity_source": ", ".join(getattr(cfg, "identity_sources", []) or []) or "-",
            "owner": f"you (custom code: {target})",
            "cost": f"function call cached for {ttl} s" if ttl else "function call per request",
            "coupling": "freeform", "propagates": "context map"}


def _none(cfg: Any) -> dict[str, str]:
    return {"identity_source": "-", "owner": "-", "cost": "none", "coupling": "-", "propagates": "nothing"}


DEFAULTS: dict[str, Callable[[Any], dict[str, str]]] = {
    "jwt": _jwt, "user_pool": _user_pool, "iam": _iam, "lambda": _lambda, "none": _none,
}


def authorizer_facts(authorizer: Authorizer, config: Any) -> dict[str, Any]:
    """describe() first; the kind's defaults (from its config) for whatever describe() leaves out."""
    described = authorizer.describe()
    default = DEFAULTS.get(authorizer.kind, _none)(config)
    facts: dict[str, Any] = {"kind": authorizer.kind}
    for key in FACT_KEYS:
        value = described.get(key)
        facts[key] = str(value) if value not in (None, "") else default.get(key, "?")
    facts["described"] = sorted(k for k in FACT_KEYS if described.get(k) not in (None, ""))
    return facts
