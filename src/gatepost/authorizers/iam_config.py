"""The `iam` authorizer's config (a pydantic model: kept out of iam.py, which mypyc compiles)."""

from __future__ import annotations

from typing import Any, Literal

from gatepost.config.base import StrictModel


class IamAuthorizerConfig(StrictModel):
    type: Literal["iam"]
    demo: bool = False  # first start of `gatepost serve`: create a demo user/role allowed on these routes (iam/demo.py)
    # roles `gatepost serve` puts in the catalog at start, name -> their execute-api policy documents (a
    # template's AWS::IAM::Role / Policy statements on execute-api:Invoke; iam/seed_roles.py)
    roles: dict[str, list[dict[str, Any]]] = {}
