"""Local files a template points at, read in before anything else: `AWS::Include` transforms and a SAM API's
`DefinitionUri` (or a RestApi's `BodyS3Location`) naming a local OpenAPI file. S3 locations are refused by
name: there is no S3 here."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatepost.config.located import Loc
from gatepost.errors import ConfigError
from gatepost.templates.decode import TemplateLocated, decode

_DEFINITION_FILES = {"AWS::Serverless::Api": ("DefinitionUri", "DefinitionBody"),
                     "AWS::Serverless::HttpApi": ("DefinitionUri", "DefinitionBody"),
                     "AWS::ApiGateway::RestApi": ("BodyS3Location", "Body"),
                     "AWS::ApiGatewayV2::Api": ("BodyS3Location", "Body")}


def read_local(located: TemplateLocated, location: Any, loc: Loc) -> Any:
    if not isinstance(location, str) or location.startswith("s3://") or "://" in location:
        raise ConfigError([located.issue(loc, f"{location!r} is not a local file: there is no S3 here",
                                         "point it at a file next to the template (e.g. ./openapi.yaml)")])
    path = Path(located.file).resolve().parent / location
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([located.issue(loc, f"cannot read {path}: {exc.strerror}", "check the path")]) from None
    return decode(text, str(path)).data


def inline(located: TemplateLocated) -> None:
    """Replace `Fn::Transform: {Name: AWS::Include, ...}` and local definition files in place."""
    located.data = _includes(located, located.data, ())
    for logical_id, resource in (located.data.get("Resources") or {}).items():
        if not isinstance(resource, Mapping) or resource.get("Type") not in _DEFINITION_FILES:
            continue
        uri_key, body_key = _DEFINITION_FILES[str(resource["Type"])]
        props = resource.get("Properties") or {}
        uri = props.get(uri_key)
        if uri is None or body_key in props:
            continue
        loc = ("Resources", logical_id, "Properties", uri_key)
        if isinstance(uri, Mapping):  # {Bucket, Key}: S3
            raise ConfigError([located.issue(loc, f"{uri_key} names an S3 object: there is no S3 here",
                                             f"write {uri_key}: ./openapi.yaml (a local file)")])
        props[body_key] = read_local(located, uri, loc)
        del props[uri_key]


def _includes(located: TemplateLocated, value: Any, loc: Loc) -> Any:
    if isinstance(value, list):
        return [_includes(located, v, (*loc, i)) for i, v in enumerate(value)]
    if not isinstance(value, Mapping):
        return value
    transform = value.get("Fn::Transform")
    if isinstance(transform, Mapping) and transform.get("Name") == "AWS::Include":
        params = transform.get("Parameters") or {}
        return read_local(located, params.get("Location") if isinstance(params, Mapping) else None,
                          (*loc, "Fn::Transform", "Parameters", "Location"))
    if transform is not None:
        raise ConfigError([located.issue((*loc, "Fn::Transform"), f"transform {transform!r} is not supported",
                                         "only AWS::Include of a local file is")])
    return {k: _includes(located, v, (*loc, k)) for k, v in value.items()}
