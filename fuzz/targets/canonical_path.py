"""The request-path canonicaliser (canonical_path.py): a path as sent is refused (PathRejected) or made
canonical; what it makes is canonical already (the same answer again) and holds no dot segment and no
empty segment."""

from __future__ import annotations

from fuzz.draw import Draw
from gatepost.canonical_path import PathRejected, canonical

PARTS = ["a", "", ".", "..", "%2e", "%2E%2e", ".%2e", "%2f", "%2F", "%5c", "\\", ";p", "%3b", "%25", "%252e",
         "%zz", "%", "é", "%C3%A9", "%00", "A", "%41", "~", " ", "%20"]


def one_input(data: bytes) -> None:
    d = Draw(data)
    raw = d.text(80) if d.int(5) == 0 else "/" + "/".join(d.pick_or_text(PARTS, 8) for _ in range(d.int(7)))
    try:
        decoded, out = canonical(raw)
    except PathRejected:
        return
    again = canonical(out)
    if again != (decoded, out):
        raise AssertionError(f"{raw!r} -> {out!r}, then -> {again[1]!r}: not canonical")
    segments = out.split("/")[1:]
    if any(s in (".", "..") for s in segments) or "" in segments[:-1]:
        raise AssertionError(f"{raw!r} -> {out!r} keeps a dot or empty segment")
