"""What the integration sees of a Lambda authorizer's decision (reference 7.1 / 7.2): REST and payload 1.0
get `principalId`, the context stringified and `integrationLatency`; payload 2.0 gets `{"lambda": context}`
with native values. Checked end to end through the Lambda-proxy integration."""

from __future__ import annotations

from lakit import AUTHORIZERS, http_config, rest_config

from support import run_gateway


def test_rest_event_has_principal_stringified_context_and_latency() -> None:
    cfg = rest_config('{type: lambda, kind: token, function: "behaviours:handler"}').replace(
        'integration: {http: "http://127.0.0.1:9"}', 'integration: {lambda: "echo_event:handler"}')
    with run_gateway(cfg, config_dir=AUTHORIZERS) as gw:
        first = gw.get("/pets/1", headers={"Authorization": "context"})
        assert first.status_code == 200, first.text
        part = first.json()
        latency = part.pop("integrationLatency")
        assert part == {"principalId": "user-7", "tenantId": "t-42", "tier": "3", "ratio": "0.5", "beta": "true"}
        assert isinstance(latency, int) and latency >= 0
        cached = gw.get("/pets/2", headers={"Authorization": "context"}).json()
        assert cached["integrationLatency"] == 0 and cached["tier"] == "3"  # from the cache: no authorizer call


def test_http_2_0_event_has_the_native_context_under_lambda() -> None:
    cfg = http_config('{type: lambda, function: "simple_v2:handler", enable_simple_responses: true, '
                      'identity_sources: [header.authorization]}').replace(
        'integration: {http: "http://127.0.0.1:9"}', 'integration: {lambda: "echo_event:handler"}')
    with run_gateway(cfg, config_dir=AUTHORIZERS) as gw:
        r = gw.get("/pets/1", headers={"Authorization": "secretToken"})
        assert r.status_code == 200, r.text
        assert r.json() == {"lambda": {"stringKey": "value", "numberKey": 1, "booleanKey": True,
                                       "arrayKey": ["value1", "value2"], "mapKey": {"value1": "value2"}}}
