"""The `cognito-identity` JSON protocol's error shapes (`{"__type": ..., "message": ...}`, status 400).

Messages never carry a token or credential; `reason` is the stable code written to the `gatepost.federation`
log.
"""

from __future__ import annotations

from gatepost.idp.errors import IdpError


def not_authorized(message: str, reason: str) -> IdpError:
    return IdpError("NotAuthorizedException", message, reason)


def invalid_parameter(message: str, reason: str = "federation.invalid_parameter") -> IdpError:
    return IdpError("InvalidParameterException", message, reason)


def not_found(message: str, reason: str = "federation.not_found") -> IdpError:
    return IdpError("ResourceNotFoundException", message, reason)


def bad_pool_config(reason: str) -> IdpError:
    """AWS's answer when a role is missing or its trust policy does not let Cognito assume it."""
    return IdpError("InvalidIdentityPoolConfigurationException",
                    "Invalid identity pool configuration. Check assigned IAM roles for this pool.", reason)
