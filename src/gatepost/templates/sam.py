"""Expand `Transform: AWS::Serverless-2016-10-31` with aws-sam-translator, the library SAM CLI and
CloudFormation's own transform use.

As SAM CLI does: parameters are substituted first (list parameters as lists), local `CodeUri`/`ContentUri`
folders are swapped for S3 placeholders before the transform (the translator accepts only S3 URIs) and
mapped back after it (`LocalCode`), and managed policies come from the translator's bundled map instead
of IAM calls.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from gatepost.errors import ConfigError, ConfigIssue
from gatepost.templates import transforms
from gatepost.templates.decode import INSTALL_HINT, TemplateLocated
from gatepost.templates.intrinsics import Resolver
from gatepost.templates.parameters import Parameters

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"
PLACEHOLDER_BUCKET = "gatepost-local-code"
_NO_VALUE = {"Ref": "AWS::NoValue"}
_EXTENSIONS = ("Fn::Length", "Fn::ToJsonString")
_CODE_PROPERTIES = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri"}


def is_sam(data: Mapping[str, Any]) -> bool:
    return SAM_TRANSFORM in transforms.names(data)


def transform(located: TemplateLocated, params: Parameters) -> tuple[dict[str, Any], dict[str, str]]:
    """(the CloudFormation template, S3 key -> local code folder)."""
    try:
        import boto3
        from samtranslator.internal.managed_policies import get_bundled_managed_policy_map
        from samtranslator.model.exceptions import InvalidDocumentException, InvalidResourceException
        from samtranslator.parser.parser import Parser
        from samtranslator.translator.translator import Translator
    except ImportError:
        raise ConfigError([ConfigIssue(located.file, "Transform", "a SAM template needs aws-sam-translator",
                                       INSTALL_HINT)]) from None
    template = _with_parameters(copy.deepcopy(located.data), params, Resolver(located, params))
    local_code = _placeholders(template)
    pseudo = params.pseudo
    translator = Translator(get_bundled_managed_policy_map(pseudo.partition) or {}, Parser(),
                            boto_session=boto3.session.Session(region_name=pseudo.region))
    values: dict[str, Any] = {**pseudo.values(), **params.values}
    logging.getLogger("samtranslator").setLevel(logging.ERROR)  # its "unpublished metrics" warning
    try:
        output = translator.translate(template, parameter_values=values)
    except InvalidDocumentException as exc:
        raise ConfigError([_issue(located, cause) for cause in exc.causes]) from None
    except InvalidResourceException as exc:
        raise ConfigError([_issue(located, exc)]) from None
    output.pop("Transform", None)  # SAM's; AWS::LanguageExtensions' functions were resolved above
    return output, local_code


def _issue(located: TemplateLocated, cause: Any) -> ConfigIssue:
    logical = getattr(cause, "_logical_id", None)
    loc = ("Resources", logical) if isinstance(logical, str) else ()
    return located.issue(loc, f"SAM: {cause.message}", "fix the template as the SAM documentation describes")


def _with_parameters(value: Any, params: Parameters, conditions: Resolver) -> Any:
    """`Ref: Param` -> its value, `Fn::If` -> the branch its condition picks (conditions read parameters only),
    everywhere, before the translator sees it (lists stay lists)."""
    if isinstance(value, list):
        return [_with_parameters(v, params, conditions) for v in value]
    if isinstance(value, dict):
        if len(value) == 1 and "Ref" in value and isinstance(value["Ref"], str) and value["Ref"] in params.values:
            return copy.deepcopy(params.values[value["Ref"]])
        if len(value) == 1 and next(iter(value)) in _EXTENSIONS:  # AWS::LanguageExtensions run first
            return conditions.resolve(value)
        branches = value.get("Fn::If")
        if len(value) == 1 and isinstance(branches, list) and len(branches) == 3:
            chosen = branches[1] if conditions.condition(str(branches[0])) else branches[2]
            if chosen == {"Ref": "AWS::NoValue"}:
                return chosen
            return _with_parameters(chosen, params, conditions)
        out = {k: _with_parameters(v, params, conditions) for k, v in value.items()}
        return {k: v for k, v in out.items() if v != _NO_VALUE}  # as CloudFormation drops them
    return value


def _placeholders(template: dict[str, Any]) -> dict[str, str]:
    local: dict[str, str] = {}
    globals_fn = (template.get("Globals") or {}).get("Function") or {}
    default_uri = globals_fn.get("CodeUri") if isinstance(globals_fn, Mapping) else None
    if isinstance(default_uri, str) and not default_uri.startswith("s3://"):
        globals_fn["CodeUri"] = f"s3://{PLACEHOLDER_BUCKET}/_globals"
        local["_globals"] = default_uri
    for logical_id, resource in (template.get("Resources") or {}).items():
        if not isinstance(resource, dict):
            continue
        prop = _CODE_PROPERTIES.get(str(resource.get("Type")))
        props = resource.setdefault("Properties", {})
        if prop is None or not isinstance(props, dict):
            continue
        uri = props.get(prop)
        skip = ("InlineCode" in props or "ImageUri" in props or props.get("PackageType") == "Image")
        if isinstance(uri, str) and not uri.startswith("s3://"):
            local[logical_id] = uri
            props[prop] = f"s3://{PLACEHOLDER_BUCKET}/{logical_id}"
        elif uri is None and not skip and default_uri is None:
            local[logical_id] = "."  # SAM CLI's default: the template's own folder
            props[prop] = f"s3://{PLACEHOLDER_BUCKET}/{logical_id}"
    return local


def local_folder(code: Any, local_code: Mapping[str, str]) -> str | None:
    """A transformed function's `Code` -> the local folder it came from (None when not a placeholder)."""
    if isinstance(code, Mapping) and code.get("S3Bucket") == PLACEHOLDER_BUCKET:
        return local_code.get(str(code.get("S3Key")))
    return None
