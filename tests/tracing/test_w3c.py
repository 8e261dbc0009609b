"""W3C Trace Context parsing: what the spec calls invalid is ignored (a new trace starts), never an error; what
the gateway sends on is always a valid version-00 `traceparent`, whatever the client's headers held."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatepost.request import GatewayRequest
from gatepost.tracing.config import TracingConfig
from gatepost.tracing.tracer import Tracer
from gatepost.tracing.w3c import parse_traceparent, parse_tracestate, xray_trace_header

VALID = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
STRICT = re.compile(r"00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-0[01]")


def test_a_valid_traceparent_is_read() -> None:
    assert parse_traceparent(VALID) == (0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7, 1)
    assert parse_traceparent(VALID[:-2] + "00") == (0x4bf92f3577b34da6a3ce929d0e0e4736, 0x00f067aa0ba902b7, 0)


@pytest.mark.parametrize("value", [
    "ff" + VALID[2:],  # version ff is forbidden
    "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
    "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero parent id
    VALID.upper(),  # upper-case hex
    "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
    VALID[:-1],  # too short
    VALID + "0",  # too long for version 00
    VALID + "-extra",  # version 00 has nothing after the flags
    "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",  # field lengths shifted
    "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
    "0-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "",
    " " + VALID,
    "zz" + VALID[2:],
    "\u0663" * 55,
])
def test_invalid_traceparents_are_ignored(value: str) -> None:
    assert parse_traceparent(value) is None


def test_later_versions_are_read_by_their_first_fields() -> None:
    assert parse_traceparent("01" + VALID[2:] + "-what-comes-next") is not None
    assert parse_traceparent("01" + VALID[2:]) is not None
    assert parse_traceparent("01" + VALID[2:] + "x") is None  # more, but not after a "-"


def test_tracestate_members_are_checked_and_kept_in_order() -> None:
    assert parse_tracestate(["congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7"]) == \
        "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
    assert parse_tracestate([" congo=a ,, tenant@vendor=b "]) == "congo=a,tenant@vendor=b"
    for bad in (["Congo=a"], ["congo"], ["congo=a=b"], ["congo=a,congo=b"], ["congo=\u00e9"], ["congo=a\x7f"], [""],
                [",".join(f"k{i}=v" for i in range(33))], ["k=" + "v" * 600]):
        assert parse_tracestate(bad) is None, bad


def test_the_xray_header_is_the_same_trace() -> None:
    header = xray_trace_header(0x5f8a1b2c4bf92f3577b34da6a3ce9292, 0x00f067aa0ba902b7, True)
    assert header == "Root=1-5f8a1b2c-4bf92f3577b34da6a3ce9292;Parent=00f067aa0ba902b7;Sampled=1"


def request(*headers: tuple[str, str]) -> GatewayRequest:
    return GatewayRequest(method="GET", path="/", headers=tuple(headers), source_ip="203.0.113.9")


TRACER = Tracer(TracingConfig())


def test_a_trusted_caller_continues_its_trace() -> None:
    trace = TRACER.begin(request(("traceparent", VALID), ("tracestate", "congo=t61rcWkgMzE")), trusted=True)
    assert trace.trace_id_hex == "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace.parent_id == 0x00f067aa0ba902b7 and trace.sampled and trace.tracestate == "congo=t61rcWkgMzE"
    sent = trace.traceparent()
    assert sent.startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-") and "00f067aa0ba902b7" not in sent


def test_an_untrusted_callers_trace_is_replaced() -> None:
    trace = TRACER.begin(request(("traceparent", VALID), ("tracestate", "congo=x")), trusted=False)
    assert trace.trace_id_hex != "4bf92f3577b34da6a3ce929d0e0e4736"
    assert trace.parent_id is None and trace.tracestate is None


def test_a_trusted_caller_not_sampling_is_followed() -> None:
    trace = TRACER.begin(request(("traceparent", VALID[:-2] + "00")), trusted=True)
    assert not trace.sampled and trace.traceparent().endswith("-00")


def test_repeated_traceparent_headers_start_a_new_trace() -> None:
    trace = TRACER.begin(request(("traceparent", VALID), ("traceparent", VALID)), trusted=True)
    assert trace.parent_id is None and trace.trace_id_hex != "4bf92f3577b34da6a3ce929d0e0e4736"


def test_sample_ratio_zero_samples_no_new_trace() -> None:
    tracer = Tracer(TracingConfig(sample_ratio=0.0))
    assert not any(tracer.begin(request(), trusted=False).sampled for _ in range(50))
    assert all(Tracer(TracingConfig()).begin(request(), trusted=False).sampled for _ in range(50))


HEADERISH = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789abcdefABCDEF-", min_size=50, max_size=60),
    st.builds(lambda v, t, p, f, rest: f"{v}-{t}-{p}-{f}{rest}",
              st.text(alphabet="0123456789abcdef", min_size=2, max_size=2),
              st.sampled_from(["0" * 32, "4bf92f3577b34da6a3ce929d0e0e4736", "4BF92F3577B34DA6A3CE929D0E0E4736"]),
              st.sampled_from(["0" * 16, "00f067aa0ba902b7"]),
              st.text(alphabet="0123456789abcdefx", min_size=2, max_size=2),
              st.sampled_from(["", "-", "-x", "x"])),
)


@given(traceparent=st.lists(HEADERISH, max_size=3), tracestate=st.lists(st.text(max_size=40), max_size=3),
       trusted=st.booleans())
def test_whatever_the_headers_say_the_gateway_sends_a_valid_traceparent(
        traceparent: list[str], tracestate: list[str], trusted: bool) -> None:
    for value in traceparent:
        parse_traceparent(value)  # never raises
    parse_tracestate(tracestate)
    headers = [("traceparent", v) for v in traceparent] + [("tracestate", v) for v in tracestate]
    trace = TRACER.begin(request(*headers), trusted=trusted)
    assert STRICT.fullmatch(trace.traceparent())
    assert trace.tracestate is None or (trusted and parse_tracestate([trace.tracestate]) == trace.tracestate)
