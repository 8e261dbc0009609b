"""Gateway errors: every rejection is a GatewayError carrying an AWS gateway-response type.

Exactly one place (responses.py) turns a GatewayError into status, body and headers, per API flavour.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class ResponseType(StrEnum):
    ACCESS_DENIED = "ACCESS_DENIED"
    API_CONFIGURATION_ERROR = "API_CONFIGURATION_ERROR"
    AUTHORIZER_CONFIGURATION_ERROR = "AUTHORIZER_CONFIGURATION_ERROR"
    AUTHORIZER_FAILURE = "AUTHORIZER_FAILURE"
    BAD_REQUEST_PARAMETERS = "BAD_REQUEST_PARAMETERS"
    BAD_REQUEST_BODY = "BAD_REQUEST_BODY"
    DEFAULT_4XX = "DEFAULT_4XX"
    DEFAULT_5XX = "DEFAULT_5XX"
    EXPIRED_TOKEN = "EXPIRED_TOKEN"
    INCOMPLETE_SIGNATURE = "INCOMPLETE_SIGNATURE"  # Gatepost name for AWS's IncompleteSignatureException
    INTEGRATION_FAILURE = "INTEGRATION_FAILURE"
    INTEGRATION_TIMEOUT = "INTEGRATION_TIMEOUT"
    INVALID_API_KEY = "INVALID_API_KEY"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    MISSING_AUTHENTICATION_TOKEN = "MISSING_AUTHENTICATION_TOKEN"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    REQUEST_HEADER_FIELDS_TOO_LARGE = "REQUEST_HEADER_FIELDS_TOO_LARGE"  # Gatepost: 10,240-byte header cap
    RESOURCE_NOT_FOUND = "RESOURCE_NOT_FOUND"
    THROTTLED = "THROTTLED"
    UNAUTHORIZED = "UNAUTHORIZED"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"  # Gatepost: a shared store is down and the policy is fail-closed
    BAD_GATEWAY = "BAD_GATEWAY"  # Lambda-proxy handler failed or answered malformed output
    WAF_FILTERED = "WAF_FILTERED"  # the API's Web ACL blocked the request (waf/)


@dataclass(frozen=True, slots=True)
class ResponseDefault:
    status: int
    message: str | None
    error_type: str  # x-amzn-ErrorType
    fixed: bool = False  # True: the flavour always answers `message`, ignoring a raiser's own text


_R = ResponseType
_D = ResponseDefault

# REST APIs: reference/aws-semantics.md section 6 (and 1.5, 4.4, 5).
REST_DEFAULTS: Mapping[ResponseType, ResponseDefault] = {
    _R.ACCESS_DENIED: _D(403, "User is not authorized to access this resource", "AccessDeniedException"),
    _R.API_CONFIGURATION_ERROR: _D(500, "Internal server error", "InternalServerErrorException"),
    _R.AUTHORIZER_CONFIGURATION_ERROR: _D(500, None, "AuthorizerConfigurationException"),
    _R.AUTHORIZER_FAILURE: _D(500, None, "AuthorizerFailureException"),
    _R.BAD_REQUEST_PARAMETERS: _D(400, "Bad request", "BadRequestException"),
    _R.BAD_REQUEST_BODY: _D(400, "Invalid request body", "BadRequestException"),
    _R.EXPIRED_TOKEN: _D(403, "The security token included in the request is expired", "ExpiredTokenException"),
    _R.INCOMPLETE_SIGNATURE: _D(403, "Authorization header requires 'Credential' parameter.",
                                "IncompleteSignatureException"),
    _R.INTEGRATION_FAILURE: _D(504, "Internal server error", "InternalServerErrorException"),
    _R.INTEGRATION_TIMEOUT: _D(504, "Endpoint request timed out", "InternalServerErrorException"),
    _R.INVALID_API_KEY: _D(403, "Forbidden", "ForbiddenException"),
    _R.INVALID_SIGNATURE: _D(403, "The request signature we calculated does not match the signature you provided.",
                             "InvalidSignatureException"),
    _R.MISSING_AUTHENTICATION_TOKEN: _D(403, "Missing Authentication Token", "MissingAuthenticationTokenException"),
    _R.QUOTA_EXCEEDED: _D(429, "Limit Exceeded", "LimitExceededException"),
    _R.REQUEST_TOO_LARGE: _D(413, "Request Too Long", "RequestTooLargeException"),
    _R.REQUEST_HEADER_FIELDS_TOO_LARGE: _D(431, "Request Header Fields Too Large", "RequestTooLargeException"),
    _R.RESOURCE_NOT_FOUND: _D(404, "Not Found", "NotFoundException"),
    _R.THROTTLED: _D(429, "Too Many Requests", "TooManyRequestsException"),
    _R.UNAUTHORIZED: _D(401, "Unauthorized", "UnauthorizedException"),
    _R.UNSUPPORTED_MEDIA_TYPE: _D(415, "Unsupported Media Type", "UnsupportedMediaTypeException"),
    _R.SERVICE_UNAVAILABLE: _D(503, "Service Unavailable", "ServiceUnavailableException"),
    _R.BAD_GATEWAY: _D(502, "Internal server error", "InternalServerErrorException"),
    _R.WAF_FILTERED: _D(403, "Forbidden", "ForbiddenException"),
}

# HTTP APIs: fixed, short bodies (reference sections 1.6, 3, 5, 10). Types not listed use the REST default.
HTTP_DEFAULTS: Mapping[ResponseType, ResponseDefault] = {
    **REST_DEFAULTS,
    _R.ACCESS_DENIED: _D(403, "Forbidden", "ForbiddenException", fixed=True),
    _R.AUTHORIZER_CONFIGURATION_ERROR: _D(500, "Internal Server Error", "InternalServerErrorException", fixed=True),
    _R.AUTHORIZER_FAILURE: _D(500, "Internal Server Error", "InternalServerErrorException", fixed=True),
    _R.API_CONFIGURATION_ERROR: _D(500, "Internal Server Error", "InternalServerErrorException", fixed=True),
    _R.MISSING_AUTHENTICATION_TOKEN: _D(403, "Forbidden", "ForbiddenException", fixed=True),
    _R.RESOURCE_NOT_FOUND: _D(404, "Not Found", "NotFoundException", fixed=True),
    _R.UNAUTHORIZED: _D(401, "Unauthorized", "UnauthorizedException", fixed=True),
    _R.INTEGRATION_FAILURE: _D(500, "Internal Server Error", "InternalServerErrorException", fixed=True),
    _R.INTEGRATION_TIMEOUT: _D(503, "Service Unavailable", "ServiceUnavailableException", fixed=True),
    _R.BAD_GATEWAY: _D(500, "Internal Server Error", "InternalServerErrorException", fixed=True),
}

_UNSET: str = "\x00unset"


class GatewayError(Exception):
    """A rejection with an AWS gateway-response type and a stable reason code for the log.

    `message` overrides the flavour's default text (e.g. a SigV4 mismatch explanation); `body_key` is
    "message" except for policy denials, which real AWS spells "Message" (reference section 1.5).
    `headers` are added to the response (e.g. www-authenticate). The message never carries a secret.
    """

    __slots__ = ("body_key", "headers", "message", "reason", "type")

    def __init__(
        self,
        type: ResponseType,
        reason: str,
        message: str | None = _UNSET,
        *,
        headers: Mapping[str, str] | None = None,
        body_key: str = "message",
    ) -> None:
        super().__init__(f"{type}: {reason}")
        self.type = type
        self.reason = reason
        self.message = message
        self.headers = headers
        self.body_key = body_key

    @property
    def has_message(self) -> bool:
        return self.message is not _UNSET


@dataclass(frozen=True, slots=True)
class ConfigIssue:
    """One problem in a config file: where it is, what is wrong, how to fix it."""

    file: str
    place: str
    problem: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.file}: {self.place}: {self.problem}"
        return f"{text}\n    fix: {self.fix}" if self.fix else text


class ConfigError(Exception):
    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("\n".join(str(i) for i in issues))
        self.issues = issues
