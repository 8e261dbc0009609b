"""`gatepost import DOC [--bindings FILE] [-o OUT] [--report FILE] [--accept-partial] [--flavour rest|http]`:
convert an AWS API Gateway OpenAPI 3.x / Swagger 2.0 export into the equivalent native gatepost.yaml.

Every element of the document ends converted, converted to a documented equivalent, or refused with its
JSON pointer. Any refusal fails the import with the list (exit 1), unless --accept-partial: then the
refused items are written into the config as comments (and shown by `explain`), and routes with a
refused part are left out. --report FILE writes the fate of every element (JSON). Lambda functions,
user pools and backend URLs are mapped to local targets by the bindings file (default: DOC.bindings.yaml
next to the document). The flavour (REST or HTTP API) is decided from the document's marks and printed;
--flavour overrides. The result is validated and compiled before it is written; with -o, relative paths
are rewritten so that the written config loads from its own folder."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("import", help="convert an AWS OpenAPI export to a native config", description=__doc__)
    p.add_argument("document", help="the OpenAPI 3.x / Swagger 2.0 export (JSON or YAML)")
    p.add_argument("--bindings", help="bindings file (default: DOC.bindings.yaml, or x-gatepost-bindings in DOC)")
    p.add_argument("-o", "--output", help="write the native config here (default: standard output)")
    p.add_argument("--report", metavar="FILE", help="write the fate of every element of the document (JSON)")
    p.add_argument("--accept-partial", action="store_true",
                   help="do not fail on refused elements: list them in the config as comments, leave their "
                        "routes out")
    p.add_argument("--flavour", choices=("rest", "http"), help="REST or HTTP API, whatever the document's marks say")
    p.add_argument("--stub-aws-services", action="store_true",
                   help="serve AWS service integrations (DynamoDB, SQS...) as routes answering AWS's 500 after "
                        "authorization, instead of refusing them")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from gatepost.config.located import Located
    from gatepost.errors import ConfigError
    from gatepost.openapi.context import ImportOptions
    from gatepost.openapi.convert import convert
    from gatepost.openapi.document import is_openapi
    from gatepost.openapi.hook import ImportedLocated, load_bindings, refusals
    from gatepost.openapi.native_yaml import dump, validate
    from gatepost.openapi.relocate import relocate

    path = Path(args.document)
    options = ImportOptions(flavour=args.flavour, accept_partial=args.accept_partial,
                            stub_aws_services=args.stub_aws_services)
    out_dir = Path(args.output).resolve().parent if args.output else path.resolve().parent
    try:
        doc = Located(str(path), path.read_text(encoding="utf-8"))
        if not is_openapi(doc.data):
            print(f"{path}: not an OpenAPI document (no top-level openapi: or swagger: key)", file=sys.stderr)
            return 2
        imported = convert(doc.data, load_bindings(doc, os.environ, args.bindings), options)
        print(imported.flavour.statement(), file=sys.stderr)
        if args.report:
            _write_report(Path(args.report), path, imported)
        issues = refusals(imported.report, doc)
        if issues and not args.accept_partial:
            raise ConfigError(issues)
        located = ImportedLocated(doc, imported.origins)
        validate(imported.config, located, path.resolve().parent)
        config = relocate(imported.config, path.resolve().parent, out_dir)
    except OSError as exc:
        print(f"{path}: cannot read: {exc.strerror}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"{len(exc.issues)} element(s) of {path} not converted (import refused; --accept-partial "
              "accepts a partial import):" if "refused" not in str(exc) else f"{len(exc.issues)} problem(s):",
              file=sys.stderr)
        for issue in exc.issues:
            print(f"  {issue}", file=sys.stderr)
        return 1
    _print_public(imported.public, imported.left_out)
    text = dump(config, path.name, issues)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        routes = config["apis"][imported.api_name]["routes"]
        print(f"wrote {args.output} (API {imported.api_name}, {len(routes)} routes)", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _write_report(target: Path, source: Path, imported: Any) -> None:
    body = {"document": str(source), "api": imported.api_name,
            "flavour": {"name": imported.flavour.name, "reason": imported.flavour.reason},
            **imported.report.as_dict(), "routes_left_out": imported.left_out}
    target.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    print(f"wrote the fate of {len(imported.report.elements)} element(s) to {target}", file=sys.stderr)


def _print_public(public: list[str], left_out: list[str]) -> None:
    if public:
        print(f"PUBLIC: {len(public)} operation(s) have no authorization, as on AWS: anyone may call them",
              file=sys.stderr)
        for route in public:
            print(f"  PUBLIC  {route}", file=sys.stderr)
    for route in left_out:
        print(f"LEFT OUT (partial import): {route}", file=sys.stderr)
