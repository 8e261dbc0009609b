"""Resolve the intrinsic functions a template uses to describe an API, over its own parameters and resources.

`Ref`, `Fn::GetAtt`, `Fn::Sub` (both forms, `${!Literal}`), `Fn::Join`, `Fn::Select`, `Fn::Split`,
`Fn::If` with `Conditions` (`Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not`, `Condition`), `Fn::FindInMap`,
`Fn::Base64`, `Fn::GetAZs`, `Fn::ImportValue` and a nested stack's `Outputs.NAME` (the value given with
`--parameter-overrides NAME=VALUE`),
`Fn::Length` and `Fn::ToJsonString` (AWS::LanguageExtensions), pseudo parameters and `AWS::NoValue`.
Anything else is refused with its place, never passed on as a dict that later code would misread.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from typing import Any

from gatepost.config.located import Loc
from gatepost.errors import ConfigError
from gatepost.templates import identities
from gatepost.templates.decode import TemplateLocated
from gatepost.templates.parameters import Parameters

_SUB = re.compile(r"\$\{([^}]*)\}")
_CONDITION_FNS = ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition")


NESTED_STACKS = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")


class _NoValue:
    """`Ref: AWS::NoValue`: the property is removed."""


NO_VALUE = _NoValue()


class Resolver:
    def __init__(self, located: TemplateLocated, params: Parameters,
                 resources: Mapping[str, Any] | None = None) -> None:
        self.located = located
        self.params = params
        data = located.data
        self.resources: Mapping[str, Any] = resources if resources is not None else (data.get("Resources") or {})
        self.mappings: Mapping[str, Any] = data.get("Mappings") or {}
        self.conditions: Mapping[str, Any] = data.get("Conditions") or {}
        self._evaluated: dict[str, bool] = {}
        self._evaluating: set[str] = set()

    def fail(self, loc: Loc, problem: str, fix: str = "see docs/templates.md (intrinsic functions)") -> ConfigError:
        return ConfigError([self.located.issue(loc, problem, fix)])

    # -- conditions --------------------------------------------------------------------------------------
    def condition(self, name: str, loc: Loc = ()) -> bool:
        if name in self._evaluated:
            return self._evaluated[name]
        if name not in self.conditions:
            raise self.fail(loc, f"condition {name!r} is not declared under Conditions", "declare it or remove it")
        if name in self._evaluating:
            raise self.fail(("Conditions", name), f"condition {name!r} refers to itself", "break the cycle")
        self._evaluating.add(name)
        value = self._truth(self.conditions[name], ("Conditions", name))
        self._evaluating.discard(name)
        self._evaluated[name] = value
        return value

    def _truth(self, value: Any, loc: Loc) -> bool:
        if isinstance(value, Mapping) and len(value) == 1:
            (fn, arg), = value.items()
            at = (*loc, fn)
            if fn == "Condition":
                return self.condition(str(arg), at)
            if fn == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
                return self._scalar(self.resolve(arg[0], (*at, 0))) == self._scalar(self.resolve(arg[1], (*at, 1)))
            if fn == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
                return not self._truth(arg[0], (*at, 0))
            if fn in ("Fn::And", "Fn::Or") and isinstance(arg, list):
                results = [self._truth(a, (*at, i)) for i, a in enumerate(arg)]
                return all(results) if fn == "Fn::And" else any(results)
        raise self.fail(loc, f"not a condition: {value!r}", "use Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition")

    @staticmethod
    def _scalar(value: Any) -> Any:
        return ",".join(value) if isinstance(value, list) else str(value) if isinstance(value, (int, float)) else value

    # -- values ------------------------------------------------------------------------------------------
    def resolve(self, value: Any, loc: Loc = ()) -> Any:
        if isinstance(value, list):
            items = [self.resolve(v, (*loc, i)) for i, v in enumerate(value)]
            return [v for v in items if v is not NO_VALUE]
        if not isinstance(value, Mapping):
            return value
        if len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref" or (isinstance(fn, str) and fn.startswith("Fn::")):
                return self._function(str(fn), arg, (*loc, fn))
            if fn == "Condition" and loc and loc[-1] != "Properties":
                return self._truth(value, loc)
        out: dict[str, Any] = {}
        for key, item in value.items():
            resolved = self.resolve(item, (*loc, key))
            if resolved is not NO_VALUE:
                out[key] = resolved
        return out

    def _function(self, fn: str, arg: Any, loc: Loc) -> Any:
        handler = getattr(self, "_fn_" + fn.removeprefix("Fn::").lower(), None)
        if handler is None:
            raise self.fail(loc, f"{fn} is not supported for a local run",
                            "replace it with a value or a parameter (--parameter-overrides)")
        return handler(arg, loc)

    def _fn_ref(self, arg: Any, loc: Loc) -> Any:
        name = str(self.resolve(arg, loc))
        if name == "AWS::NoValue":
            return NO_VALUE
        value = self.params.ref(name)
        if value is not None:
            return value
        resource = self.resources.get(name)
        if isinstance(resource, Mapping):
            return identities.ref(name, resource, self.params.pseudo)
        raise self.fail(loc, f"Ref {name}: no parameter, pseudo parameter or resource of that name",
                        "declare it, or correct the name")

    def _fn_getatt(self, arg: Any, loc: Loc) -> Any:
        parts = arg.split(".", 1) if isinstance(arg, str) else self.resolve(arg, loc)
        if not isinstance(parts, list) or len(parts) != 2:
            raise self.fail(loc, f"Fn::GetAtt {arg!r}: write [LogicalId, Attribute]", "e.g. !GetAtt MyFunction.Arn")
        return self._attribute(str(parts[0]), str(parts[1]), loc)

    def _attribute(self, logical_id: str, attribute: str, loc: Loc) -> str:
        resource = self.resources.get(logical_id)
        if not isinstance(resource, Mapping):
            raise self.fail(loc, f"Fn::GetAtt {logical_id}.{attribute}: no resource {logical_id}",
                            "correct the logical id")
        if resource.get("Type") in NESTED_STACKS and attribute.startswith("Outputs."):
            output = attribute.removeprefix("Outputs.")
            if output in self.params.extra:
                return self.params.extra[output]
            raise self.fail(loc, f"Fn::GetAtt {logical_id}.{attribute}: a nested stack's output has no local value",
                            f"run with --parameter-overrides {output}=VALUE")
        value = identities.get_att(logical_id, resource, attribute, self.params.pseudo)
        if value is None:
            raise self.fail(loc, f"Fn::GetAtt {logical_id}.{attribute}: a {resource.get('Type')} attribute that "
                                 "has no local value", "replace it with a parameter (--parameter-overrides)")
        return value

    def _fn_sub(self, arg: Any, loc: Loc) -> str:
        text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
        if not isinstance(text, str) or not isinstance(variables, Mapping):
            raise self.fail(loc, "Fn::Sub takes a string, or [string, {variables}]", "see the CloudFormation docs")
        values = {k: self.resolve(v, (*loc, 1, k)) for k, v in variables.items()}

        def one(m: re.Match[str]) -> str:
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in values:
                found = values[name]
            elif "." in name and self.params.ref(name) is None and name.split(".", 1)[0] in self.resources:
                logical_id, attribute = name.split(".", 1)
                found = self._attribute(logical_id, attribute, loc)
            else:
                found = self._fn_ref(name, loc)
            if isinstance(found, list):
                raise self.fail(loc, f"Fn::Sub ${{{name}}} is a list", "use Fn::Join to make one string of it")
            return str(found)

        return _SUB.sub(one, text)

    def _fn_join(self, arg: Any, loc: Loc) -> str:
        if not isinstance(arg, list) or len(arg) != 2:
            raise self.fail(loc, "Fn::Join takes [delimiter, [values]]", "see the CloudFormation docs")
        items = self.resolve(arg[1], (*loc, 1))
        if not isinstance(items, list):
            raise self.fail(loc, "Fn::Join's second argument must be a list", "see the CloudFormation docs")
        return str(arg[0]).join(str(i) for i in items)

    def _fn_select(self, arg: Any, loc: Loc) -> Any:
        if not isinstance(arg, list) or len(arg) != 2:
            raise self.fail(loc, "Fn::Select takes [index, [values]]", "see the CloudFormation docs")
        index, items = self.resolve(arg[0], (*loc, 0)), self.resolve(arg[1], (*loc, 1))
        try:
            return items[int(index)]
        except (ValueError, TypeError, IndexError):
            raise self.fail(loc, f"Fn::Select index {index!r} is not in the list ({len(items)} items)",
                            "use an index from 0 to the list's length - 1") from None

    def _fn_split(self, arg: Any, loc: Loc) -> list[str]:
        if not isinstance(arg, list) or len(arg) != 2:
            raise self.fail(loc, "Fn::Split takes [delimiter, string]", "see the CloudFormation docs")
        return str(self.resolve(arg[1], (*loc, 1))).split(str(arg[0]))

    def _fn_if(self, arg: Any, loc: Loc) -> Any:
        if not isinstance(arg, list) or len(arg) != 3:
            raise self.fail(loc, "Fn::If takes [condition, value if true, value if false]",
                            "see the CloudFormation docs")
        chosen = 1 if self.condition(str(arg[0]), loc) else 2
        return self.resolve(arg[chosen], (*loc, chosen))

    def _fn_findinmap(self, arg: Any, loc: Loc) -> Any:
        keys = self.resolve(arg, loc)
        if not isinstance(keys, list) or len(keys) != 3:
            raise self.fail(loc, "Fn::FindInMap takes [map, top key, second key]", "see the CloudFormation docs")
        try:
            return self.resolve(self.mappings[keys[0]][keys[1]][keys[2]], ("Mappings", *[str(k) for k in keys]))
        except (KeyError, TypeError):
            raise self.fail(loc, f"Fn::FindInMap {keys}: no such entry under Mappings", "add it or fix the keys") \
                from None

    def _fn_base64(self, arg: Any, loc: Loc) -> str:
        return base64.b64encode(str(self.resolve(arg, loc)).encode()).decode()

    def _fn_getazs(self, arg: Any, loc: Loc) -> list[str]:
        region = str(self.resolve(arg, loc) or self.params.pseudo.region)
        return [f"{region}{zone}" for zone in "abc"]

    def _fn_importvalue(self, arg: Any, loc: Loc) -> str:
        name = str(self.resolve(arg, loc))
        if name in self.params.extra:
            return self.params.extra[name]
        raise self.fail(loc, f"Fn::ImportValue {name}: another stack's export has no local value",
                        f"run with --parameter-overrides {name}=VALUE")

    def _fn_condition(self, arg: Any, loc: Loc) -> bool:
        return self.condition(str(arg), loc)

    # AWS::LanguageExtensions (Fn::ForEach is refused by name in transforms.py)
    def _fn_length(self, arg: Any, loc: Loc) -> int:
        items = self.resolve(arg, loc)
        if not isinstance(items, list):
            raise self.fail(loc, "Fn::Length takes a list", "see AWS::LanguageExtensions")
        return len(items)

    def _fn_tojsonstring(self, arg: Any, loc: Loc) -> str:
        return json.dumps(self.resolve(arg, loc), separators=(",", ":"))


def included(resource: Mapping[str, Any], resolver: Resolver, loc: Loc) -> bool:
    """A resource with `Condition: NAME` exists only when the condition holds."""
    name = resource.get("Condition")
    return True if name is None else resolver.condition(str(name), (*loc, "Condition"))


def of_type(resolver: Resolver, rtype: str) -> list[tuple[str, dict[str, Any]]]:
    """(logical id, resolved Properties) of every resource of that type whose condition holds."""
    found = []
    for logical_id, resource in resolver.resources.items():
        if isinstance(resource, Mapping) and resource.get("Type") == rtype:
            loc = ("Resources", logical_id)
            if included(resource, resolver, loc):
                found.append((logical_id, resolver.resolve(resource.get("Properties") or {}, (*loc, "Properties"))))
    return found
