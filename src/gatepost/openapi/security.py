"""An operation's `security` (and x-amazon-apigateway-auth) -> its authorizer, scopes and API key requirement.

API Gateway puts one authorizer on a method, plus an optional API key. It reads `security` that way:

- `[{Auth: [], api_key: []}]` (one requirement) and `[{Auth: []}, {api_key: []}]` (two entries, the form SAM
  writes) both mean: the authorizer AND the API key. Both are enforced;
- `[{A: []}, {B: []}]` with two different authorizers is not "A or B" on API Gateway (a method has one
  authorizer): refused with that reason;
- no `security` (or `[]`) and no x-amazon-apigateway-auth: public, as on AWS (listed loudly).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.openapi.authorizers import classify
from gatepost.openapi.context import Ctx
from gatepost.openapi.document import Document, Operation
from gatepost.openapi.fates import Path

API_KEY_HEADER = "x-api-key"
IAM_NAME = "AWS_IAM"  # the authorizer standing for x-amazon-apigateway-auth: AWS_IAM
AUTH_EXTENSION = "x-amazon-apigateway-auth"
_SCOPED_TYPES = ("cognito_user_pools", "jwt")


@dataclass
class RouteAuth:
    authorizer: str | None = None
    scopes: list[str] = field(default_factory=list)
    api_key: bool = False
    public_reason: str = ""
    depends_on: list[Path] = field(default_factory=list)  # the places whose refusal leaves the route out


def security_place(doc: Document, op: Operation) -> Path:
    return (*op.loc, "security") if "security" in op.op else ("security",)


def route_auth(doc: Document, op: Operation, ctx: Ctx) -> RouteAuth:
    auth = RouteAuth()
    security, at = doc.security_of(op) or [], security_place(doc, op)
    auth.depends_on.append(at)
    if not isinstance(security, list) or not all(isinstance(r, Mapping) for r in security):
        ctx.refuse(at, "`security` must be a list of requirement objects", "write security: [{Scheme: []}]")
        return auth
    schemes = doc.schemes()
    for i, requirement in enumerate(security):
        for name, scopes in requirement.items():
            _requirement(auth, str(name), scopes, (*at, i, name), schemes, ctx, op, doc)
    if not security and "security" in op.op:
        ctx.done(at, "no security requirement: public unless x-amazon-apigateway-auth says otherwise")
    _explicit_auth(op, auth, ctx)
    if auth.authorizer is None and not auth.public_reason:
        auth.public_reason = "API key only" if auth.api_key else "no security"
    return auth


def _requirement(auth: RouteAuth, name: str, scopes: Any, at: Path, schemes: Mapping[str, Any], ctx: Ctx,
                 op: Operation, doc: Document) -> None:
    scheme = schemes.get(name)
    if not isinstance(scheme, Mapping):
        ctx.refuse(at, f"{op.label}: security scheme {name!r} is not declared", "declare it or remove it")
        return
    auth.depends_on.append((*doc.schemes_loc(), name))
    if classify(scheme) == "api_key":
        if str(scheme.get("name", "")).lower() != API_KEY_HEADER or scheme.get("in") != "header":
            ctx.refuse(at, f"{op.label}: API key scheme {name!r} must be the x-api-key header",
                       "set name: x-api-key, in: header")
        auth.api_key = True
        ctx.done(at, "api_key_required: true (enforced together with the authorizer, as API Gateway does)")
        return
    wanted = [str(s) for s in scopes or []]
    if auth.authorizer is not None and auth.authorizer != name:
        ctx.refuse(at, f"{op.label}: {auth.authorizer!r} and {name!r} are alternative authorizers; API Gateway "
                   "allows one authorizer per method and would not accept either one",
                   "keep one authorizer (an API key requirement may stand beside it)")
        return
    if auth.authorizer == name and wanted != auth.scopes:
        ctx.refuse(at, f"{op.label}: scheme {name!r} is required twice with different scopes",
                   "list the scopes once, in one requirement")
        return
    auth.authorizer, auth.scopes = name, wanted
    atype = str((scheme.get("x-amazon-apigateway-authorizer") or {}).get("type", "")).lower()
    if wanted and atype not in _SCOPED_TYPES:
        ctx.refuse(at, f"{op.label}: scopes on scheme {name!r}: only Cognito and JWT authorizers check scopes "
                   "(AWS ignores them here)", "remove the scopes from the requirement")
        return
    ctx.done(at, f"authorizer: {name}" + (f", scopes: {wanted}" if wanted else ""))


def _explicit_auth(op: Operation, auth: RouteAuth, ctx: Ctx) -> None:
    if AUTH_EXTENSION not in op.op:
        return
    at = (*op.loc, AUTH_EXTENSION)
    auth.depends_on.append(at)
    ext = op.op[AUTH_EXTENSION]
    atype = str(ext.get("type", "")).upper() if isinstance(ext, Mapping) else None
    if atype == "AWS_IAM" and auth.authorizer is None:
        auth.authorizer = IAM_NAME
        ctx.done((*at, "type"), "authorizer: AWS_IAM ({type: iam})")
    elif atype == "NONE" and auth.authorizer is None:
        auth.public_reason = f"{AUTH_EXTENSION}: NONE"
        ctx.done((*at, "type"), "public: true")
    elif atype in ("AWS_IAM", "NONE"):
        ctx.refuse(at, f"{op.label}: {AUTH_EXTENSION} {atype} contradicts the operation's security", "keep one")
    else:
        ctx.refuse(at, f"{op.label}: {AUTH_EXTENSION} type {atype!r} is not supported", "use NONE or AWS_IAM")
