"""`--parameter-overrides KEY=VALUE ...` for the verbs that read a config, as SAM CLI takes it: a SAM or
CloudFormation template's parameters (templates/parameters.py). Passed on in the environment, so the
worker processes `serve --workers N` starts read the same values."""

from __future__ import annotations

import argparse
import os

from gatepost.templates.parameters import ENV_VAR


def add(p: argparse.ArgumentParser) -> None:
    p.add_argument("--parameter-overrides", nargs="+", metavar="KEY=VALUE",
                   help="a template's parameter values (SAM CLI's syntax; also AWS::Region=..., and "
                        "EXPORT=VALUE for Fn::ImportValue); default: each parameter's Default")


def apply(args: argparse.Namespace) -> None:
    values = getattr(args, "parameter_overrides", None)
    if values:
        os.environ[ENV_VAR] = " ".join(values)
