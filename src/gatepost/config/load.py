"""Load a config file: YAML -> ${ENV} interpolation -> pydantic models, every problem located.

Errors name the file, the line and the place (`apis.payments.routes[2].authorizer`) and say how to fix
it. Nothing is half-loaded: the first call either returns a GatewayConfig or raises ConfigError.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from gatepost.config.examples import example_for
from gatepost.config.kind_help import wrong_kind
from gatepost.config.located import Loc, Located, interpolate
from gatepost.config.models import GatewayConfig
from gatepost.errors import ConfigError, ConfigIssue
from gatepost.openapi.document import is_openapi
from gatepost.templates.detect import cdk_template, looks_like_template


def _data_loc(data: Any, loc: Loc) -> Loc:
    """Drop the parts pydantic adds that are not in the document (union tags, validator names)."""
    out: list[str | int] = []
    cur = data
    for part in loc:
        if (isinstance(cur, dict) and part in cur) or (
            isinstance(cur, list) and isinstance(part, int) and part < len(cur)
        ):
            out.append(part)
            cur = cur[part]  # type: ignore[index]
        elif isinstance(cur, dict) and isinstance(part, str) and (part == cur.get("type") or "[" in part
                                                                  or part in ("function-before",)):
            continue
        elif isinstance(cur, dict) and len(cur) == 1 and isinstance(part, str) and "type" not in cur:
            continue  # a shorthand such as {http: URL}
        else:
            out.append(part)
            cur = None
    return tuple(out)


def _model_fields_at(root: type[BaseModel], data: Any, loc: Loc) -> list[str]:
    """The keys allowed at `loc` (for "did you mean" fixes); best effort."""
    model = _model_at(root, data, loc)
    return sorted(model.model_fields) if model is not None else []


def _model_at(root: type[BaseModel], data: Any, loc: Loc) -> type[BaseModel] | None:
    """The model whose fields sit at `loc` (None when there is none); best effort."""
    tp: Any = root
    cur = data
    for part in loc:
        tp = _resolve(tp, cur)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        else:
            args = typing.get_args(tp)
            tp = args[-1] if args else Any
        cur = cur.get(part) if isinstance(cur, dict) else (
            cur[part] if isinstance(cur, list) and isinstance(part, int) and part < len(cur) else None)
    tp = _resolve(tp, cur)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def _resolve(tp: Any, data: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            chosen = None
            if isinstance(data, dict) and models:
                for m in models:
                    ann = m.model_fields.get("type")
                    if ann is not None and data.get("type") in typing.get_args(ann.annotation):
                        chosen = m
            tp = chosen or (models[0] if len(models) == 1 else options[0] if len(options) == 1 else Any)
            if tp is Any:
                return tp
        else:
            return tp


def validation_issues(exc: ValidationError, data: Any, doc: Located) -> list[ConfigIssue]:
    issues = []
    for err in exc.errors():
        loc = _data_loc(data, tuple(err["loc"]))
        kind = err["type"]
        msg = err["msg"]
        fix = ""
        if kind == "extra_forbidden":
            allowed = _model_fields_at(GatewayConfig, data, loc[:-1])
            msg = f"unknown key {loc[-1]!r}"
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.75)
            example = example_for(_model_at(GatewayConfig, data, loc[:-1]), close[0]) if close else None
            fix = ("remove it or correct its spelling" + (f" (did you mean {close[0]!r}?)" if close else "")
                   + (f"; allowed here: {', '.join(allowed)}" if allowed else "")
                   + (f"; e.g. {close[0]}: {example}" if example else ""))
        elif kind == "missing":  # pydantic names the missing key last (_data_loc may have dropped it)
            key = err["loc"][-1] if err["loc"] else "?"
            msg = f"required key {key!r} is missing"
            fix = f"add {key}:"
        elif kind in ("union_tag_invalid", "union_tag_not_found"):
            msg, fix = wrong_kind(loc, data) or (msg, "set type: to one of the kinds listed in docs/configuration.md")
        elif kind.startswith("literal_"):
            fix = "use one of the values listed"
        elif kind == "string_pattern_mismatch" and loc and loc[-1] == "account_id":
            fix = "a 12-digit AWS account id, quoted"
        elif kind.startswith(("int_", "float_", "bool_")):
            fix = "write a plain number (or true/false) without quotes or units"
        elif kind == "too_short":
            fix = "add at least one"
        fix = _with_example(fix, data, loc, kind)
        issues.append(doc.issue(loc, msg, fix))
    return issues


def load_text(text: str, file: str = "<config>", env: Mapping[str, str] | None = None,
              bindings: str | Path | None = None) -> tuple[GatewayConfig, Located]:
    if looks_like_template(text):  # a SAM / CloudFormation template: templates/ makes the native config
        from gatepost.templates.hook import load_template

        data, template = load_template(text, file, os.environ if env is None else env)
        return _validated(data, template)
    doc = Located(file, text)
    if not isinstance(doc.data, dict):
        raise ConfigError([doc.issue((), "the config must be a mapping with an `apis:` section",
                                     "see examples/payments/gatepost.yaml")])
    if is_openapi(doc.data):  # an AWS OpenAPI export: converted to the native config (openapi/, `bindings`)
        from gatepost.openapi.hook import import_document

        data, doc = import_document(doc, os.environ if env is None else env, bindings)
    else:
        data, issues = interpolate(doc.data, doc, os.environ if env is None else env)
        if issues:
            raise ConfigError(issues)
    return _validated(data, doc)


def _validated(data: Any, doc: Located) -> tuple[GatewayConfig, Located]:
    try:
        return GatewayConfig.model_validate(data), doc
    except ValidationError as exc:
        raise ConfigError(validation_issues(exc, data, doc)) from None


def load_file(path: str | Path, env: Mapping[str, str] | None = None,
              bindings: str | Path | None = None) -> tuple[GatewayConfig, Located]:
    p = Path(path)
    if p.is_dir():  # a CDK app's cdk.out folder: its one stack template
        p = cdk_template(p)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([ConfigIssue(str(p), "(file)", f"cannot read: {exc.strerror}",
                                       "check the path")]) from None
    return load_text(text, str(p), env, bindings)


def _with_example(fix: str, data: Any, loc: Loc, kind: str) -> str:
    """Every refused setting gets one example to copy (config/examples.py), unless the fix has one."""
    if "e.g." in fix or not loc or kind == "extra_forbidden":
        return fix
    example = example_for(_model_at(GatewayConfig, data, loc[:-1]), loc[-1])
    if example is None:
        return fix
    return f"{fix}; e.g. {loc[-1]}: {example}" if fix else f"e.g. {loc[-1]}: {example}"
