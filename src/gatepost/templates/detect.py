"""Is this file a CloudFormation/SAM template, and which template in a CDK `cdk.out` folder to serve.

Sniffed from the text (a template's YAML short-form tags are not plain YAML, so it cannot be parsed first):
a top-level `AWSTemplateFormatVersion`, `Transform` or `Resources` key, in YAML or JSON, and no `apis:`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from gatepost.errors import ConfigError, ConfigIssue

_YAML_KEY = re.compile(r"^(AWSTemplateFormatVersion|Transform|Resources)\s*:", re.M)
_JSON_KEY = re.compile(r'"(AWSTemplateFormatVersion|Transform|Resources)"\s*:')
_NATIVE = re.compile(r"^apis\s*:", re.M)


def looks_like_template(text: str) -> bool:
    if _NATIVE.search(text):
        return False
    if text.lstrip().startswith("{"):
        return bool(_JSON_KEY.search(text)) and '"openapi"' not in text[:2000] and '"swagger"' not in text[:2000]
    return bool(_YAML_KEY.search(text))


def cdk_template(folder: Path) -> Path:
    """The one stack template in a `cdk.out` folder (its manifest names them); several are refused by name."""
    templates = sorted(folder.glob("*.template.json"))
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            artifacts = json.loads(manifest.read_text(encoding="utf-8")).get("artifacts") or {}
        except (OSError, ValueError):
            artifacts = {}
        named = [folder / str(a.get("properties", {}).get("templateFile")) for a in artifacts.values()
                 if isinstance(a, dict) and a.get("type") == "aws:cloudformation:stack"]
        templates = [t for t in named if t.is_file()] or templates
    if len(templates) != 1:
        found = ", ".join(t.name for t in templates) or "none"
        raise ConfigError([ConfigIssue(str(folder), "(folder)",
                                       f"a cdk.out folder with one stack template is served; found: {found}",
                                       "name one template: gatepost serve cdk.out/STACK.template.json")])
    return templates[0]
