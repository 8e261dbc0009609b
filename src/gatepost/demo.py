"""First-start hooks run by `gatepost serve` in the main process, before workers start: each feature
may seed demo credentials for the example (a partner API key, IAM credentials...) and print them once.
A hook is `hook(config, config_dir) -> None`; one line per hook in STARTUP_HOOKS."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from gatepost.iam.demo import create_demo_principals
from gatepost.iam.seed_roles import create_seeded_roles
from gatepost.idp.demo import create_demo_users
from gatepost.usage.demo import create_demo_key

STARTUP_HOOKS: list[Callable[[Any, Path], None]] = [
    create_demo_key,  # usage.demo_key: the example's partner API key
    create_demo_principals,  # iam: a demo user/role for `type: iam` authorizers with `demo: true`
    create_seeded_roles,  # iam: the roles an authorizer's `roles:` names (a template's execute-api grants)
    create_demo_users,  # user_pools: a demo user of the built-in pool, with commands to get a token
]

