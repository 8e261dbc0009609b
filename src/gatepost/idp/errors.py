"""Cognito's error shapes: `{"__type": "NotAuthorizedException", "message": "..."}` with an HTTP status.

Every refusal of the built-in pool is an IdpError: `type` is Cognito's exception name (botocore reads it
as the error code), `reason` a stable code for our log (`idp.bad_credentials`). Messages never carry a
password, token or secret, and never say whether a user exists.
"""

from __future__ import annotations


class IdpError(Exception):
    __slots__ = ("message", "reason", "status", "type")

    def __init__(self, type: str, message: str, reason: str, status: int = 400) -> None:
        super().__init__(f"{type}: {reason}")
        self.type = type
        self.message = message
        self.reason = reason
        self.status = status

    def body(self) -> dict[str, str]:
        return {"__type": self.type, "message": self.message}


BAD_CREDENTIALS = "Incorrect username or password."


def not_authorized(reason: str, message: str = BAD_CREDENTIALS) -> IdpError:
    return IdpError("NotAuthorizedException", message, reason)


def invalid_parameter(message: str, reason: str = "idp.invalid_parameter") -> IdpError:
    return IdpError("InvalidParameterException", message, reason)


def invalid_password(message: str) -> IdpError:
    return IdpError("InvalidPasswordException", message, "idp.password_policy")


def user_not_found() -> IdpError:
    """Admin calls only (authenticated administrators may learn that a user does not exist, as on Cognito)."""
    return IdpError("UserNotFoundException", "User does not exist.", "idp.user_not_found")


def resource_not_found(message: str) -> IdpError:
    return IdpError("ResourceNotFoundException", message, "idp.resource_not_found")


def internal_error() -> IdpError:
    return IdpError("InternalErrorException", "Internal server error", "idp.internal_error", 500)
