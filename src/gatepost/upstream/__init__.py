"""A lean HTTP/1.1 upstream client: keep-alive connection pools on asyncio protocols, parsed by llhttp.

`Pool(origin).request(method, target, headers, body)` -> `UpstreamResponse` (status, headers, then the
body already complete or streamed). See docs/performance.md for why it exists (aiohttp's client was
~80 % of a proxied request's CPU).
"""

from gatepost.upstream.errors import UpstreamClosed, UpstreamError, UpstreamProtocolError, UpstreamTimeout
from gatepost.upstream.origin import Origin
from gatepost.upstream.pool import Pool
from gatepost.upstream.response import UpstreamResponse

__all__ = ["Origin", "Pool", "UpstreamClosed", "UpstreamError", "UpstreamProtocolError", "UpstreamResponse",
           "UpstreamTimeout"]
