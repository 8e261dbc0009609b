"""per_second.PerSecondText: each `now` gets its own second's text, in any order of calls (a clock set back
included), and a second is rendered once while calls stay in it."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gatepost.per_second import PerSecondText


@given(st.lists(st.floats(min_value=0, max_value=4_102_444_800, allow_nan=False), min_size=1, max_size=30))
def test_each_moment_gets_its_own_seconds_text_in_any_order(moments: list[float]) -> None:
    text = PerSecondText(lambda second: f"s{second}")
    for now in moments:
        assert text.at(now) == f"s{int(now)}"


def test_a_second_is_rendered_once_while_calls_stay_in_it() -> None:
    rendered: list[int] = []
    text = PerSecondText(lambda second: (rendered.append(second), str(second))[1])
    for now in (100.0, 100.2, 100.999, 101.0, 101.5, 100.5, 100.6):
        text.at(now)
    assert rendered == [100, 101, 100]
