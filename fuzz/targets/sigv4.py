"""SigV4: the Authorization header and presigned-query parsers, then the canonical request and string to
sign for what parsed. Refusals are GatewayErrors (AWS's 403 shapes); anything else escaping is a finding."""

from __future__ import annotations

from fuzz.draw import Draw
from gatepost.errors import GatewayError
from gatepost.request import GatewayRequest
from gatepost.sigv4 import params
from gatepost.sigv4.canonical import canonical_request, payload_hash, string_to_sign
from gatepost.sigv4.encoding import canonical_query, canonical_uri, query_pairs

AUTH = ["AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/execute-api/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "a" * 64,
        "AWS4-HMAC-SHA256 Credential=AKID/2015/r/s/aws4_request,SignedHeaders=host,Signature=00",
        "AWS4-HMAC-SHA256 Credential=, SignedHeaders=, Signature=", "AWS4-HMAC-SHA256 ,,,=,", "Bearer x",
        "AWS4-HMAC-SHA256 Credential=a/b/c/d/e/f, SignedHeaders=;;Host;;, Signature=zz"]
QUERIES = ["X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20150830%2Fus-east-1%2Fexecute-api%2F"
           "aws4_request&X-Amz-Date=20150830T123600Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=ab",
           "a=1&a=2&b", "X-Amz-Expires=99999999999999999999", "%zz=%", "&&=&", "X-Amz-Date=2015"]
DATES = ["20150830T123600Z", "20151330T123600Z", "2015", "", "99999999T999999Z", "20150830T123600Z "]
PATHS = ["/", "/a/../b", "/%2e%2e/x", "//a//", "/a%2Fb", "/é", "/%", "/a b", ""]


def _request(d: Draw) -> GatewayRequest:
    headers = [("host", d.pick_or_text(["example.com", ""]))]
    if d.bool():
        headers.append(("authorization", d.pick_or_text(AUTH, 200)))
    if d.bool():
        headers.append(("x-amz-date", d.pick_or_text(DATES)))
    for _ in range(d.int(3)):
        headers.append((d.pick_or_text(["x-amz-security-token", "date", "x-amz-date", "content-type"]), d.text(30)))
    return GatewayRequest(method=d.pick_or_text(["GET", "POST", "get"]), path=d.pick_or_text(PATHS, 40),
                          query_string=d.pick_or_text(QUERIES, 200), headers=tuple(headers), body=d.raw(20))


def one_input(data: bytes) -> None:
    d = Draw(data)
    req = _request(d)
    params.authorization_error(req)
    try:
        p = params.parse(req)
    except GatewayError:
        p = None
    if p is not None:
        creq = canonical_request(req.method, req.path, list(p.query), req.headers, p.signed_headers,
                                 payload_hash(req.body))
        string_to_sign(p.amz_date, p.scope, creq)
    canonical_uri(d.text(60))
    canonical_query(query_pairs(d.text(80)))
