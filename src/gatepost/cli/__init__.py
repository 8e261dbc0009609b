"""The `gatepost` command. Each verb is one module in cli/ with `add_parser(subparsers)`; listed in VERBS."""

from __future__ import annotations

import argparse
import importlib
import sys

from gatepost import __version__
from gatepost.stores.errors import CatalogUnavailable

# One line per verb: module name under gatepost.cli.
VERBS = [
    "serve",
    "check",
    "cache",
    "import_",  # the verb is `import`
    "explain",
    "audit",
    "probe",
    "iam",
    "keys",
    "plans",
    "usage",
    "pools",  # built-in user pools (idp/)
    "users",  # users of the built-in user pools
    "master_key",  # the verb is `master-key` (rotate)
]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gatepost",
        description="A self-hostable API gateway that enforces AWS API Gateway's authorization model.",
    )
    p.add_argument("--version", action="version", version=f"gatepost {__version__}")
    sub = p.add_subparsers(dest="verb", metavar="VERB")
    for name in VERBS:
        importlib.import_module(f"gatepost.cli.{name}").add_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not getattr(args, "func", None):
        parser().print_help()
        return 2
    from gatepost.cli import template_args

    template_args.apply(args)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except CatalogUnavailable as exc:  # e.g. Postgres down: nothing was written
        print(f"gatepost: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
