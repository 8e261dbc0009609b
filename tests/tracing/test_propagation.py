"""W3C Trace Context through a real gateway: to an HTTP upstream, into Lambda-proxy events (with X-Amzn-Trace-Id)
and into the access log; trusted callers' traces continue, others' are replaced; off, nothing changes."""

from __future__ import annotations

import json
from pathlib import Path

from tkit import AUTH, CLIENT_TRACE, HERE, VALID, config, parts

from gatepost.observe.access_log import AccessLog
from support import Upstream, run_gateway


def log_lines(log: AccessLog, path: Path) -> list[dict[str, object]]:
    log.close()
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_off_the_gateway_leaves_trace_headers_alone(upstream: Upstream, tmp_path: Path) -> None:
    log = AccessLog(str(tmp_path / "access.log"), interval=0.01)
    with run_gateway(config(upstream.url, tracing=None), config_dir=HERE, access_log=log) as gw:
        assert gw.gateway.tracer is None
        assert gw.get("/open", headers={"traceparent": VALID, "tracestate": "congo=x"}).status_code == 200
        assert gw.get("/open").status_code == 200
    seen = upstream.calls[0]["headers"]
    assert seen["traceparent"] == VALID and seen["tracestate"] == "congo=x"  # passed on like any other header
    assert "traceparent" not in upstream.calls[1]["headers"]
    assert all("trace_id" not in line for line in log_lines(log, tmp_path / "access.log"))


def test_an_untrusted_callers_trace_is_replaced_and_logged(upstream: Upstream, tmp_path: Path) -> None:
    log = AccessLog(str(tmp_path / "access.log"), interval=0.01)
    with run_gateway(config(upstream.url), config_dir=HERE, access_log=log) as gw:
        r = gw.get("/items/7", headers={**AUTH, "traceparent": VALID, "tracestate": "congo=x"})
        assert r.status_code == 200
        assert gw.get("/open").status_code == 200
    first, second = (call["headers"] for call in upstream.calls)
    trace_id, parent, flags = parts(first["traceparent"])
    assert trace_id != CLIENT_TRACE and parent != "00f067aa0ba902b7" and flags == "01"
    assert "tracestate" not in first
    assert parts(second["traceparent"])[0] not in (trace_id, CLIENT_TRACE)  # each request its own trace
    lines = log_lines(log, tmp_path / "access.log")
    assert [line["trace_id"] for line in lines] == [trace_id, parts(second["traceparent"])[0]]


def test_a_trusted_callers_trace_continues(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url, trusted=True), config_dir=HERE) as gw:
        r = gw.get("/items/7", headers={**AUTH, "traceparent": VALID, "tracestate": "congo=t61rcWkgMzE"})
        assert r.status_code == 200
        assert gw.get("/open", headers={"traceparent": VALID[:-2] + "00"}).status_code == 200
    first, second = (call["headers"] for call in upstream.calls)
    trace_id, parent, flags = parts(first["traceparent"])
    assert (trace_id, flags) == (CLIENT_TRACE, "01") and parent != "00f067aa0ba902b7"  # the gateway's span
    assert first["tracestate"] == "congo=t61rcWkgMzE"
    assert parts(second["traceparent"])[::2] == (CLIENT_TRACE, "00")  # not sampled upstream either


def test_malformed_traceparents_start_a_new_trace_never_an_error(upstream: Upstream) -> None:
    bad = ["ff" + VALID[2:], "00-00000000000000000000000000000000-00f067aa0ba902b7-01", VALID.upper(),
           VALID + "-x", VALID[:40], "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "\u00e9" * 55]
    with run_gateway(config(upstream.url, trusted=True), config_dir=HERE) as gw:
        for value in bad:
            r = gw.get("/open", headers={"traceparent": value.encode("utf-8").decode("latin-1"),
                                         "tracestate": "congo=x"})
            assert r.status_code == 200, value
    for call in upstream.calls:
        trace_id, _, _ = parts(call["headers"]["traceparent"])
        assert trace_id not in (CLIENT_TRACE, "0" * 32)
        assert "tracestate" not in call["headers"]  # a tracestate without a valid traceparent is not read


def test_lambda_events_carry_the_trace(upstream: Upstream) -> None:
    with run_gateway(config(upstream.url, trusted=True), config_dir=HERE) as gw:
        event = gw.get("/fn", headers={"traceparent": VALID}).json()
        fresh = gw.get("/fn").json()
    trace_id, parent, _ = parts(event["headers"]["traceparent"])
    assert trace_id == CLIENT_TRACE and parent != "00f067aa0ba902b7"
    assert event["headers"]["x-amzn-trace-id"].startswith(f"Root=1-{CLIENT_TRACE[:8]}-{CLIENT_TRACE[8:]};Parent=")
    fresh_id = parts(fresh["headers"]["traceparent"])[0]
    assert fresh["headers"]["x-amzn-trace-id"].startswith(f"Root=1-{fresh_id[:8]}-{fresh_id[8:]};")
    assert abs(int(fresh_id[:8], 16) - fresh["requestContext"]["timeEpoch"] // 1000) <= 2  # X-Ray's epoch part


def test_a_clients_xray_header_is_kept_as_aws_keeps_it(upstream: Upstream) -> None:
    xray = "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
    with run_gateway(config(upstream.url), config_dir=HERE) as gw:
        event = gw.get("/fn", headers={"X-Amzn-Trace-Id": xray}).json()
    assert event["headers"]["x-amzn-trace-id"] == xray
    parts(event["headers"]["traceparent"])
