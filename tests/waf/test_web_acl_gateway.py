"""A Web ACL exported with `aws wafv2 get-web-acl` (and its IP sets and regex pattern set) runs unchanged in
front of an API, over real HTTP: blocks before any authorizer or integration, AWS's 403 body or the rule's
custom response, Count rules and labels, and the access log (rule names and labels, never matched values)."""

from __future__ import annotations

import json
from pathlib import Path

from gatepost.observe.access_log import AccessLog
from support import Upstream, run_gateway

FIXTURES = Path(__file__).parent / "fixtures"


def config(url: str, flavour: str = "rest") -> str:
    return f"""
server: {{trusted_proxies: ["127.0.0.1/32", "::1/128"]}}
web_acls:
  shared:
    file: shared-acl.json
    ip_sets: [blocked-v4.json, blocked-v6.json]
    regex_pattern_sets: [bad-bots.json]
apis:
  shop:
    flavour: {flavour}
    web_acl: shared
    base_path: /shop
    authorizers: {{internal: {{type: iam}}}}
    routes:
      - {{route: "GET /items", public: true}}
      - {{route: "POST /items", public: true}}
      - {{route: "POST /internal/refresh", authorizer: internal}}
    integration: {{http: "{url}"}}
  plain:
    base_path: /plain
    routes:
      - {{route: "GET /items", public: true}}
    integration: {{http: "{url}"}}
"""


def _from(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": ip}


def test_allowed_requests_reach_the_integration(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url), config_dir=FIXTURES) as gw:
        r = gw.get("/shop/items?q=shoes", headers={**_from("203.0.113.9"), "User-Agent": "curl/8.0"})
        assert r.status_code == 200
        assert upstream.count == 1


def test_an_ip_in_either_ip_set_is_blocked_with_aws_default_body_before_the_authorizer(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url), config_dir=FIXTURES) as gw:
        for ip in ("192.0.2.44", "198.51.100.7", "2001:db8:bad::1"):
            r = gw.post("/shop/internal/refresh", headers=_from(ip))  # no SigV4: the authorizer would say 403 too
            assert r.status_code == 403, ip
            assert r.json() == {"message": "Forbidden"}
            assert r.headers["x-amzn-errortype"] == "ForbiddenException"
        r = gw.post("/shop/internal/refresh", headers=_from("198.51.100.8"))  # /32: the neighbour is not listed
        assert r.json() == {"message": "Missing Authentication Token"}
        r = gw.get("/plain/items", headers=_from("192.0.2.44"))  # the other API has no Web ACL
        assert r.status_code == 200
        assert upstream.count == 1


def test_custom_response_after_decoding_and_path_normalisation(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url), config_dir=FIXTURES) as gw:
        for path in ("/shop/admin", "/shop/%41dmin/users", "/shop/items/../ADMIN", "/shop//admin"):
            r = gw.get(path, headers=_from("203.0.113.9"))
            assert r.status_code == 451, path
            assert r.json() == {"error": "admin is closed"}
            assert r.headers["content-type"] == "application/json"
            assert r.headers["x-blocked-by"] == "shared-acl"
        assert upstream.count == 0


def test_regex_pattern_set_size_constraint_and_sqli(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url), config_dir=FIXTURES) as gw:
        assert gw.get("/shop/items", headers={"User-Agent": "SQLMap/1.7"}).status_code == 403
        assert gw.get("/shop/items", headers={"User-Agent": "Mozilla/5.0 (nikto scan)"}).status_code == 403
        assert gw.get("/shop/items", headers={"User-Agent": "Mozilla/5.0"}).status_code == 200
        assert gw.get("/shop/items?q=" + "a" * 510).status_code == 200  # "q=" + 510: 512 bytes, not GT 512
        assert gw.get("/shop/items?q=" + "a" * 511).status_code == 403
        assert gw.get("/shop/items?id=1%27%20OR%20%271%27%3D%271").status_code == 403
        assert gw.get("/shop/items?id=42").status_code == 200


def test_count_rule_labels_and_a_later_label_match(upstream: Upstream, tmp_path: Path) -> None:
    log_file = tmp_path / "access.log"
    access_log = AccessLog(str(log_file))
    with run_gateway(config(upstream.url), config_dir=FIXTURES, access_log=access_log) as gw:
        assert gw.get("/shop/items?debug=TRUE").status_code == 200  # counted, labelled, allowed
        assert gw.post("/shop/items?debug=true").status_code == 403  # the label, and not a GET: blocked
        assert gw.post("/shop/items?debug=no").status_code == 200
        assert gw.get("/shop/items", headers={"User-Agent": "sqlmap/1.7"}).status_code == 403
    access_log.flush()
    records = [json.loads(line) for line in log_file.read_text().splitlines()]
    counted, blocked, plain, bot = records
    label = "awswaf:123456789012:webacl:shared-acl:suspicious:debug"
    assert counted["waf"] == {"acl": "shared-acl", "action": "ALLOW", "rule": "Default_Action",
                              "labels": [label], "counted": ["TagDebug"]}
    assert blocked["waf"] == {"acl": "shared-acl", "action": "BLOCK", "rule": "NoDebugWrites",
                              "labels": [label], "counted": ["TagDebug"]}
    assert blocked["reason"] == "waf.blocked" and blocked["error_type"] == "WAF_FILTERED"
    assert "waf" not in plain  # nothing matched: nothing to say
    assert bot["waf"]["rule"] == "BadBots"
    assert "sqlmap" not in log_file.read_text().lower()  # the matched value never reaches the log


def test_http_api_and_gateway_response_override(upstream: Upstream) -> None:
    text = config(upstream.url, "http").replace("    web_acl: shared\n", """    web_acl: shared
    gateway_responses:
      WAF_FILTERED: {status: 429, body: '{"blocked": $context.error.messageString}'}
""")
    with run_gateway(text, config_dir=FIXTURES) as gw:
        r = gw.get("/shop/items", headers=_from("192.0.2.1"))
        assert r.status_code == 429
        assert r.json() == {"blocked": "Forbidden"}


def test_forwarded_header_from_an_untrusted_peer_is_not_believed(upstream: Upstream) -> None:
    text = config(upstream.url).replace('server: {trusted_proxies: ["127.0.0.1/32", "::1/128"]}', "")
    with run_gateway(text, config_dir=FIXTURES) as gw:
        assert gw.get("/shop/items", headers=_from("192.0.2.44")).status_code == 200  # the peer is 127.0.0.1
