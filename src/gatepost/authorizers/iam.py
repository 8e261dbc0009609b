"""iam: SigV4-signed requests decided by IAM policies (AWS_IAM). Not built yet: routes fail closed."""

from __future__ import annotations

from typing import Literal

from gatepost.authorizers.base import Authorizer, BuildContext
from gatepost.authorizers.pending import PendingAuthorizer
from gatepost.authorizers.registry_types import kind
from gatepost.config.base import StrictModel


class IamAuthorizerConfig(StrictModel):
    type: Literal["iam"]


class IamAuthorizer(PendingAuthorizer):
    kind = "iam"


def build(name: str, config: IamAuthorizerConfig, ctx: BuildContext) -> Authorizer:
    return IamAuthorizer(name, ctx.api)


KIND = kind("iam", IamAuthorizerConfig, build)
