"""The template's `Transform`: which ones are understood, and the language extensions applied first.

`AWS::Serverless-2016-10-31` (sam.py), `AWS::Include` (include.py) and `AWS::LanguageExtensions`, whose
`Fn::Length` and `Fn::ToJsonString` are resolved like the other functions (intrinsics.py) and before the
SAM transform, as CloudFormation orders them; `Fn::ForEach` is refused by name, and so is any other
transform (a macro runs in the account, not here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatepost.config.located import Loc
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.templates.decode import TemplateLocated

SAM = "AWS::Serverless-2016-10-31"
LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
INCLUDE = "AWS::Include"
KNOWN = (SAM, LANGUAGE_EXTENSIONS, INCLUDE)
FOR_EACH = "Fn::ForEach::"


def names(data: Mapping[str, Any]) -> list[str]:
    transform = data.get("Transform")
    found = transform if isinstance(transform, list) else [transform] if transform is not None else []
    return [str(t.get("Name") if isinstance(t, Mapping) else t) for t in found]


def check(located: TemplateLocated) -> None:
    issues: list[ConfigIssue] = []
    for name in names(located.data):
        if name not in KNOWN:
            issues.append(located.issue(("Transform",), f"transform {name} is not run here (a macro runs in the "
                                                        "AWS account)", "serve the template it produces"))
    _for_each(located, located.data, (), issues)
    if issues:
        raise ConfigError(issues)


def _for_each(located: TemplateLocated, value: Any, loc: Loc, issues: list[ConfigIssue]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            if str(key).startswith(FOR_EACH):
                issues.append(located.issue((*loc, key), f"{key}: Fn::ForEach (AWS::LanguageExtensions) is not "
                                                         "expanded here", "write the resources out, or serve the "
                                                         "processed template (aws cloudformation get-template "
                                                         "--template-stage Processed)"))
            else:
                _for_each(located, item, (*loc, key), issues)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _for_each(located, item, (*loc, i), issues)
