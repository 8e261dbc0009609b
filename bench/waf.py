"""In-process cost of a Web ACL on the public route: `pipeline.serve` in a loop on pre-built requests, the same
route with no Web ACL and with a ten-rule ACL (every statement kind a public route typically meets, one of
them a rate-based rule on the memory counters), and the ACL's evaluation alone.

    taskset -c 0 .venv/bin/python bench/waf.py [--requests 20000] [--rounds 5]

A clean request is the worst case: it goes through all ten rules (a blocked one stops early). The goal
(issue 21): under 10 µs of CPU per request for the ACL, read as the clean row minus the no-ACL row of the same
run. Rows are measured in interleaved rounds with the process's CPU time. Numbers in bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from gatepost.bootstrap import build_gateway
from gatepost.pipeline import serve
from gatepost.request import GatewayRequest


def _t(*types: str) -> list[dict[str, Any]]:
    return [{"Priority": i, "Type": t} for i, t in enumerate(types)]


def _rule(name: str, priority: int, statement: dict[str, Any], action: str = "Block",
          labels: list[str] | None = None) -> dict[str, Any]:
    rule = {"Name": name, "Priority": priority, "Action": {action: {}}, "Statement": statement,
            "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}}
    if labels:
        rule["RuleLabels"] = [{"Name": label} for label in labels]
    return rule


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


ARN = "arn:aws:wafv2:us-east-1:123456789012:regional"
TEN_RULES = [
    _rule("blocked-ips", 0, {"IPSetReferenceStatement": {"ARN": f"{ARN}/ipset/blocked/1"}}),
    _rule("admin-path", 1, {"ByteMatchStatement": {"SearchString": _b64("/admin"), "FieldToMatch": {"UriPath": {}},
                                                   "TextTransformations": _t("URL_DECODE", "LOWERCASE"),
                                                   "PositionalConstraint": "STARTS_WITH"}}),
    _rule("bad-bots", 2, {"RegexPatternSetReferenceStatement": {
        "ARN": f"{ARN}/regexpatternset/bots/2", "FieldToMatch": {"SingleHeader": {"Name": "user-agent"}},
        "TextTransformations": _t("LOWERCASE")}}),
    _rule("long-query", 3, {"SizeConstraintStatement": {"FieldToMatch": {"QueryString": {}}, "ComparisonOperator": "GT",
                                                        "Size": 2048, "TextTransformations": _t("NONE")}}),
    _rule("debug-flag", 4, {"ByteMatchStatement": {"SearchString": _b64("true"),
                                                   "FieldToMatch": {"SingleQueryArgument": {"Name": "debug"}},
                                                   "TextTransformations": _t("LOWERCASE"),
                                                   "PositionalConstraint": "EXACTLY"}}, "Count", ["debug"]),
    _rule("debug-writes", 5, {"AndStatement": {"Statements": [
        {"LabelMatchStatement": {"Scope": "LABEL", "Key": "debug"}},
        {"NotStatement": {"Statement": {"ByteMatchStatement": {
            "SearchString": _b64("GET"), "FieldToMatch": {"Method": {}}, "TextTransformations": _t("NONE"),
            "PositionalConstraint": "EXACTLY"}}}}]}}),
    _rule("traversal", 6, {"ByteMatchStatement": {"SearchString": _b64("../"), "FieldToMatch": {"UriPath": {}},
                                                  "TextTransformations": _t("URL_DECODE"),
                                                  "PositionalConstraint": "CONTAINS"}}),
    _rule("sqli", 7, {"SqliMatchStatement": {"FieldToMatch": {"QueryString": {}},
                                             "TextTransformations": _t("URL_DECODE", "HTML_ENTITY_DECODE")}}),
    _rule("xss", 8, {"XssMatchStatement": {"FieldToMatch": {"QueryString": {}},
                                           "TextTransformations": _t("URL_DECODE", "HTML_ENTITY_DECODE")}}),
    _rule("per-ip", 9, {"RateBasedStatement": {"Limit": 2_000_000_000, "EvaluationWindowSec": 300,
                                               "AggregateKeyType": "IP"}}),
]
ACL = {"WebACL": {"Name": "ten-rules", "DefaultAction": {"Allow": {}}, "Rules": TEN_RULES,
                  "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True,
                                       "MetricName": "ten-rules"}}}
IP_SET = {"IPSet": {"Name": "blocked", "ARN": f"{ARN}/ipset/blocked/1", "IPAddressVersion": "IPV4",
                    "Addresses": ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.7/32"]}}
BOTS = {"RegexPatternSet": {"Name": "bots", "ARN": f"{ARN}/regexpatternset/bots/2",
                            "RegularExpressionList": [{"RegexString": "^sqlmap"}, {"RegexString": "nikto|masscan"}]}}

CONFIG = """
state: {catalog: "sqlite:///catalog.db"}
server: {access_log: "off"}
web_acls:
  ten: {file: acl.json, ip_sets: [ipset.json], regex_pattern_sets: [bots.json]}
