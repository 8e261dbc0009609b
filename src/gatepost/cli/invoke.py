"""Running one admin operation for a CLI verb: on the catalog of --config, or through a running gateway's
admin API with --admin URL. Either way the verb gets the same JSON answer and prints it the same way."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

import orjson

from gatepost.admin.operation import OperationError, Params
from gatepost.admin.registry import BY_ACTION
from gatepost.cli.admin_client import add_admin_args
from gatepost.cli.common import add_config_arg, open_from_args


def add_target_args(p: argparse.ArgumentParser) -> None:
    """--config CONFIG (act on its catalog) or --admin URL (act through a running gateway)."""
    add_config_arg(p)
    add_admin_args(p)


def call(args: argparse.Namespace, action: str, params: Params) -> Any:
    """The operation's answer (as JSON data), or OperationError."""
    op = BY_ACTION[action]
    if getattr(args, "admin", None):
        from gatepost.cli import admin_client

        return admin_client.call(args, op, params)
    ctx = open_from_args(args)
    try:
        answer = op.run(ctx, params)
    finally:
        ctx.catalog.close()
    return orjson.loads(orjson.dumps(answer))  # the same data the admin API would have sent


def run(args: argparse.Namespace, prefix: str, action: str, params: Params,
        show: Callable[[Any], int | None]) -> int:
    """Call the operation and `show` its answer; a refusal is `PREFIX: message` on stderr and exit 1."""
    try:
        answer = call(args, action, params)
    except OperationError as err:
        return fail(prefix, err.message)
    return int(show(answer) or 0)


def fail(prefix: str, message: str) -> int:
    print(f"{prefix}: {message}", file=sys.stderr)
    return 1
