"""Config shared by the `jwt` and `user_pool` kinds: token location, time leeway, key cache, limits.

Each kind's model (jwt.py, user_pool.py) adds its issuer settings on top of TokenAuthorizerFields.
"""

from __future__ import annotations

from pydantic import Field

from gatepost.authorizers.jwks import JwksSettings
from gatepost.authorizers.jwt_verify import ALL_ALGORITHMS
from gatepost.config.base import StrictModel


class JwksConfig(StrictModel):
    """How an issuer's keys are cached (seconds)."""

    max_age: float = Field(3600, gt=0, le=86_400, description="refresh keys after this long (AWS: up to 1 h)")
    last_known_good: float = Field(3600, ge=0, le=7 * 86_400,
                                   description="while the issuer is down, keep known keys this long past max_age")
    refetch_interval: float = Field(30, ge=1, le=3600,
                                    description="at most one fetch per interval for unknown kids / retries")
    fetch_timeout: float = Field(1.5, gt=0, le=10, description="per request to the issuer (AWS: 1.5 s)")
    max_bytes: int = Field(150_000, ge=1024, le=1_000_000, description="JWKS/discovery size cap (AWS: 150,000)")
    allow_http: bool = Field(False, description="allow plain http to a non-loopback issuer")

    def settings(self) -> JwksSettings:
        return JwksSettings(self.max_age, self.last_known_good, self.refetch_interval, self.fetch_timeout,
                            self.max_bytes, self.allow_http)


class TokenAuthorizerFields(StrictModel):
    identity_source: str = "header.authorization"
    leeway: float = Field(0, ge=0, le=300, description="clock skew allowed on exp/nbf/iat, seconds (AWS: 0)")
    groups_claim: str = Field("cognito:groups", min_length=1,
                              description="claim name or dotted path holding the caller's groups")
    max_token_bytes: int = Field(8192, ge=256, le=10_240)
    token_cache_size: int = Field(10_000, ge=0, le=1_000_000, description="verified tokens kept per process")
    jwks: JwksConfig = Field(default_factory=JwksConfig)


def check_algorithms(algorithms: list[str]) -> frozenset[str]:
    unknown = [a for a in algorithms if a not in ALL_ALGORITHMS]
    if unknown:
        raise ValueError(f"algorithms {unknown} are not supported (none and HMAC never are); "
                         f"choose from {sorted(ALL_ALGORITHMS)}")
    if not algorithms:
        raise ValueError("algorithms must name at least one algorithm, e.g. [RS256]")
    return frozenset(algorithms)
