"""One RS256 verification (cryptography/OpenSSL, as the JWT authorizer calls it) with warm caches, and after
other memory traffic of a chosen size between two verifications: what a request's own work does to the
verification that follows it.

    taskset -c 0 .venv/bin/python bench/cold_verify.py [--touch-kb 256,1024,2048] [--n 3000]

Prints µs per verification alone, per memory pass alone, and per pair, and the verification's share of the
pair (pair minus pass) for each size. CPU time of this process; run it pinned for steadier figures.
"""

from __future__ import annotations

import argparse
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def per_call(fn: object, n: int) -> float:
    start = time.process_time()
    for _ in range(n):
        fn()  # type: ignore[operator]
    return (time.process_time() - start) / n * 1e6


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--touch-kb", default="64,256,1024,2048", help="memory touched between verifications (KiB)")
    p.add_argument("--n", type=int, default=3000)
    args = p.parse_args()
    key = rsa.generate_private_key(65537, 2048)
    public, data = key.public_key(), b"x" * 600  # a 620-byte token's signing input, about
    pad, sha = padding.PKCS1v15(), hashes.SHA256()
    sig = key.sign(data, pad, sha)

    def verify() -> None:
        public.verify(sig, data, pad, sha)

    warm = per_call(verify, args.n)
    print("| memory touched between verifications | pass alone µs | pass + verification µs | verification µs |")
    print("|---:|---:|---:|---:|")
    print(f"| none (warm caches) | - | - | {warm:.1f} |")
    for kb in (int(k) for k in args.touch_kb.split(",")):
        memory = bytearray(kb * 1024)
        zeros = bytes(len(memory) // 64)

        def touch(m: bytearray = memory, z: bytes = zeros) -> None:
            m[::64] = z  # one write per 64-byte cache line

        def both() -> None:
            touch()
            verify()

        alone, pair = per_call(touch, args.n), per_call(both, args.n)
        print(f"| {kb:,} KiB | {alone:.1f} | {pair:.1f} | {pair - alone:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
