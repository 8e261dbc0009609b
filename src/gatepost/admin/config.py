"""`admin:` in gatepost.yaml: the admin port (off by default; loopback by default when on).

    admin:
      enabled: true
      host: 127.0.0.1
      port: 9901
      token_env: GATEPOST_ADMIN_TOKEN     # `Authorization: Bearer $GATEPOST_ADMIN_TOKEN` may do everything
      region: us-east-1                   # SigV4 (service `gatepost`) with the gateway's own IAM principals
"""

from __future__ import annotations

from pydantic import Field

from gatepost.config.base import StrictModel


class AdminConfig(StrictModel):
    enabled: bool = False
    host: str = Field("127.0.0.1", description="where the admin port listens (loopback unless you say otherwise)")
    port: int = Field(9901, ge=0, le=65535)
    token_env: str | None = Field("GATEPOST_ADMIN_TOKEN", description="environment variable holding a bearer "
                                                                      "token for simple setups (unset: SigV4 only)")
    region: str = Field("us-east-1", description="the region SigV4-signed admin requests are signed for")
    account_id: str = Field("123456789012", pattern=r"^\d{12}$", description="the account of admin principals")
