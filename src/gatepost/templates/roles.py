"""IAM roles of a template that grant `execute-api:*` -> principals the IAM authorizer evaluates.

A role's statements on execute-api, from its inline `Policies`, from `AWS::IAM::Policy` /
`AWS::IAM::ManagedPolicy` resources attached to it (`Roles: [!Ref Role]`, or the role's
`ManagedPolicyArns: [!Ref Policy]`), resolved like any template value, become the policy documents of
a role of the same name in the catalog (iam/seed_roles.py creates it at start). Statements on other
services are left out: they do not decide who may call the API.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepost.templates import identities
from gatepost.templates.intrinsics import Resolver, included

ROLE = "AWS::IAM::Role"
POLICIES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")


def collect(resolver: Resolver) -> dict[str, list[dict[str, Any]]]:
    """role name -> its execute-api policy documents (roles granting nothing on execute-api are left out)."""
    documents: dict[str, list[Any]] = {}  # role logical id -> raw documents
    names: dict[str, str] = {}
    for logical_id, resource in _live(resolver, (ROLE,)):
        props = resource.get("Properties") or {}
        names[logical_id] = identities.name_of(logical_id, resource)
        raw = [p.get("PolicyDocument") for p in props.get("Policies") or [] if isinstance(p, Mapping)]
        for arn in props.get("ManagedPolicyArns") or []:
            target = arn.get("Ref") if isinstance(arn, Mapping) else None
            policy = resolver.resources.get(str(target)) if target else None
            if isinstance(policy, Mapping) and policy.get("Type") == "AWS::IAM::ManagedPolicy":
                raw.append((policy.get("Properties") or {}).get("PolicyDocument"))
        documents[logical_id] = raw
    for _, resource in _live(resolver, POLICIES):
        props = resource.get("Properties") or {}
        for role in props.get("Roles") or []:
            target = role.get("Ref") if isinstance(role, Mapping) else None
            if target in documents:
                documents[str(target)].append(props.get("PolicyDocument"))
    out: dict[str, list[dict[str, Any]]] = {}
    for logical_id, raw in documents.items():
        kept = [resolver.resolve(doc, ("Resources", logical_id)) for doc in (_execute_api(d) for d in raw) if doc]
        if kept:
            out[names[logical_id]] = kept
    return out


def granted_to(resolver: Resolver, logical_id: str, resource: Mapping[str, Any],
               roles: Mapping[str, Any]) -> list[str]:
    """The served roles (names in `roles`) an `AWS::IAM::Policy`/`ManagedPolicy` gives execute-api statements."""
    props = resource.get("Properties") or {}
    if resource.get("Type") not in POLICIES or not _execute_api(props.get("PolicyDocument")):
        return []
    targets = [r.get("Ref") for r in props.get("Roles") or [] if isinstance(r, Mapping)]
    targets += [rid for rid, role in _live(resolver, (ROLE,))
                if {"Ref": logical_id} in ((role.get("Properties") or {}).get("ManagedPolicyArns") or [])]
    names = [identities.name_of(str(t), resolver.resources[str(t)]) for t in targets
             if isinstance(resolver.resources.get(str(t)), Mapping)]
    return [name for name in names if name in roles]


def _live(resolver: Resolver, types: tuple[str, ...]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(logical_id, resource) for logical_id, resource in resolver.resources.items()
            if isinstance(resource, Mapping) and resource.get("Type") in types
            and included(resource, resolver, ("Resources", logical_id))]


def _execute_api(document: Any) -> dict[str, Any] | None:
    if not isinstance(document, Mapping):
        return None
    statements = document.get("Statement")
    statements = statements if isinstance(statements, list) else [statements]
    kept = [s for s in statements if isinstance(s, Mapping) and _on_execute_api(s.get("Action"))]
    return {"Version": document.get("Version", "2012-10-17"), "Statement": kept} if kept else None


def _on_execute_api(action: Any) -> bool:
    actions = action if isinstance(action, list) else [action]
    return any(isinstance(a, str) and a.lower().startswith("execute-api:") for a in actions)
