"""The one list of authorizer kinds: `type:` in config -> config model + builder. One line per kind."""

from __future__ import annotations

from gatepost.authorizers import iam, jwt, lambda_, user_pool
from gatepost.authorizers.registry_types import AuthorizerKind

KINDS: dict[str, AuthorizerKind] = {
    k.type: k
    for k in (
        jwt.KIND,
        user_pool.KIND,
        iam.KIND,
        lambda_.KIND,
    )
}
