"""The fast paths of scoring and reading, each held to the slow, obvious way.

Rules run on int64 while their bound (largest input × what their parameters multiply it by)
stays below exact.LIMIT, else on Python ints: both must give the same points and notes.
Text is parsed column-wise (pyarrow, per distinct value): it must give what one-by-one
parsing gives.
"""

from __future__ import annotations

import random
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, localcontext

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import perfpay.exact as exact
from conftest import ROOT, write_tables
from perfpay.exact import LIMIT, MICRO, fit, half_up, ints, ints64, round_half_up
from perfpay.gather import join_groups
from perfpay.inputs import load_inputs
from perfpay.inputs import values as V
from perfpay.ahead import first_line as _first_line
from perfpay.inputs.readers import _strip
from perfpay.rules import score_indicator
from perfpay.scorecard import rank, score, sort_rows
from test_rules import _EVENTS, _LIBRARY, DEFAULT_WEIGHTS, frame, indicator

INT64_MAX = 2**63 - 1


# exact: parsing --------------------------------------------------------------------------------
def micro(text) -> int:
    """The reference: the decimal × 10**6, digits past the sixth cut."""
    with localcontext() as ctx:
        ctx.prec = 100
        return int((Decimal(str(text)) * MICRO).to_integral_value(rounding=ROUND_DOWN))


TEXTS = ["0", "-0", "1.5", "-12.5", ".5", "5.", "+3", "1e3", "-1.2E-5", "0.0000010", "12.1234567",
         "-12.1234567", "93.000001", "9223372036854.775807", "-9223372036854.775808"]
HUGE = ["9223372036854.775808", "-9223372036854.775809", "123456789012345678901234567890"]


@pytest.mark.parametrize("text", TEXTS + HUGE)
def test_ints64_parses_decimals_and_text_exactly(text):
    for value in (Decimal(text), text):
        got = ints64(np.array([value, None], dtype=object))
        assert int(got[0]) == micro(text) and got[1] == 0, value


def test_ints64_is_int64_while_every_value_fits_and_object_beyond():
    exact_six = [t for t in TEXTS if "1234567" not in t]    # digits past the sixth go the text way
    assert ints64(np.array([Decimal(t) for t in exact_six], dtype=object)).dtype == np.int64
    wide = ints64(np.array([Decimal(t) for t in TEXTS + HUGE], dtype=object))
    assert wide.dtype == object and [int(v) for v in wide] == [micro(t) for t in TEXTS + HUGE]
    assert ints(np.array([Decimal("1")], dtype=object)).dtype == object      # ints: always object


def test_ints64_missing_values_are_zero():
    got = ints64(np.array([None, float("nan"), pd.NA, Decimal("NaN"), Decimal("2")], dtype=object))
    assert got.tolist() == [0, 0, 0, 0, 2 * MICRO]


