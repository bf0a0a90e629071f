"""perfpay.report.tables.shown: each value formatted once across tables, and always as fmt does."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from perfpay.report.tables import esc, fmt, shown

KINDS = [None, "money", "points", "delta", "raw", "int", "percent", "text"]

# values equal to each other that print differently in some kinds
TRICKY = [Decimal("1.1"), Decimal("1.10"), Decimal("-0"), Decimal("0"), Decimal("0.00"), Decimal("1E+1"),
          Decimal("10"), Decimal("NaN"), Decimal("-0.005"), 0.0, -0.0, 1.0, 1, True, False, 0,
          float("nan"), "1.10", "a & <b>", "", None, date(2026, 7, 31), [1, 2], (1.0, 2)]

values = st.one_of(st.sampled_from(TRICKY), st.text(alphabet="ab &<>\"'合计 12.", max_size=8),
                   st.integers(-10**6, 10**6), st.floats(min_value=-1e9, max_value=1e9) | st.just(float("nan")),
                   st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-1000, max_value=1000))


def _plain(vs, kind):
    return [esc(fmt(v, kind)) for v in vs]


@settings(max_examples=300, deadline=None)
@given(st.lists(values, max_size=12), st.sampled_from(KINDS))
def test_shown_is_fmt_escaped(vs, kind):
    assert shown(vs, kind) == _plain(vs, kind)
    assert shown(vs, kind) == _plain(vs, kind)          # from the cache


def test_equal_values_that_print_apart_are_kept_apart():
    for kind in KINDS:
        assert shown(TRICKY, kind) == _plain(TRICKY, kind), kind
        assert shown(TRICKY[::-1], kind) == _plain(TRICKY[::-1], kind), kind
    assert shown([Decimal("1.1"), Decimal("1.10")], "raw") == ["1.1", "1.10"]
    assert shown([-0.0, 0.0], "percent") == ["-0.0%", "0.0%"]
    assert shown([1, True, 1.0], None) == ["1", "是", "1.00"]
    assert shown([Decimal("1.1"), Decimal("1.10")], "points") == ["1.10", "1.10"]


def test_signalling_nan_is_formatted_without_the_cache():
    value = Decimal("sNaN")
    assert shown([value], "money") == _plain([value], "money") == [""]
