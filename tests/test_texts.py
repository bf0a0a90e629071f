"""pyarrow text helpers behind the explanation's sources (perfpay.texts)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from perfpay.texts import arrow_text, blank, choose, column, file_rows, join, pick


def test_file_rows_of_every_kind_of_file_column_equal_the_texts_made_one_by_one():
    rng = np.random.default_rng(2)
    names = np.array(["2026-07/实绩.csv", "a,b.csv", "records", None, ""], dtype=object)
    files = names[rng.integers(0, len(names), 3000)]
    files[::7] = [f"{i}.csv" for i in range(len(files[::7]))]       # distinct objects too
    rows = rng.integers(0, 10**6, len(files))
    expect = [f"{'' if f is None else f}:{r}" for f, r in zip(files, rows)]
    for given in (files, pd.Series(files), pd.Series(files, dtype="string[pyarrow]"), pd.Series(files).array):
        assert file_rows(given, rows).to_pylist() == expect


def test_file_rows_name_each_row():
    got = file_rows(pd.Series(["2026-07/实绩.csv", "a b.csv", "2026-07/实绩.csv"]), np.array([2, 10, 490877]))
    assert got.to_pylist() == ["2026-07/实绩.csv:2", "a b.csv:10", "2026-07/实绩.csv:490877"]
    assert file_rows(pd.Series([], dtype=object), np.array([], dtype=np.int64)).to_pylist() == []


def test_text_from_any_column_missing_empty():
    for values in (np.array(["a", None, "c"], dtype=object), pd.Series(["a", None, "c"], dtype="string[pyarrow]"),
                   pd.Series(["a", np.nan, "c"]), pa.chunked_array([["a"], [None, "c"]])):
        assert arrow_text(values).to_pylist() == ["a", "", "c"]


def test_pick_choose_join_and_blank():
    a, t = arrow_text(pd.Series(["x.csv:2", "", "x.csv:4"])), arrow_text(pd.Series(["t.csv:9", "t.csv:8", ""]))
    assert pick(a, np.array([2, 2, 0])).to_pylist() == ["x.csv:4", "x.csv:4", "x.csv:2"]
    assert join(a, t, sep=" ").to_pylist() == ["x.csv:2 t.csv:9", " t.csv:8", "x.csv:4 "]
    assert choose(np.array([True, False, True]), a, t).to_pylist() == ["x.csv:2", "t.csv:8", "x.csv:4"]
    assert blank(3).to_pylist() == ["", "", ""] and len(blank(0)) == 0
    col = column(a)
    assert col.dtype == "string[pyarrow]" and list(col) == ["x.csv:2", "", "x.csv:4"]


def test_the_explanation_sources_are_pyarrow_text_by_month_and_rolled_up():
    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.scorecard import explain_table, score

    from conftest import ROOT

    params = load_params(ROOT / "params")
    inputs = load(ROOT / "inputs", params, "2026Q3")
    for period in ("2026-07", "2026Q3"):                    # units alone; months rolled up to a quarter
        explain = score(params, inputs, period).explain
        assert explain["source"].dtype == "string[pyarrow]" and explain["source"].notna().all()
        assert explain["source"].str.contains(r"\.csv:\d+").any()
        assert (explain.loc[explain["rule"] == "total", "source"] == "").all()
        assert list(explain_table(score(params, inputs, period)).columns)[-2:] == ["source", "reference"]


def test_the_explanation_table_copies_its_texts_unless_told_it_is_only_written():
    from conftest import ROOT

    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.scorecard import explain_table, score

    params = load_params(ROOT / "params")
    scores = score(params, load(ROOT / "inputs", params, "2026-07"), "2026-07")
    copied, shared = explain_table(scores), explain_table(scores, copy=False)
    pd.testing.assert_frame_equal(copied, shared)
    for c in ("employee_id", "note", "inputs", "reference"):
        mine = scores.explain[c].to_numpy()
        assert np.shares_memory(shared[c].to_numpy(), mine) and not np.shares_memory(copied[c].to_numpy(), mine)
    copied.loc[0, "note"] = "changed"
    assert scores.explain.loc[0, "note"] != "changed"


def test_the_explanation_knows_its_size_before_it_is_made():
    from conftest import ROOT

    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.scorecard import score

    params = load_params(ROOT / "params")
    inputs = load(ROOT / "inputs", params, "2026Q3")
    for period in ("2026-07", "2026Q3"):                    # units alone; months rolled up to a quarter
        scores = score(params, inputs, period)
        rows = scores.explain_rows()
        assert callable(scores._explain), "not made to be counted"
        assert rows == len(scores.explain) == scores.explain_rows()
