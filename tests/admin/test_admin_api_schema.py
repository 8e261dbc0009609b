"""Schemathesis against the live admin port: for every operation of the OpenAPI document the port serves,
generated requests (bearer token set) get no 5xx, only documented statuses, and answers that match the
document's schemas. Bounded: a few examples per operation, no shrinking, so the run stays short."""

from __future__ import annotations

import pytest
import requests
import schemathesis
from admin_kit import BEARER, CONFIG, admin_of
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from gatepost.admin.openapi import DOCUMENT
from gatepost.stores.memory import MemoryCatalog

EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


def test_generated_requests_get_documented_answers(upstream, monkeypatch: pytest.MonkeyPatch) -> None:
    with admin_of(CONFIG.format(upstream=upstream.url), MemoryCatalog(), monkeypatch) as (_, admin):
        served = requests.get(admin + "/admin/openapi.json", headers=BEARER, timeout=10).json()
        assert served == DOCUMENT
        # a few things that exist, so that generated names sometimes hit them
        requests.post(admin + "/admin/api-keys", json={"name": "acme", "plan": "gold"}, headers=BEARER, timeout=10)
        requests.post(admin + "/admin/iam/users", json={"name": "ops"}, headers=BEARER, timeout=10)
        schema = schemathesis.openapi.from_dict(served)
        operations = [result.ok() for result in schema.get_all_operations()]
        assert {op.definition.raw["operationId"] for op in operations} >= {"CreateApiKey", "FlushAuthorizerCache",
                                                                           "AssumeRole", "AdminCreateUser"}
        with requests.Session() as session:
            for operation in operations:
                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
                @given(case=operation.as_strategy())
                def call(case: schemathesis.Case) -> None:
                    case.call_and_validate(base_url=admin, session=session, headers=BEARER, checks=CHECKS)

                call()
