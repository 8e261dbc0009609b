"""Every admin operation, by resource family (one module each); the CLI and the admin port both use this list."""

from __future__ import annotations

from gatepost.admin import api_keys, cache, iam, plans, pool_users, pools, usage
from gatepost.admin.operation import Operation

OPERATIONS: list[Operation] = [*api_keys.OPERATIONS, *plans.OPERATIONS, *usage.OPERATIONS, *cache.OPERATIONS,
                               *iam.OPERATIONS, *pools.OPERATIONS, *pool_users.OPERATIONS]
BY_ACTION: dict[str, Operation] = {op.action: op for op in OPERATIONS}
