"""Codes and missing values of object columns, worked out once per distinct object (perfpay.distinct)."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from perfpay.distinct import Coded, factorize, isna, refactorized, repeated, slices

SHARED = ["a", Decimal("1.5"), Decimal("NaN"), None, float("nan"), pd.NaT, pd.NA, 0, "", np.float64("nan")]


@pytest.mark.parametrize("fresh", [0.0, 0.3, 0.9])      # share of entries that are objects of their own
def test_isna_and_factorize_are_those_of_pandas(fresh):
    rng = np.random.default_rng(int(fresh * 10))
    n = 5000
    values = np.array(SHARED, dtype=object)[rng.integers(0, len(SHARED), n)]
    own = rng.random(n) < fresh
    values[own] = [Decimal(int(i)) if i % 3 else str(i) for i in rng.integers(0, 50, int(own.sum()))]
    np.testing.assert_array_equal(isna(values), pd.isna(values))
    codes, uniques = factorize(values)
    expected_codes, expected_uniques = pd.factorize(values)
    np.testing.assert_array_equal(codes, expected_codes)
    assert list(map(repr, uniques)) == list(map(repr, expected_uniques))


def test_short_and_non_object_arrays_go_to_pandas():
    np.testing.assert_array_equal(isna(np.array([1.0, np.nan])), [False, True])
    np.testing.assert_array_equal(isna(np.array([None, "x"], dtype=object)), [True, False])


@pytest.mark.parametrize("runs", [1, 40, 700, 5000])
def test_codes_of_runs_are_those_of_pandas(runs):
    """Columns of long runs of one object (an explanation's block per indicator) are coded run by run."""
    from perfpay.distinct import first_codes, same_objects

    rng = np.random.default_rng(runs)
    pool = np.array([Decimal(i) for i in range(30)] + ["x", None], dtype=object)
    values = np.repeat(pool[rng.integers(0, len(pool), runs)], rng.integers(1, 30, runs))
    codes, where = same_objects(values)
    expected, uniques = pd.factorize(np.array([id(v) for v in values]))
    np.testing.assert_array_equal(codes, expected)
    np.testing.assert_array_equal(where, [list(expected).index(c) for c in range(len(uniques))])
    numbers = rng.integers(0, 5, runs).repeat(50)
    np.testing.assert_array_equal(first_codes(numbers)[0], pd.factorize(numbers)[0])
    assert list(values[where]) == [pool[list(map(id, pool)).index(u)] for u in uniques]


@pytest.mark.parametrize("kind", ["points", "negative", "wide", "uint64", "int8", "edges"])
def test_codes_of_integers_near_each_other_are_those_of_pandas(kind):
    """Integers few apart (points in cents) are coded through a table of them, others hashed: the
    codes and first places are pandas' either way."""
    from perfpay.distinct import first_codes

    rng = np.random.default_rng(len(kind))
    values = {"points": rng.integers(0, 6000, 5000) * 5, "negative": rng.integers(-300, 300, 5000),
              "wide": rng.integers(0, 2**40, 5000), "uint64": rng.integers(0, 2**63, 5000, dtype=np.uint64) * 2,
              "int8": rng.integers(-128, 128, 5000).astype(np.int8),
              "edges": np.array([-2**63, 2**63 - 1, 0] * 40, dtype=np.int64)}[kind]
    codes, where = first_codes(values)
    expected, uniques = pd.factorize(values)
    np.testing.assert_array_equal(codes, expected)
    np.testing.assert_array_equal(values[where], uniques)
    assert (np.diff(where) > 0).all()


def test_a_coded_column_spreads_to_its_values():
    a, b = "中文", "".join(["中", "文"])                     # equal texts, two objects
    values = np.array([a, b, None, a, 1, True], dtype=object)
    coded = Coded.of(values)
    assert len(coded) == 6 and list(coded.codes) == [0, 1, 2, 0, 3, 4]      # the very objects, told apart
    assert all(x is y for x, y in zip(coded.spread(), values))
    assert list(Coded(np.array([2, 0, 2]), np.array([5, 6, 7])).spread()) == [7, 5, 7]


def test_repeated_holds_one_object():
    label = "".join(["2026", "-07"])
    got = repeated(label, 5)
    assert got.dtype == object and list(got) == ["2026-07"] * 5 and all(x is label for x in got)
    assert len(repeated(("a", 1), 2)) == 2 and repeated(("a", 1), 2)[1] == ("a", 1)    # a tuple is one value
    assert len(repeated("x", 0)) == 0


def test_the_scores_hold_one_object_per_period_and_card():
    """The period and card texts of every person's row are one str each, not one per row: the
    CSV writer prints each object once."""
    from conftest import ROOT

    from perfpay.distinct import same_objects
    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.scorecard import score

    params = load_params(ROOT / "params")
    scores = score(params, load(ROOT / "inputs", params, "2026-07"), "2026-07")
    for frame, column in ((scores.scores, "period"), (scores.units, "period"), (scores.units, "card")):
        values = frame[column].to_numpy(dtype=object)
        assert len(same_objects(values)[1]) == len(set(values)), column


def test_slices_hold_each_keys_rows_in_order():
    frame = pd.DataFrame({"employee_id": ["E2", "E1", "E2", "E1", "E2"], "card": ["a", "a", "b", "a", "a"],
                          "points": [1, 2, 3, 4, 5]}, index=[10, 11, 12, 13, 14])
    by_person = slices(frame, "employee_id", ["points"])
    assert list(by_person) == ["E2", "E1"]                      # in order of first appearance
    assert by_person["E2"].to_dict("list") == {"points": [1, 3, 5]}
    assert by_person["E1"].index.tolist() == [0, 1]
    by_card = slices(frame, ["employee_id", "card"])
    assert list(by_card) == [("E2", "a"), ("E1", "a"), ("E2", "b")]
    assert by_card[("E2", "a")]["points"].tolist() == [1, 5]
    assert by_card[("E2", "b")].columns.tolist() == ["employee_id", "card", "points"]
    assert slices(frame.iloc[:0], "employee_id") == {}


def test_slices_keep_missing_keys_and_their_rows():
    frame = pd.DataFrame({"k": ["x", None, "x", None], "v": [1, 2, 3, 4]})
    got = slices(frame, "k")
    assert sum(len(part) for part in got.values()) == len(frame)       # no row lost
    assert got["x"]["v"].tolist() == [1, 3]


@pytest.mark.parametrize("seed", range(6))
def test_refactorized_codes_are_those_pandas_finds_in_the_column(seed):
    rng = np.random.default_rng(seed)
    pool = np.array(["a", "b", " a", "", "中", None, np.nan, "b", "x", "a"], dtype=object)   # repeats, missing
    for n in (0, 1, 5, 300):
        values = pool[rng.integers(0, len(pool), rng.integers(1, len(pool) + 1))]
        codes = rng.integers(0, len(values), n) if n else np.zeros(0, dtype=np.int64)
        want_codes, want_values = pd.factorize(values[codes])
        got_codes, got_values = refactorized(codes.astype(np.int32), values)
        assert got_codes.tolist() == want_codes.tolist()
        assert got_values.tolist() == want_values.tolist() and got_values.dtype == want_values.dtype


def test_refactorized_leaves_out_values_no_row_holds():
    values = np.array(["head", "x", "y", "x"], dtype=object)        # a header row cut off; "x" twice
    codes, distinct = refactorized(np.array([2, 3, 1, 2]), values)
    assert codes.tolist() == [0, 1, 1, 0] and distinct.tolist() == ["y", "x"]


def test_refactorized_of_values_known_distinct_skips_nothing():
    values = np.array(["head", "x", "y", "z"], dtype=object)
    for codes in ([2, 3, 1, 2], [0, 0], []):
        codes = np.array(codes, dtype=np.int32)
        got, want = refactorized(codes, values, distinct=True), pd.factorize(values[codes])
        assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()


def test_refactorized_of_missing_values_only():
    values = np.array([None, np.nan], dtype=object)
    codes, distinct = refactorized(np.array([0, 1, 0]), values)
    assert codes.tolist() == [-1, -1, -1] and distinct.tolist() == []
    codes, distinct = refactorized(np.zeros(0, dtype=np.int64), np.array([], dtype=object))
    assert codes.tolist() == [] and distinct.tolist() == []
