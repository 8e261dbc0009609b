"""An API's resource policy (x-amazon-apigateway-policy), as a PolicyGate.

This build cannot evaluate resource policies yet: configuring one is refused at load rather than
silently ignored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gatepost.gates import NO_POLICY, PolicyGate

if TYPE_CHECKING:
    from gatepost.authorizers.base import ApiInfo
    from gatepost.services import Services


def build_policy_gate(raw: dict[str, Any] | None, info: ApiInfo, services: Services) -> PolicyGate:
    if raw is None:
        return NO_POLICY
    raise ValueError("resource policies are not available in this build of Gatepost; remove `resource_policy:`")