apis:
  plain:
    base_path: /plain
    routes: [{route: "GET /items", public: true}]
    integration: {mock: {status: 200, body: ok}}
  guarded:
    base_path: /guarded
    web_acl: ten
    routes: [{route: "GET /items", public: true}]
    integration: {mock: {status: 200, body: ok}}
"""


def _request(path: str, query: str = "q=blue+shoes&page=2") -> GatewayRequest:
    headers = (("host", "127.0.0.1:8080"), ("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0"),
               ("accept", "application/json"))
    return GatewayRequest(method="GET", path=path, query_string=query, headers=headers, source_ip="10.0.0.7",
                          request_id="bench", received_at=time.time())


async def _build() -> None:
    _request("/guarded/items")


async def _cost(fn: Any, n: int) -> float:
    """CPU µs per call: the process's CPU time (user + system, `time.process_time`), not the wall clock, so
    that other processes on a loaded machine do not count (they still slow caches and the scheduler down)."""
    start = time.process_time()
    for _ in range(n):
        await fn()
    return (time.process_time() - start) / n * 1e6


async def measure(conf: Path, args: argparse.Namespace) -> None:
    gw = build_gateway(conf)
    await gw.start()
    try:
        guarded = next(a for a in gw.apis if a.name == "guarded")
        acl = guarded.web_acl.acl  # type: ignore[attr-defined]
        counters = guarded.web_acl.counters  # type: ignore[attr-defined]
        rows = [
            ("public route, no Web ACL", lambda: serve(gw, _request("/plain/items"))),
            ("public route, ten-rule Web ACL (clean: all ten rules run)",
             lambda: serve(gw, _request("/guarded/items"))),
            ("public route, ten-rule Web ACL (blocked by rule 2, AWS's 403)",
             lambda: serve(gw, _request("/guarded/admin"))),
            ("the ten-rule ACL's evaluation alone, compiled (clean)",
             lambda: acl.evaluate(_request("/guarded/items"), time.time(), counters)),
            ("the same, interpreted (the reference evaluator)",
             lambda: acl.interpret(_request("/guarded/items"), time.time(), counters)),
            ("building the request alone (in every row above)", _build),
        ]
        for _, fn in rows:
            await _cost(fn, min(args.requests, 2000))  # warm-up
        rounds: dict[str, list[float]] = {name: [] for name, _ in rows}
        for _ in range(args.rounds):  # rows interleaved: a change in the machine's load hits every row alike
            for name, fn in rows:
                rounds[name].append(await _cost(fn, args.requests))
        median = {name: statistics.median(values) for name, values in rounds.items()}
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"CPU µs per request (process CPU time / requests), median of {args.rounds} interleaved rounds of "
              f"{args.requests}; load average {load} on {os.cpu_count()} CPUs\n")
        print("| row | CPU µs/request | spread |\n|---|---:|---:|")
        for name, values in rounds.items():
            print(f"| {name} | {median[name]:.1f} | {min(values):.1f}-{max(values):.1f} |")
        plain, clean = median[rows[0][0]], median[rows[1][0]]
        print(f"| **the ten-rule ACL's cost on the public route** (clean - no Web ACL) | **{clean - plain:.1f}** | |")
    finally:
        await gw.close()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--requests", type=int, default=20000)
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="gatepost-waf-bench-") as t:
        tmp = Path(t)
        for name, doc in (("acl.json", ACL), ("ipset.json", IP_SET), ("bots.json", BOTS)):
            (tmp / name).write_text(json.dumps(doc))
        (tmp / "gatepost.yaml").write_text(CONFIG)
        asyncio.run(measure(tmp / "gatepost.yaml", args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