def test_ints64_of_integer_arrays_scales_and_widens():
    assert ints64(np.array([1, -2], dtype=np.int64)).tolist() == [MICRO, -2 * MICRO]
    big = ints64(np.array([INT64_MAX // 10], dtype=np.int64))
    assert big.dtype == object and int(big[0]) == (INT64_MAX // 10) * MICRO


# exact: rounding and widths ----------------------------------------------------------------------
def test_half_up_rounds_halves_away_from_zero_both_signs():
    num = np.array([-25, -24, -26, 25, 24, 26, -5, 5, 0], dtype=np.int64)
    assert half_up(num, 10).tolist() == [-3, -2, -3, 3, 2, 3, -1, 1, 0]
    assert half_up(num, 10).dtype == np.int64
    assert round_half_up(num, 10).tolist() == [-3, -2, -3, 3, 2, 3, -1, 1, 0]


@settings(max_examples=300, deadline=None)
@given(st.integers(-(2**61), 2**61), st.integers(1, 2**30))
def test_half_up_int64_equals_decimal_and_object_ints(num, den):
    expect = int((Decimal(num) / Decimal(den)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert int(half_up(np.array([num], dtype=np.int64), den)[0]) == expect
    assert int(half_up(np.array([num], dtype=object), den)[0]) == expect


def test_fit_uses_object_ints_from_the_limit_on():
    a = np.array([1, 2], dtype=np.int64)
    assert fit([a], LIMIT - 1)[0].dtype == np.int64
    assert fit([a], LIMIT)[0].dtype == object


# rules: int64 and object ints agree -------------------------------------------------------------
def _rows(rng: random.Random, n: int, top: int) -> list[dict]:
    """Inputs of every kind, magnitudes from a few units to 10**top."""
    rows = []
    for _ in range(n):
        scale = 10 ** rng.randint(0, top)
        target = Decimal(rng.randint(0, 200)) * scale / 100
        actual = Decimal(rng.randint(0, 300)) * scale / 100 + Decimal(rng.randint(0, 999999)) / MICRO
        row = {"actual": actual, "target": target if rng.random() > 0.05 else None,
               "events": {e: rng.randint(0, 4) for e in _EVENTS if rng.random() < 0.3},
               "ratings": {role: [rng.choice([0, 2, 3, 5]) for _ in range(rng.randint(0, 3))]
                           for role in ("self", "superior", "peer")}}
        if rng.random() < 0.05:
            row.pop("actual")
        rows.append(row)
    return rows


@pytest.mark.parametrize("name", sorted(_LIBRARY))
@pytest.mark.parametrize("top", [3, 8, 11, 14])     # 10**11 units: near the bounds; 10**14: past them
def test_int64_and_object_ints_give_the_same_points_and_notes(name, top, monkeypatch):
    ind = indicator(name, _LIBRARY)
    data = frame(_rows(random.Random(f"{name}{top}"), 300, top), _EVENTS)
    fast = score_indicator(ind, data, DEFAULT_WEIGHTS)
    if top == 3:
        assert fast["points_c"].dtype == np.int64           # small inputs take the int64 path
    monkeypatch.setattr(exact, "LIMIT", 0)                  # every bound fails: object ints throughout
    slow = score_indicator(ind, data, DEFAULT_WEIGHTS)
    assert slow["points_c"].dtype == object or ind.rule_type == "adjustment"   # adjustments only add
    pd.testing.assert_frame_equal(fast.astype({"raw_c": object, "points_c": object}),
                                  slow.astype({"raw_c": object, "points_c": object}))


# step boundaries where the int64 path is taken, and past int64
STEPS = [  # actual, target (units), points: sales_task 30, −3 per 5% below, 0 below 50%, +2 per 1% above
    ("900000", "1000000", "24.00"),          # exactly 90%: two whole steps
    ("949999.99", "1000000", "27.00"),       # 94.999999%: one step
    ("950000", "1000000", "27.00"),          # exactly 95%: one step
    ("500000", "1000000", "0.00"),           # exactly 50% is not below 50%: 10 steps → 0
    ("499999.999999", "1000000", "0.00"),    # below 50%: nothing
    ("1010000", "1000000", "32.00"),         # exactly 101%: one bonus step
    ("1009999.999999", "1000000", "30.00"),  # just short of 101%: no bonus
    ("9000000000000", "10000000000000", "24.00"),   # 90% of 10**13: micro-units past int64
    ("15000000000000", "10000000000000", "130.00"),  # 150%: 50 bonus steps, uncapped
]


@pytest.mark.parametrize("actual, target, points", STEPS)
def test_step_boundaries(actual, target, points):
    got = score_indicator(indicator("sales_task", _LIBRARY),
                          frame([{"actual": Decimal(actual), "target": Decimal(target)}]), DEFAULT_WEIGHTS)
    assert f"{Decimal(int(got['points_c'].iloc[0])) / 100:.2f}" == points, got["note"].iloc[0]


def test_step_takes_int64_below_the_bound_and_object_ints_above():
    ind = indicator("sales_task", _LIBRARY)
    small = frame([{"actual": Decimal("900000"), "target": Decimal("1000000")}])
    large = frame([{"actual": Decimal("9000000000000"), "target": Decimal("10000000000000")}])
    assert score_indicator(ind, small, DEFAULT_WEIGHTS)["points_c"].dtype == np.int64
    assert score_indicator(ind, large, DEFAULT_WEIGHTS)["points_c"].dtype == object


def test_negative_points_round_half_up_away_from_zero():
    # 0.4 per unit: −0.125 units → −0.05 points exactly; −0.0125 → −0.005 → −0.01 (half away from zero)
    ind = indicator({"like": "merchant_visits", "min_points": None}, _LIBRARY)
    got = score_indicator(ind, frame([{"actual": Decimal("-0.125")}, {"actual": Decimal("-0.0125")},
                                      {"actual": Decimal("-0.0124")}]), DEFAULT_WEIGHTS)
    assert got["points_c"].tolist() == [-5, -1, 0]


# the scorer: object ints everywhere change nothing ------------------------------------------------
def test_sample_company_scores_the_same_on_object_ints(params, monkeypatch):
    inputs = load_inputs(ROOT / "inputs", params.catalog, "2026Q3")
    fast = score(params, inputs, "2026Q3")
    monkeypatch.setattr(exact, "LIMIT", 0)
    slow = score(params, inputs, "2026Q3")
    for a, b in ((fast.scores, slow.scores), (fast.units, slow.units), (fast.explain, slow.explain)):
        pd.testing.assert_frame_equal(a, b)


def test_a_repeated_row_in_memory_counts_once_the_last(params, tmp_path):
    person = {"employee_id": "E1", "name": "甲", "department": "BD组", "branch": "总部",
              "role": "BD商家维护组", "hire_date": "2020-01-01"}
    folder = write_tables(tmp_path / "in", {"roster": [person], "actuals": [
        {"period": "2026-07", "employee_id": "E1", "indicator": "merchant_visits", "actual": 10}]})
    inputs = load_inputs(folder, params.catalog, "2026-07")
    again = inputs.actuals.iloc[[0]].assign(actual=Decimal(50))
    inputs.actuals = pd.concat([inputs.actuals, again], ignore_index=True)
    rows = score(params, inputs, "2026-07").explain
    visits = rows[rows["indicator_key"] == "merchant_visits"]
    assert visits["points_c"].tolist() == [2000] and "50 × 0.4" in visits["note"].iloc[0]


def test_rank_is_competition_ranking_within_groups():
    rng = np.random.default_rng(3)
    f = pd.DataFrame({"department": rng.choice(["甲", "乙", "丙"], 500), "card": rng.choice(["a", "b"], 500),
                      "total_c": rng.integers(0, 20, 500)})
    expect = f["total_c"].groupby([f["department"], f["card"]]).rank(method="min", ascending=False).astype(int)
    pd.testing.assert_series_equal(rank(f, ["department", "card"]), expect, check_names=False)


@pytest.mark.parametrize("spoil", [None, "missing", "float"])
def test_sort_rows_equals_a_stable_pandas_sort(spoil):
    rng = np.random.default_rng(5)
    words = np.array(["客户服务部", "BD组", "大客户部", "a", "B", "é", "\U0001f600", "\ue000", "ab", "a b", ""],
                     dtype=object)
    n = 2000
    f = pd.DataFrame({"department": rng.choice(words, n), "role": rng.choice(words[:4], n),
                      "rank": rng.integers(1, 30, n),
                      "employee_id": rng.choice(words, n) + rng.integers(0, 50, n).astype(str), "row": np.arange(n)})
    if spoil == "missing":
        f.loc[7, "role"] = None
    if spoil == "float":                                    # pandas sorts these itself
        f["rank"] = f["rank"].astype(float)
        f.loc[5, "rank"] = np.nan
    keys = ["department", "role", "rank", "employee_id"]
    expect = f.sort_values(keys, kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(sort_rows(f, keys), expect)


def test_join_groups_keeps_row_order_within_groups():
    codes = np.array([1, 0, 1, 2, 1])
    got = join_groups(codes, np.array(["a", "b", "", "d", "e"], dtype=object), 4, "; ", skip_empty=True)
    assert got.tolist() == ["b", "a; e", "d", ""]


# inputs: column-wise text ---------------------------------------------------------------------
NUMBERS = ["93", "-2.5", "1,234.5", "93%", " 7 ", "１２", "1.1234567", "1.1234560", ".5", "5.", "+3", "-0",
           "abc", "", "1e3", "0.000001", "−4"]


def test_numbers_parsed_in_one_go_equal_one_by_one():
    values, reasons = V.column(pd.Series(NUMBERS * 3, dtype=object), V.to_decimal)
    for text, value, reason in zip(NUMBERS * 3, values, reasons):
        try:
            want, why = (V.to_decimal(text) if text else None), ""
        except ValueError as exc:
            want, why = None, str(exc)
        assert (str(value), reason) == (str(want), why), text


def test_strip_removes_what_str_strip_removes():
    cells = ["a", " b", "c\t", "\u3000d\u3000", "e\xa0", "f g", "", " ", "\x1ch\n"]
    assert _strip(pd.Series(cells, dtype=object)).tolist() == [c.strip() for c in cells]


def test_first_line_cuts_lines_as_splitlines():
    for text in ["\n\n a,b\nc", "\r\r\nx;y\r1;2", "", " \n \n", "\n" * 70000 + "a\tb\n"]:
        assert _first_line(text, look=64) == next((l for l in text.splitlines() if l.strip()), "")


def test_per_case_with_codes_equals_without():
    f = pd.DataFrame({"a": ["x", "y", "x", None, "x"], "b": ["1", "1", "1", "2", None]})
    mask = pd.Series([True, True, True, True, False])
    calls = []
    plain = V.per_case(f, mask, ["a", "b"], lambda a, b: calls.append((a, b)) or f"{a}{b}")[0]
    codes = V.case_codes([f["a"].to_numpy(dtype=object), f["b"].to_numpy(dtype=object)])
    coded = V.per_case(f, mask, ["a", "b"], lambda a, b: f"{a}{b}", codes=codes)[0]
    assert plain.tolist() == coded.tolist() == ["x1", "y1", "x1", "None2", None]
    assert len(calls) == 3


def test_missing_or_equals_isna_or_the_test_per_row():
    """V.missing_or gives what series.isna() | map_unique(series, test).eq(True) gives, row by row."""
    from datetime import date

    rng = np.random.default_rng(7)
    values = np.array([date(2026, 7, 1), date(2026, 8, 3), None, np.nan, pd.NaT, "2026-07", "2026Q3", 3, 0],
                      dtype=object)
    series = pd.Series(values[rng.integers(0, len(values), 2000)], index=rng.permutation(2000) + 5)

    def odd(x):                 # a bool, a non-bool equal to True, None and a falsy value
        if isinstance(x, date):
            return x.month == 7
        return {"2026-07": 1, "2026Q3": None, 3: np.True_, 0: 0}[x]
    expect = series.isna() | V.map_unique(series, odd).eq(True)
    got = V.missing_or(series, odd)
    pd.testing.assert_series_equal(got, expect.astype(bool))
    assert got.index.equals(series.index) and got.sum() > 0 and (~got).sum() > 0
