"""`gatepost serve CONFIG`: start the sidecars the config names, then serve its APIs."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any

from gatepost.cli import template_args
from gatepost.errors import ConfigError
from gatepost.stores.errors import CatalogUnavailable
from gatepost.stores.url import open_catalog


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("serve", help="run the gateway", description=__doc__)
    p.add_argument("config", help="path to gatepost.yaml (or an AWS OpenAPI export)")
    p.add_argument("--bindings", help="bindings file for an OpenAPI export (default: DOC.bindings.yaml)")
    p.add_argument("--host", help="address to listen on (default: server.host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default: server.port, 8080)")
    p.add_argument("--workers", type=int, help="worker processes (default: server.workers, 1)")
    p.add_argument("--watch", action="store_true",
                   help="reload the config (or template) and handler code when files under its folder change; "
                        "a broken change is refused and the previous version keeps serving (one worker)")
    template_args.add(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatepost.config.load import load_file
    from gatepost.config.state_check import compile_checked
    from gatepost.server.run import run as run_server
    from gatepost.services import Services
    from gatepost.sidecars import SidecarError, Sidecars

    config_dir = Path(args.config).resolve().parent
    try:
        if args.bindings:  # workers load the config again: they find the bindings in the environment
            os.environ["GATEPOST_BINDINGS"] = str(Path(args.bindings).resolve())
        config, doc = load_file(args.config)
        workers = args.workers or config.server.workers  # (per-process counters are refused with several)
        compile_checked(config, doc, Services(workers=workers), config_dir)  # fail fast, before any process starts
        _prepare_shared_catalog(config.state.catalog, config_dir)
    except CatalogUnavailable as exc:
        print(f"gatepost: {exc}", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"{len(exc.issues)} problem(s) in {args.config}:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    server = config.server
    host = args.host or server.host
    port = args.port if args.port is not None else server.port
    workers = args.workers or server.workers
    if getattr(args, "watch", False):
        if workers > 1:
            print("gatepost: --watch serves one worker; drop --workers (or server.workers)", file=sys.stderr)
            return 1
        os.environ["GATEPOST_WATCH"] = "1"
    sidecars = Sidecars(config.sidecars, config_dir)
    # From here on SIGTERM is a clean exit, so the `finally` below stops the sidecars whenever it comes
    # (during start-up too); the server installs its own draining handler once it runs.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    try:
        if (problem := _cannot_listen(host, port)) is not None:
            print(f"gatepost: cannot listen on {host}:{port}: {problem}", file=sys.stderr)
            return 1
        sidecars.start()
        effective = config.model_copy(update={"server": server.model_copy(update={"host": host, "port": port})})
        for hook in _startup_hooks():
            hook(effective, config_dir)  # demo hooks print commands with the address actually served
        print(f"gatepost: serving {', '.join(config.apis)} on http://{host}:{port} "
              f"({workers} worker{'s' if workers > 1 else ''})", flush=True)
        run_server(args.config, server, host=host, port=port, workers=workers)
    except SidecarError as exc:
        print(f"gatepost: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the listening socket (e.g. the port was taken after the check)
        print(f"gatepost: cannot listen on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    finally:
        sidecars.stop()
    return 0


def _prepare_shared_catalog(url: str, config_dir: Path) -> None:
    """A Postgres catalog is reached and migrated once here, before any worker starts (workers that start
    together would wait on the migration lock in turn)."""
    if url.startswith(("postgresql:", "postgres:")):
        open_catalog(url, config_dir).close()


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _cannot_listen(host: str, port: int) -> str | None:
    """Try the address before starting anything (sidecars, demo hooks): a taken port is a clear error."""
    if port == 0:
        return None
    try:
        probe = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
    except OSError as exc:
        return exc.strerror or str(exc)
    probe.close()
    return None


def _startup_hooks() -> list[Any]:
    """First-start work that prints once (demo credentials...): see gatepost.demo."""
    from gatepost.demo import STARTUP_HOOKS

    return list(STARTUP_HOOKS)
