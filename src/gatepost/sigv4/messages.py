"""AWS's SigV4 error texts for execute-api, each as the GatewayError a client receives.

Where AWS's exact text is known (reference 4.4) it is reproduced; the rest follow AWS's style and
are listed as ours in docs/iam.md. No message ever carries a secret, a signature or a session token.
"""

from __future__ import annotations

import base64
import hashlib
import time

from gatepost.errors import GatewayError, ResponseType

MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS Secret "
            "Access Key and signing method. Consult the service documentation for details.")
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"
_UNRECOGNIZED = {"x-amzn-ErrorType": "UnrecognizedClientException"}


def amz_time(epoch: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


def missing() -> GatewayError:
    return GatewayError(ResponseType.MISSING_AUTHENTICATION_TOKEN, "sigv4.missing")


def incomplete(reason: str, message: str) -> GatewayError:
    return GatewayError(ResponseType.INCOMPLETE_SIGNATURE, f"sigv4.{reason}", message)


def not_key_value(header: str) -> GatewayError:
    """AWS's current form: the offending header is hashed, never echoed (it may be a bearer token)."""
    digest = base64.b64encode(hashlib.sha256(header.encode("utf-8", "replace")).digest()).decode()
    return incomplete("not_key_value", "Invalid key=value pair (missing equal-sign) in Authorization header "
                                       f"(hashed with SHA-256 and encoded with Base64): '{digest}'.")


def invalid(reason: str, message: str) -> GatewayError:
    return GatewayError(ResponseType.INVALID_SIGNATURE, f"sigv4.{reason}", message)


def unknown_key(reason: str = "unknown_key") -> GatewayError:
    return GatewayError(ResponseType.INVALID_SIGNATURE, f"sigv4.{reason}", INVALID_TOKEN, headers=_UNRECOGNIZED)


def expired_token() -> GatewayError:
    return GatewayError(ResponseType.EXPIRED_TOKEN, "sigv4.token_expired", EXPIRED_TOKEN)


def expired(amz_date: str, now: float, window: int, unit: str) -> GatewayError:
    return invalid("expired", f"Signature expired: {amz_date} is now earlier than {amz_time(now - window)} "
                              f"({amz_time(now)} - {unit}.)")


def not_yet_current(amz_date: str, now: float) -> GatewayError:
    return invalid("not_yet_current", f"Signature not yet current: {amz_date} is still later than "
                                      f"{amz_time(now + 300)} ({amz_time(now)} + 5 min.)")


def mismatch(creq: str, sts: str) -> GatewayError:
    return invalid("mismatch", f"{MISMATCH}\n\nThe Canonical String for this request should have been\n'{creq}'\n\n"
                               f"The String-to-Sign should have been\n'{sts}'\n")
