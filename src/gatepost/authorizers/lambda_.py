"""lambda: TOKEN and REQUEST Lambda authorizers. Not built yet: routes fail closed."""

from __future__ import annotations

from typing import Literal

from gatepost.authorizers.base import Authorizer, BuildContext
from gatepost.authorizers.pending import PendingAuthorizer
from gatepost.authorizers.registry_types import kind
from gatepost.config.base import StrictModel


class LambdaAuthorizerConfig(StrictModel):
    type: Literal["lambda"]
    kind: Literal["token", "request"] = "request"
    function: str | None = None
    url: str | None = None
    identity_sources: list[str] = []
    result_ttl: int = 300


class LambdaAuthorizer(PendingAuthorizer):
    kind = "lambda"


def build(name: str, config: LambdaAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    return LambdaAuthorizer(name, ctx.api)


KIND = kind("lambda", LambdaAuthorizerConfig, build)
