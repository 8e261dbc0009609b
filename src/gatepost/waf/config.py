"""`web_acls:` in gatepost.yaml: each Web ACL loaded from `aws wafv2 get-web-acl` output or written inline, with
its IP sets and regex pattern sets (`get-ip-set` / `get-regex-pattern-set` output) and an optional country
database. APIs attach one by name (`web_acl: NAME`). Documented in docs/web-acls.md."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from gatepost.config.base import StrictModel


class WebAclConfig(StrictModel):
    file: str | None = None  # `aws wafv2 get-web-acl ... > FILE` (relative to the config file)
    definition: dict[str, Any] | None = None  # the WebACL object written inline, AWS's keys as they are
    ip_sets: list[str | dict[str, Any]] = []  # get-ip-set output files (or the same JSON inline)
    regex_pattern_sets: list[str | dict[str, Any]] = []  # get-regex-pattern-set output files (or inline)
    geo_database: str | None = None  # a MaxMind-format country database (.mmdb) for GeoMatchStatement
    # How ByteMatchStatement.SearchString is spelled: base64 as the AWS CLI prints it (the default for `file`),
    # or text as in the console's JSON editor and CloudFormation (the default for `definition`).
    search_strings: Literal["base64", "text"] | None = None

    @model_validator(mode="after")
    def _one_source(self) -> WebAclConfig:
        if (self.file is None) == (self.definition is None):
            raise ValueError("give either file: (aws wafv2 get-web-acl output) or definition: (the WebACL inline)")
        return self
