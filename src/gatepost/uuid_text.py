"""Random version-4 UUIDs as text, formatted 256 at a time from one block of random bytes.

A caller takes one from the list (`list.pop`); the version and variant bits are set on the whole block
with two slice translations. About 6x cheaper than `str(uuid.uuid4())` (which was 3 % of a proxied
request as its request id, and an `os.urandom` call per Lambda invocation as its `aws_request_id`), same
format and the same 122 random bits. Safe from any thread (two threads finding the list empty both refill
it). A forked child must `reset` (server/ids.py registers it) so as not to repeat its parent's ids.
"""

from __future__ import annotations

import os

_BLOCK = 256
_VERSION_4 = bytes(b & 0x0F | 0x40 for b in range(256))  # byte 6: 0100xxxx
_VARIANT = bytes(b & 0x3F | 0x80 for b in range(256))  # byte 8: 10xxxxxx (RFC 4122)


class UuidText:
    def __init__(self) -> None:
        self._ids: list[str] = []

    def __call__(self) -> str:
        try:
            return self._ids.pop()
        except IndexError:
            self._refill()
            return self._ids.pop()

    def _refill(self) -> None:
        raw = bytearray(os.urandom(16 * _BLOCK))
        raw[6::16] = raw[6::16].translate(_VERSION_4)
        raw[8::16] = raw[8::16].translate(_VARIANT)
        h = raw.hex()
        self._ids += [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-{h[i + 20:i + 32]}"
                      for i in range(0, 32 * _BLOCK, 32)]

    def reset(self) -> None:
        self._ids.clear()


new_uuid = UuidText()  # any use but the server's request ids (server/ids.py has its own)
os.register_at_fork(after_in_child=new_uuid.reset)
