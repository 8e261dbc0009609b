"""Request validation as API Gateway's request validators do it, after authorization and before the integration.

`request_validation:` on a route (what `x-amazon-apigateway-request-validators` import to):

```yaml
request_validation:
  required: [query.petId, header.x-tenant]      # method request parameters marked required
  body:                                           # content type -> the model (JSON Schema draft 4, as AWS)
    application/json: {type: object, required: [name], properties: {name: {type: string}}}
```

Parameters first, then the body, as AWS: a missing parameter is a 400 `BAD_REQUEST_PARAMETERS`
(`Missing required request parameters: [petId]`), a body that does not match its model a 400
`BAD_REQUEST_BODY` (`Invalid request body`); both go through the API's gateway responses. The model is
the one of the request's Content-Type (without parameters), else `$default`, else the body is not
validated (AWS validates only against a model it has). Schemas are checked with the maintained
`jsonschema` library, compiled once at startup (a bad schema is a config error).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson
from jsonschema import Draft4Validator
from jsonschema.exceptions import SchemaError
from pydantic import field_validator

from gatepost.config.base import StrictModel
from gatepost.errors import GatewayError, ResponseType

if TYPE_CHECKING:
    from gatepost.matching import Match
    from gatepost.request import GatewayRequest

_PLACES = ("header.", "query.", "path.")
DEFAULT_MODEL = "$default"


class RequestValidationConfig(StrictModel):
    required: list[str] = []  # header.NAME, query.NAME, path.NAME
    body: dict[str, dict[str, Any]] = {}  # content type (or $default) -> JSON Schema

    @field_validator("required")
    @classmethod
    def _places(cls, v: list[str]) -> list[str]:
        for item in v:
            if not item.startswith(_PLACES) or len(item.split(".", 1)[1]) == 0:
                raise ValueError(f"{item!r}: write header.NAME, query.NAME or path.NAME")
        return v

    @field_validator("body")
    @classmethod
    def _schemas(cls, v: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        for ctype, schema in v.items():
            try:
                Draft4Validator.check_schema(schema)
            except SchemaError as exc:
                raise ValueError(f"the model for {ctype} is not a valid JSON Schema: {exc.message}") from None
        return v


class RequestValidator:
    """Compiled once per route; `check` raises GatewayError(400) or returns."""

    def __init__(self, config: RequestValidationConfig) -> None:
        self.required = tuple((p.split(".", 1)[0], p.split(".", 1)[1]) for p in config.required)
        self.models = {ctype.lower(): Draft4Validator(schema) for ctype, schema in config.body.items()}

    def check(self, req: GatewayRequest, match: Match) -> None:
        missing = [name for place, name in self.required if not _present(req, match, place, name)]
        if missing:
            raise GatewayError(ResponseType.BAD_REQUEST_PARAMETERS, "validation.parameters",
                               f"Missing required request parameters: [{', '.join(missing)}]")
        model = self._model(req.header("content-type"))
        if model is None:
            return
        try:
            body = orjson.loads(req.body) if req.body else None
        except orjson.JSONDecodeError:
            raise GatewayError(ResponseType.BAD_REQUEST_BODY, "validation.body_not_json", "Invalid request body") \
                from None
        if next(model.iter_errors(body), None) is not None:
            raise GatewayError(ResponseType.BAD_REQUEST_BODY, "validation.body", "Invalid request body")

    def _model(self, content_type: str | None) -> Draft4Validator | None:
        ctype = (content_type or "").split(";", 1)[0].strip().lower()
        return self.models.get(ctype) or self.models.get(DEFAULT_MODEL.lower())


def _present(req: GatewayRequest, match: Match, place: str, name: str) -> bool:
    if place == "header":
        return req.header(name) is not None
    if place == "query":
        return any(k == name for k, _ in req.query)
    return bool(match.path_params.get(name))
