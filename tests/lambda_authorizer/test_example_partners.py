"""The payments example's partner authorizer (examples/payments/partners_auth.py, the seed's REQUEST
authorizer in Python): revocation check, tenant lookup, `tenantId` stamped into the context.

The example's route also has `api_key_required: true` (the API-key feature); these tests run the
authorizer on the same route without that flag, so they test this part alone."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import requests
from lakit import EXAMPLE, authorizer, gateway, match_for, request, rest_config

from gatepost.clock import ManualClock
from gatepost.config.load import load_file
from support import RunningGateway, Upstream, run_gateway

ACME = "DemoPartnerAcme4f9c2b7e1d"
GLOBEX = "DemoPartnerGlobex8a1d3c5f2e"
REVOKED = "DemoPartnerInitechRevoked77"


def partners_config(upstream: str) -> str:
    auth = ('{type: lambda, kind: request, function: "partners_auth:handler", identity_sources: [header.x-api-key], '
            'result_ttl: 300}')
    return rest_config(auth, routes=["POST /partners/{id}/transactions"], upstream=upstream)


def post(gw: RunningGateway, partner: str, key: str | None) -> requests.Response:
    headers = {"x-api-key": key} if key is not None else {}
    return gw.post(f"/partners/{partner}/transactions", headers=headers, json={"amount": 10})


def test_partner_is_allowed_on_its_own_resource_with_tenant_stamped(upstream: Upstream) -> None:
    with run_gateway(partners_config(upstream.url), config_dir=EXAMPLE) as gw:
        r = post(gw, "acme", ACME)
        assert r.status_code == 200
        seen = r.json()["headers"]
        assert seen["x-gatepost-context-tenantid"] == "acme"
        assert seen["x-gatepost-context-plan"] == "gold"
        assert seen["x-gatepost-principal-id"] == "acme"
        assert ACME not in json.dumps(seen.get("x-gatepost-context", ""))


def test_another_partners_resource_is_denied_from_the_cached_policy(upstream: Upstream) -> None:
    with run_gateway(partners_config(upstream.url), config_dir=EXAMPLE) as gw:
        assert post(gw, "acme", ACME).status_code == 200
        r = post(gw, "globex", ACME)
        assert r.status_code == 403
        assert r.json() == {"Message": "User is not authorized to access this resource"}
        assert post(gw, "globex", GLOBEX).status_code == 200
        stats = authorizer(gw).stats
        assert (stats.invocations, stats.hits) == (2, 1)
        assert upstream.count == 2


def test_revoked_unknown_and_missing_keys(upstream: Upstream) -> None:
    with run_gateway(partners_config(upstream.url), config_dir=EXAMPLE) as gw:
        r = post(gw, "initech", REVOKED)
        assert r.status_code == 403
        assert r.json() == {"Message": "User is not authorized to access this resource with an explicit deny"}
        assert post(gw, "acme", "not-a-partner").status_code == 401
        assert post(gw, "acme", None).status_code == 401
        assert authorizer(gw).stats.invocations == 2  # the missing key never reached the function
        assert upstream.count == 0


async def test_a_revocation_bites_after_the_ttl_or_a_flush(tmp_path: Path) -> None:
    folder = tmp_path / "payments"
    folder.mkdir()
    shutil.copy(EXAMPLE / "partners_auth.py", folder)
    shutil.copy(EXAMPLE / "partners.json", folder)
    clock = ManualClock()
    gw = gateway(partners_config("http://127.0.0.1:9"), clock=clock, config_dir=folder)
    await gw.start()
    req = request("POST", "/partners/acme/transactions", headers={"x-api-key": ACME})
    match = match_for(gw, req)
    a = authorizer(gw)
    assert (await a.authorize(req, match)).allowed
    table = json.loads((folder / "partners.json").read_text())
    table["revoked"].append(hashlib.sha256(ACME.encode()).hexdigest())
    (folder / "partners.json").write_text(json.dumps(table))
    assert (await a.authorize(req, match)).allowed  # the cached Allow stands until the TTL ends, as on AWS
    clock.advance(300)
    assert (await a.authorize(req, match)).reason == "lambda.explicit_deny"
    table["revoked"].remove(hashlib.sha256(ACME.encode()).hexdigest())
    (folder / "partners.json").write_text(json.dumps(table) + " ")
    assert (await a.authorize(req, match)).reason == "lambda.explicit_deny"  # a cached Deny too
    await a.flush()
    assert (await a.authorize(req, match)).allowed
    await gw.close()


def test_the_example_config_names_this_authorizer() -> None:
    config, _ = load_file(EXAMPLE / "gatepost.yaml")
    partners = config.apis["payments"].authorizers["partners"]
    assert (partners.type, partners.kind, partners.function) == ("lambda", "request", "partners_auth:handler")
    assert partners.identity_sources == ["header.x-api-key"] and partners.result_ttl == 300
