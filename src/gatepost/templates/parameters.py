"""Template parameters: `--parameter-overrides` (SAM CLI's syntax), then each parameter's `Default`.

List types (`CommaDelimitedList`, `List<...>`) become lists here, before anything else reads them: the SAM
translator would substitute a list default as one string (two CIDRs becoming one bogus `aws:SourceIp`).
Pseudo parameters (`AWS::Region`, `AWS::AccountId`, ...) may be overridden the same way, and so may the
exports `Fn::ImportValue` reads (`--parameter-overrides SharedPoolArn=arn:...`).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gatepost.errors import ConfigError, ConfigIssue
from gatepost.templates.decode import TemplateLocated

ENV_VAR = "GATEPOST_PARAMETER_OVERRIDES"
_LONG_FORM = re.compile(r"^ParameterKey=([^,]+),ParameterValue=(.*)$")
_LIST_TYPE = re.compile(r"^(CommaDelimitedList|List<.+>)$")


@dataclass(frozen=True)
class Pseudo:
    region: str = "us-east-1"
    account_id: str = "123456789012"
    partition: str = "aws"
    stack_name: str = "gatepost-local"
    url_suffix: str = "amazonaws.com"

    def values(self) -> dict[str, str]:
        return {"AWS::Region": self.region, "AWS::AccountId": self.account_id, "AWS::Partition": self.partition,
                "AWS::StackName": self.stack_name, "AWS::URLSuffix": self.url_suffix,
                "AWS::StackId": f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:stack/"
                                f"{self.stack_name}/00000000-0000-0000-0000-000000000000",
                "AWS::NotificationARNs": ""}


@dataclass
class Parameters:
    values: dict[str, str | list[str]] = field(default_factory=dict)
    pseudo: Pseudo = field(default_factory=Pseudo)
    extra: dict[str, str] = field(default_factory=dict)  # overrides naming no parameter: ImportValue exports

    def ref(self, name: str) -> str | list[str] | None:
        if name in self.values:
            return self.values[name]
        return self.pseudo.values().get(name)


def parse_overrides(text: str) -> dict[str, str]:
    """`Key=Value Key2="a b"` or `ParameterKey=Key,ParameterValue=Value` (both as SAM CLI takes them)."""
    out: dict[str, str] = {}
    for word in shlex.split(text or ""):
        long = _LONG_FORM.match(word)
        key, sep, value = (long.group(1), "=", long.group(2)) if long else word.partition("=")
        if not sep or not key:
            raise ConfigError([ConfigIssue("--parameter-overrides", word, "not KEY=VALUE",
                                           "write --parameter-overrides Stage=dev Cidrs=10.0.0.0/8,192.168.0.0/16")])
        out[key] = value
    return out


def resolve(located: TemplateLocated, overrides: Mapping[str, str]) -> Parameters:
    declared = located.data.get("Parameters") or {}
    if not isinstance(declared, Mapping):
        raise ConfigError([located.issue(("Parameters",), "Parameters must be a mapping", "see docs/templates.md")])
    pseudo = Pseudo(**{f: overrides[k] for k, f in (("AWS::Region", "region"), ("AWS::AccountId", "account_id"),
                                                     ("AWS::Partition", "partition"),
                                                     ("AWS::StackName", "stack_name")) if k in overrides})
    params = Parameters(pseudo=pseudo)
    issues: list[ConfigIssue] = []
    for name, spec in declared.items():
        loc = ("Parameters", name)
        spec = spec if isinstance(spec, Mapping) else {}
        if name in overrides:
            raw: Any = overrides[name]
        elif "Default" in spec:
            raw = spec["Default"]
        else:
            issues.append(located.issue(loc, f"parameter {name} has no Default and no value was given",
                                        f"run with --parameter-overrides {name}=VALUE"))
            continue
        value = _typed(raw, str(spec.get("Type", "String")))
        allowed = spec.get("AllowedValues")
        if isinstance(allowed, list) and not isinstance(value, list) and value not in [str(a) for a in allowed]:
            issues.append(located.issue(loc, f"parameter {name}={value!r} is not one of its AllowedValues {allowed}",
                                        f"run with --parameter-overrides {name}=<one of them>"))
        params.values[str(name)] = value
    if issues:
        raise ConfigError(issues)
    params.extra = {k: v for k, v in overrides.items() if k not in declared and not k.startswith("AWS::")}
    return params


def _typed(raw: Any, ptype: str) -> str | list[str]:
    if _LIST_TYPE.match(ptype):
        items = raw if isinstance(raw, list) else str(raw).split(",")
        return [str(i).strip() for i in items]
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)
