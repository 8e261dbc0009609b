"""Write an imported config as native YAML (`gatepost import`), after validating and compiling it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from gatepost.config.compile import compile_gateway
from gatepost.config.load import validation_issues
from gatepost.config.located import Located
from gatepost.config.models import GatewayConfig
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.services import Services


def validate(config: dict[str, Any], located: Located, config_dir: Path) -> None:
    """Raise ConfigError (located in the document) unless the native config loads and compiles."""
    try:
        model = GatewayConfig.model_validate(config)
    except ValidationError as exc:
        raise ConfigError(validation_issues(exc, config, located)) from None
    compile_gateway(model, located, Services(), config_dir)


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    quoted = "$" in value or value.startswith("'")  # templates and quoted literals read best in double quotes
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"' if quoted else None)


_Dumper.add_representer(str, _str)


def dump(config: dict[str, Any], source: str, unconverted: Sequence[ConfigIssue] = ()) -> str:
    header = (f"# Imported by `gatepost import` from {source}. Edit freely: this is a native gatepost.yaml.\n"
              "# Routes marked `public: true` had no authorization in the export: anyone may call them.\n")
    if unconverted:
        header += (f"#\n# PARTIAL IMPORT (--accept-partial): {len(unconverted)} element(s) of {source} were NOT "
                   "converted;\n# routes with a refused part are left out. `gatepost explain` lists them too.\n")
        for issue in unconverted:
            header += f"#   NOT CONVERTED {issue.file} {issue.place}: {issue.problem}\n"
    body = yaml.dump(config, Dumper=_Dumper, sort_keys=False, default_flow_style=None, width=120,
                     allow_unicode=True)
    return header + body
