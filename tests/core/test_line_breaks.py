"""count_at_most and only_line_ends: the line-break checks against smuggling (upstream/head.py, server/wire.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gatepost.line_breaks import count_at_most, only_line_ends

PIECES = st.sampled_from(["a", "\r", "\n", "\r\n", ": ", "é", "\u2028", "\x85", "x" * 40])


@given(st.lists(PIECES, max_size=80).map("".join), st.sampled_from(["\r", "\n", "a"]), st.integers(0, 40))
def test_it_counts_as_str_count_does_up_to_one_past_the_limit(text: str, char: str, limit: int) -> None:
    assert count_at_most(text, char, limit) == min(text.count(char), limit + 1)


def test_a_head_with_one_smuggled_break_is_one_over() -> None:
    head = "GET / HTTP/1.1\r\nhost: a\r\nx-note: one\r\ntwo\r\n\r\n"
    assert count_at_most(head, "\n", 4) == 5 and count_at_most(head, "\r", 4) == 5
    assert count_at_most(head.replace("one\r\ntwo", "one two"), "\n", 4) == 4
    assert count_at_most("", "\n", 0) == 0 and count_at_most("\n", "\n", 0) == 1
    long = head.replace("one", "o" * 600)  # the find loop, past the short-text threshold
    assert count_at_most(long, "\n", 4) == 5 and count_at_most(long, "\n", 9) == 5


@given(st.lists(PIECES, max_size=80).map("".join), st.integers(0, 40))
def test_only_line_ends_is_exactly_that_many_of_each(text: str, lines: int) -> None:
    assert only_line_ends(text, lines) is (text.count("\n") == lines and text.count("\r") == lines)
