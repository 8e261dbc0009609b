"""What catalog verbs share: `--config CONFIG` (default $GATEPOST_CONFIG, else ./gatepost.yaml) names the
gateway whose catalog (state.catalog) the verb reads and writes."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from gatepost.config.load import load_file
from gatepost.config.models import GatewayConfig
from gatepost.errors import ConfigError
from gatepost.stores.base import Catalog
from gatepost.stores.url import open_catalog


def add_config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", "-c", default=os.environ.get("GATEPOST_CONFIG", "gatepost.yaml"),
                   help="the gateway's config file, whose state.catalog is used (default: $GATEPOST_CONFIG "
                        "or ./gatepost.yaml)")


@dataclass
class CatalogContext:
    config: GatewayConfig
    config_path: Path
    config_dir: Path
    catalog: Catalog


def open_from_args(args: argparse.Namespace) -> CatalogContext:
    """Load the config named by --config and open its catalog; exits with a located message on errors."""
    path = Path(args.config)
    try:
        config, _ = load_file(path)
    except ConfigError as exc:
        print(f"{len(exc.issues)} problem(s) in {path}:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        raise SystemExit(1) from None
    config_dir = path.resolve().parent
    return CatalogContext(config, path, config_dir, open_catalog(config.state.catalog, config_dir))


Sub = argparse._SubParsersAction


def verb_group(sub: Sub, name: str, help: str, description: str | None) -> Sub:
    """`gatepost NAME VERB ...`: the group's parser prints its help (exit 2) when no verb is given."""
    p = sub.add_parser(name, help=help, description=description)
    verbs = p.add_subparsers(dest=f"{name}_verb", metavar=f"{name.upper()}_VERB")
    p.set_defaults(func=lambda args: help_and_fail(p))
    return verbs


def help_and_fail(p: argparse.ArgumentParser) -> int:
    """A verb group called without a verb: its help on stderr, exit 2."""
    p.print_help(sys.stderr)
    return 2


def add_verb(verbs: Sub, name: str, help: str, func: object, *, config: bool = True) -> argparse.ArgumentParser:
    v = verbs.add_parser(name, help=help, description=help)
    if config:
        add_config_arg(v)
    v.set_defaults(func=func)
    return v
