from __future__ import annotations

from support import Upstream, run_gateway


def config(url: str) -> str:
    return f"""
apis:
  web:
    flavour: http
    cors:
      allow_origins: ["https://app.example.com"]
      allow_headers: [authorization, content-type]
      expose_headers: [x-request-id]
      max_age: 600
    authorizers:
      locked: {{type: iam}}
    routes:
      - {{route: "GET /open", public: true}}
      - {{route: "POST /locked", authorizer: locked}}
    integration: {{http: "{url}"}}
"""


def test_preflight_is_answered_without_auth_and_without_the_integration(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        r = gw.request("OPTIONS", "/locked", headers={"Origin": "https://app.example.com",
                                                       "Access-Control-Request-Method": "POST"})
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"
        assert "POST" in r.headers["access-control-allow-methods"]
        assert r.headers["access-control-allow-headers"] == "authorization, content-type"
        assert r.headers["access-control-max-age"] == "600"
        assert upstream.count == 0


def test_gateway_errors_carry_cors_headers(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        r = gw.post("/locked", headers={"Origin": "https://app.example.com"})
        assert r.status_code >= 400
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"
        r = gw.get("/missing", headers={"Origin": "https://app.example.com"})
        assert r.status_code == 404
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"


def test_success_responses_carry_cors_headers_and_other_origins_get_none(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url)) as gw:
        r = gw.get("/open", headers={"Origin": "https://app.example.com"})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"
        assert r.headers["access-control-expose-headers"] == "x-request-id"
        r = gw.get("/open", headers={"Origin": "https://evil.example.com"})
        assert "access-control-allow-origin" not in r.headers
        r = gw.request("OPTIONS", "/open", headers={"Origin": "https://evil.example.com",
                                                     "Access-Control-Request-Method": "GET"})
        assert r.status_code == 204 and "access-control-allow-origin" not in r.headers
