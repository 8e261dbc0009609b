"""The start hook for `type: iam` authorizers with `roles:` (what a SAM/CloudFormation template's IAM roles
grant on execute-api): each role is created in the catalog when missing and its policies are set to the
template's, on every start, so the template stays the source of truth. Callers get the role's temporary
credentials with `gatepost iam assume-role ROLE`; the commands are printed."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from gatepost.command import command_name
from gatepost.iam.admin import IamAdmin, IamAdminError
from gatepost.iam.model import ROLES, principal_key
from gatepost.stores.url import open_catalog

POLICY_PREFIX = "template-"


def seeded_roles(config: Any) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(account, role) -> policy documents, over every IAM authorizer of every API."""
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for api in config.apis.values():
        for auth in api.authorizers.values():
            for role, documents in (getattr(auth, "roles", None) or {}).items():
                out[(api.account_id, role)] = documents
    return out


def create_seeded_roles(config: Any, config_dir: Path, announce: bool = True) -> None:
    wanted = seeded_roles(config)
    if not wanted:
        return
    catalog = open_catalog(config.state.catalog, config_dir)
    try:
        admin = IamAdmin.open(catalog, config_dir)
        for (account, role), documents in wanted.items():
            try:
                existing = catalog.get(ROLES, principal_key(account, role))
                if existing is None:
                    admin.create_role(role, account, now=time.time())
                stale = [n for n in (existing or {}).get("policies", {}) if n.startswith(POLICY_PREFIX)]
                for name in stale[len(documents):]:
                    admin.detach_policy(ROLES, role, account, name)
                for i, document in enumerate(documents):
                    admin.attach_policy(ROLES, role, account, f"{POLICY_PREFIX}{i + 1}", document)
            except (IamAdminError, ValueError) as exc:
                print(f"gatepost: IAM role {role!r} from the template not set up: {exc}", flush=True)
                continue
            if announce:
                print(f"gatepost: IAM role {role!r} (from the template) may invoke what its policies allow; "
                      f"temporary credentials: {command_name()} iam assume-role {role} --session-name me "
                      "--format env --config <this template>", flush=True)
    finally:
        catalog.close()
