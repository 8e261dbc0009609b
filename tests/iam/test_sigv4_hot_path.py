"""The SigV4 hot path's shortcuts (bench/README.md) answer exactly as the general code: the usual
Authorization header shape parsed by one regex, X-Amz-Date parsed without strptime (and impossible dates
refused as malformed, not a 500), the secret's digest computed once per credential."""

from __future__ import annotations

import calendar
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from iam_signing import botocore_headers
from iam_world import World, config

from gatepost.request import GatewayRequest
from gatepost.sigv4 import params
from gatepost.sigv4.verifier import Credential
from support import Upstream, run_gateway


@pytest.fixture
def gw(world: World, upstream: Upstream) -> Iterator[Any]:
    with run_gateway(config(upstream.url), clock=world.clock, catalog=world.catalog) as running:
        yield running


def _variants(auth: str) -> list[str]:
    cred, signed, sig = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=(\S+), SignedHeaders=(\S+), Signature=(\S+)",
                                     auth).groups()  # type: ignore[union-attr]
    return [
        auth,  # botocore's own: the regex path
        f"AWS4-HMAC-SHA256 Credential={cred},SignedHeaders={signed},Signature={sig}",  # no spaces: regex path
        f"AWS4-HMAC-SHA256 Credential={cred},  SignedHeaders={signed} , Signature={sig.upper()}",  # general loop
        f"AWS4-HMAC-SHA256 Signature={sig}, Credential={cred}, SignedHeaders={signed}",  # reordered: general
    ]


@pytest.mark.parametrize("index", range(4))
def test_authorization_header_spellings_all_verify(gw: Any, world: World, upstream: Upstream, index: int) -> None:
    url = gw.url + "/pets/7?b=2&a=1"
    headers = botocore_headers(world.alice, "GET", url)
    headers["Authorization"] = _variants(headers["Authorization"])[index]
    r = requests.get(url, headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    assert upstream.calls[-1]["headers"]["x-gatepost-caller-arn"].endswith(":user/alice")


def test_both_parse_paths_give_the_same_parameters(world: World) -> None:
    headers = botocore_headers(world.alice, "GET", "http://127.0.0.1:1/pets/7")
    base = tuple((k.lower(), v) for k, v in headers.items() if k.lower() != "authorization")
    parsed = []
    for auth in _variants(headers["Authorization"]):
        req = GatewayRequest(method="GET", path="/pets/7", headers=(*base, ("authorization", auth)))
        parsed.append(params.parse(req))
    assert all(p == parsed[0] for p in parsed), parsed
    assert params._USUAL.fullmatch(_variants(headers["Authorization"])[1]) is not None
    assert params._USUAL.fullmatch(_variants(headers["Authorization"])[2]) is None


@pytest.mark.parametrize("date", ["20261301T000000Z", "20260230T120000Z", "20260101T250000Z", "20260101T000062Z"])
def test_impossible_amz_date_is_a_malformed_signature_not_a_500(gw: Any, world: World, date: str) -> None:
    url = gw.url + "/pets/7"
    headers = botocore_headers(world.alice, "GET", url)
    real = headers["X-Amz-Date"]
    headers["X-Amz-Date"] = date
    headers["Authorization"] = headers["Authorization"].replace(f"/{real[:8]}/", f"/{date[:8]}/")
    r = requests.get(url, headers=headers, timeout=10)
    assert r.status_code == 403, r.text
    assert r.headers["x-amzn-errortype"] == "IncompleteSignatureException"
    assert "ISO-8601" in r.json()["message"]


@pytest.mark.parametrize("date", ["19700101T000000Z", "20000229T235960Z", "20261122T101530Z", "20991231T235959Z"])
def test_amz_epoch_matches_strptime(date: str) -> None:
    assert params.amz_epoch(date) == calendar.timegm(time.strptime(date, "%Y%m%dT%H%M%SZ"))


def test_secret_digest_is_fixed_per_credential() -> None:
    a = Credential("AKIDA", "secret-one")
    assert a.secret_digest == Credential("AKIDA", "secret-one").secret_digest
    assert a.secret_digest != Credential("AKIDA", "secret-two").secret_digest
    assert "secret" not in repr(a)
