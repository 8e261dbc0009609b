"""Counting a head's line breaks: the check that no header smuggled a CR or LF into a head we write."""

from __future__ import annotations

_SHORT = 512  # characters: below this, one str.count costs less than a find per line (measured, compiled)


def count_at_most(text: str, char: str, limit: int) -> int:
    """How many times `char` (one character) occurs in `text`, counting no further than `limit + 1`.

    On a long head (a JWT and its claims: ~1.5 KB) a `str.find` per line break is memchr over the text, half
    the cost of `str.count`'s loop over every character; on a short head `str.count` is cheaper."""
    if len(text) < _SHORT:
        return min(text.count(char), limit + 1)
    n = 0
    i = text.find(char)
    while i >= 0:
        n += 1
        if n > limit:
            break
        i = text.find(char, i + 1)
    return n


def only_line_ends(text: str, lines: int) -> bool:
    """Whether `text` holds exactly `lines` LFs and `lines` CRs: the line ends of the head we joined and no
    other, so no header value split the head (both heads' check: upstream/head.py, server/wire.py)."""
    return count_at_most(text, "\n", lines) == lines and count_at_most(text, "\r", lines) == lines
