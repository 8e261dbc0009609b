"""The bindings file: what an AWS export names (Lambda ARNs, user pools, backend URLs) -> local targets.

```yaml
api:                       # optional: name and native settings of the imported API (ApiConfig fields)
  name: petstore
  stage: prod
functions:                 # Lambda function ARN (or bare function name) -> handler or HTTP service
  "arn:aws:lambda:us-east-1:123456789012:function:backend": "handlers:backend"
  token-authorizer: {url: "http://127.0.0.1:9001/authorize"}
user_pools:                # Cognito user pool ARN -> local issuer, or `cognito` for the real pool
  "arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_EXAMPLE": {issuer: "http://127.0.0.1:9400/pool"}
issuers:                   # JWT issuer -> local issuer / JWKS (optional: the issuer URL itself is a target)
  "https://auth.example.com": {jwks_uri: "http://127.0.0.1:9400/jwks.json"}
urls:                      # http_proxy URI prefix -> local base URL (longest prefix wins)
  "https://backend.example.com": "http://127.0.0.1:9000"
server: {port: 8080}       # optional native sections, copied as they are
state: {catalog: "sqlite:///.gatepost/gatepost.db"}
```

Where it comes from (first found): `--bindings FILE` ($GATEPOST_BINDINGS), `<document stem>.bindings.yaml`
next to the document, or an `x-gatepost-bindings:` object inside the document.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError, model_validator

from gatepost.config.base import StrictModel
from gatepost.config.located import Located, interpolate, place
from gatepost.errors import ConfigError, ConfigIssue

ENV_VAR = "GATEPOST_BINDINGS"
EMBEDDED_KEY = "x-gatepost-bindings"


class FunctionBinding(StrictModel):
    handler: str | None = None  # "module:function", run in-process as the Lambda would
    url: str | None = None  # an HTTP service standing in for the function

    @model_validator(mode="after")
    def _one(self) -> FunctionBinding:
        if (self.handler is None) == (self.url is None):
            raise ValueError("give exactly one of handler: or url:")
        return self


class UserPoolBinding(StrictModel):
    issuer: str | None = None
    jwks_uri: str | None = None
    app_clients: list[str] = []


class IssuerBinding(StrictModel):
    issuer: str | None = None
    jwks_uri: str | None = None


class Bindings(StrictModel):
    api: dict[str, Any] = {}
    functions: dict[str, str | FunctionBinding] = {}
    user_pools: dict[str, Literal["cognito"] | UserPoolBinding] = {}
    issuers: dict[str, IssuerBinding] = {}
    urls: dict[str, str] = {}
    server: dict[str, Any] | None = None
    state: dict[str, Any] | None = None
    sidecars: list[Any] | None = None
    usage_plans: dict[str, Any] | None = None

    def function(self, arn: str) -> FunctionBinding | None:
        """By full ARN, then by the bare function name (`arn:...:function:NAME[:qualifier]`)."""
        found = self.functions.get(arn)
        if found is None and ":function:" in arn:
            name = arn.split(":function:", 1)[1]
            found = self.functions.get(name) or self.functions.get(name.split(":", 1)[0])
        if isinstance(found, str):
            return FunctionBinding(handler=found)
        return found

    def url(self, uri: str) -> str | None:
        best = max((p for p in self.urls if uri.startswith(p)), key=len, default=None)
        return None if best is None else self.urls[best].rstrip("/") + uri[len(best):]


def sidecar_path(document: str) -> Path:
    p = Path(document)
    return p.with_name(f"{p.stem}.bindings.yaml")


def find(document_file: str, data: Mapping[str, Any], explicit: str | Path | None,
         env: Mapping[str, str]) -> tuple[str, Any] | None:
    """(where, raw mapping) of the bindings to use, or None when there are none."""
    path = explicit or env.get(ENV_VAR)
    if not path and document_file and not document_file.startswith("<"):
        candidate = sidecar_path(document_file)
        path = str(candidate) if candidate.is_file() else None
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError([ConfigIssue(str(path), "(file)", f"cannot read the bindings file: {exc.strerror}",
                                           f"check the path given with --bindings or ${ENV_VAR}")]) from None
        doc = Located(str(path), text)
        data_b, issues = interpolate(doc.data if doc.data is not None else {}, doc, env)
        if issues:
            raise ConfigError(issues)
        return str(path), (data_b, doc)
    if EMBEDDED_KEY in data:
        return f"{document_file} ({EMBEDDED_KEY})", (data[EMBEDDED_KEY], None)
    return None


def parse(where: str, raw: Any, doc: Located | None) -> Bindings:
    if raw is None:
        raw = {}
    try:
        return Bindings.model_validate(raw)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p == "FunctionBinding")))
            if doc is not None:
                issues.append(doc.issue(loc, err["msg"], "see docs/explain-audit-probe.md (bindings)"))
            else:
                issues.append(ConfigIssue(where, place(loc) or "(top level)", err["msg"],
                                          "see docs/explain-audit-probe.md (bindings)"))
        raise ConfigError(issues) from None


def load(document_file: str, data: Mapping[str, Any], explicit: str | Path | None,
         env: Mapping[str, str]) -> tuple[Bindings, str]:
    found = find(document_file, data, explicit, env)
    if found is None:
        return Bindings(), "(no bindings)"
    where, (raw, doc) = found
    return parse(where, raw, doc), where
