"""Micro-benchmark of token verification: Gatepost's verifier (miss and cache hit) next to joserfc doing the
same checks. `python -m gatepost.devtools.jwt_bench [--alg RS256] [--n 3000]` (pin it: `taskset -c 0`).

Prints µs per token, median of interleaved rounds. The keys are already imported in every case (a JWKS cache hit).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from gatepost.authorizers.jwk_import import import_jwk
from gatepost.authorizers.jwks import JwksSettings, JwksSource
from gatepost.authorizers.token_verifier import TokenVerifier, TrustedIssuer
from gatepost.clock import SYSTEM_CLOCK
from gatepost.devtools.issuer import LocalIssuer


def _timed(fn: Callable[[], None], n: int) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def _repeat(fn: Callable[[str], Any], token: str, n: int) -> None:
    for _ in range(n):
        fn(token)


def _verifier(issuer: LocalIssuer, alg: str, cache_size: int) -> TokenVerifier:
    source = JwksSource(issuer.issuer, None, JwksSettings(), SYSTEM_CLOCK, lambda: None)  # type: ignore[arg-type,return-value]
    entries = [import_jwk(k) for k in issuer.jwks()["keys"]]
    source.keys = {e.kid: e for e in entries if e is not None}
    source.fetched_at = SYSTEM_CLOCK.monotonic()
    trusted = {issuer.issuer: TrustedIssuer(issuer.issuer, frozenset({"aud"}), source)}
    return TokenVerifier(trusted, frozenset({alg}), SYSTEM_CLOCK, cache_size=cache_size)


def _joserfc(issuer: LocalIssuer, alg: str) -> Callable[[str], Any]:
    from joserfc import jwt
    from joserfc.jwk import KeySet

    keys = KeySet.import_key_set(issuer.jwks())  # type: ignore[arg-type]
    registry = jwt.JWTClaimsRegistry(iss={"essential": True, "value": issuer.issuer},
                                     aud={"essential": True, "value": "aud"}, exp={"essential": True})

    def verify(token: str) -> Any:
        decoded = jwt.decode(token, keys, algorithms=[alg])
        registry.validate(decoded.claims)
        return decoded
    return verify


def _async_fn(loop: asyncio.AbstractEventLoop, verifier: TokenVerifier, token: str, n: int) -> Callable[[], None]:
    async def run() -> None:
        for _ in range(n):
            await verifier.verify(token)
    return lambda: loop.run_until_complete(run())


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m gatepost.devtools.jwt_bench", description=__doc__)
    p.add_argument("--alg", default="RS256", choices=["RS256", "PS256", "ES256", "EdDSA"])
    p.add_argument("--n", type=int, default=2000, help="tokens per round")
    p.add_argument("--rounds", type=int, default=5)
    args = p.parse_args(argv)
    issuer = LocalIssuer("bench", "http://127.0.0.1:1", alg=args.alg)
    token = issuer.mint(aud="aud", scope="a b", expires_in=3600)
    print(f"{args.alg}, token {len(token)} bytes, µs per token "
          f"(median of {args.rounds} interleaved rounds of {args.n}):")
    loop = asyncio.new_event_loop()
    jose = _joserfc(issuer, args.alg)
    cases: dict[str, Callable[[], None]] = {
        "gatepost verify, cache miss": _async_fn(loop, _verifier(issuer, args.alg, 0), token, args.n),
        "gatepost verify, cache hit": _async_fn(loop, _verifier(issuer, args.alg, 10), token, args.n),
        "joserfc decode + claims": lambda: _repeat(jose, token, args.n),
    }
    results: dict[str, list[float]] = {name: [] for name in cases}
    try:
        for _ in range(args.rounds):  # interleaved, so noise on a shared machine hits every case alike
            for name, fn in cases.items():
                results[name].append(_timed(fn, 1) / args.n)
    finally:
        loop.close()
    for name, values in results.items():
        print(f"  {name:<28}: {statistics.median(values):8.1f}   rounds: {', '.join(f'{v:.1f}' for v in values)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
