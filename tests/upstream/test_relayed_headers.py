"""An upstream answer's headers as the client gets them: the one-pass `relayed` gives exactly what the general
`strip_hop_by_hop` (with Date) gives, whatever the Connection header says."""

from __future__ import annotations

import pytest

from gatepost.integrations.http_proxy import _NOT_RELAYED, relayed, strip_hop_by_hop

NGINX = [("server", "nginx/1.22.1"), ("date", "Mon, 07 Dec 2026 16:00:00 GMT"), ("content-type", "text/plain"),
         ("content-length", "2"), ("connection", "keep-alive")]


@pytest.mark.parametrize("headers", [
    NGINX,
    [("x-a", "1")],
    [],
    [("connection", "Keep-Alive"), ("keep-alive", "timeout=5"), ("x-a", "1")],
    [("connection", "close, X-Secret"), ("x-secret", "s"), ("x-kept", "1")],
    [("connection", "close"), ("connection", "x-later"), ("x-later", "1"), ("set-cookie", "a=1"),
     ("set-cookie", "b=2")],
    [("connection", "upgrade, te"), ("upgrade", "h2c"), ("te", "trailers"), ("x-a", "1")],
    [("transfer-encoding", "chunked"), ("trailer", "x-t"), ("proxy-authenticate", "Basic"), ("x-a", "1")],
])
def test_relayed_is_the_general_strip(headers: list[tuple[str, str]]) -> None:
    assert relayed(headers) == strip_hop_by_hop(headers, _NOT_RELAYED)


def test_nginx_answer() -> None:
    assert relayed(NGINX) == [("server", "nginx/1.22.1"), ("content-type", "text/plain"), ("content-length", "2")]
