"""`gatepost import DOC [--bindings FILE] [-o OUT]`: convert an AWS API Gateway OpenAPI 3 / Swagger 2 export
into the equivalent native gatepost.yaml. Lambda functions, user pools and backend URLs are mapped to
local targets by the bindings file (default: DOC.bindings.yaml next to the document). Anything unbound
or unsupported is an error naming the operation; operations without security (public on AWS) are
listed loudly. The result is validated and compiled before it is written."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import", help="convert an AWS OpenAPI export to a native config", description=__doc__)
    p.add_argument("document", help="the OpenAPI 3 / Swagger 2 export (JSON or YAML)")
    p.add_argument("--bindings", help="bindings file (default: DOC.bindings.yaml, or x-gatepost-bindings in DOC)")
    p.add_argument("-o", "--output", help="write the native config here (default: standard output)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatepost.config.located import Located
    from gatepost.errors import ConfigError
    from gatepost.openapi.document import is_openapi
    from gatepost.openapi.hook import import_located
    from gatepost.openapi.native_yaml import dump, validate

    path = Path(args.document)
    try:
        doc = Located(str(path), path.read_text(encoding="utf-8"))
        if not is_openapi(doc.data):
            print(f"{path}: not an OpenAPI document (no top-level openapi: or swagger: key)", file=sys.stderr)
            return 2
        imported, located = import_located(doc, os.environ, args.bindings)
        validate(imported.config, located, path.resolve().parent)
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"{len(exc.issues)} problem(s) in {path}:", file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    _report(imported.public, imported.notes)
    text = dump(imported.config, path.name)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        routes = imported.config["apis"][imported.api_name]["routes"]
        print(f"wrote {args.output} (API {imported.api_name}, {len(routes)} routes)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _report(public: list[str], notes: list[str]) -> None:
    if public:
        print(f"PUBLIC: {len(public)} operation(s) have no authorization, as on AWS: anyone may call them",
              file=sys.stderr)
        for route in public:
            print(f"  PUBLIC  {route}", file=sys.stderr)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
