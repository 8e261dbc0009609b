"""The one list of integration kinds: `type:` in config -> config model + builder. One line per kind."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from gatepost.integrations import http_proxy, lambda_proxy, mock, template
from gatepost.integrations.base import Integration
from gatepost.integrations.http_config import HttpIntegrationConfig


@dataclass(frozen=True, slots=True)
class IntegrationKind:
    type: str
    model: builtins.type[BaseModel]
    build: Callable[[Any], Integration]
    shorthand: str  # the field a one-key form fills: {http: URL} -> {type: http, url: URL}
    needs: str = ""  # what a config of this kind must say, for the message on a wrong `type:`
    example: str = ""  # one working config of this kind, in YAML flow style


KINDS: dict[str, IntegrationKind] = {
    k.type: k
    for k in (
        IntegrationKind("http", HttpIntegrationConfig, http_proxy.build, "url",
                        "url: the upstream's base URL", '{http: "http://127.0.0.1:9000"}'),
        IntegrationKind("mock", mock.MockIntegrationConfig, mock.build, "status",
                        "nothing else (status:, headers:, body: are optional)",
                        "{mock: {status: 200, body: {ok: true}}}"),
        IntegrationKind("lambda", lambda_proxy.LambdaIntegrationConfig, lambda_proxy.build, "handler",
                        'handler: "module:function" (a file next to the config)', '{lambda: "handlers:orders"}'),
        IntegrationKind("template", template.TemplateIntegrationConfig, template.build, "url",
                        "url: the backend (none: a mock); request_templates:, responses: (VTL mapping templates)",
                        "{template: {url: \"http://127.0.0.1:9000\", responses: [{status: 200}]}}"),
    )
}
