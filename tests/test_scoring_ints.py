"""The integers and codes scoring reads, worked out once at load (Inputs.memo).

An analyst edits a value in a frame and scores again: the score must see the edit, never a
kept integer of the old value. Every result here is held to scoring a fresh copy of the
frames, which works everything out anew.
"""

from __future__ import annotations

import pickle
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from conftest import ROOT
from perfpay.exact import ints64
from perfpay.inputs import TABLES, Inputs, load_inputs
from perfpay.inputs.load import Memo
from perfpay.scorecard import explain_table, score, scores_table

PERIOD = "2026Q3"


@pytest.fixture(scope="module")
def loaded(params):
    return load_inputs(ROOT / "inputs", params.catalog, PERIOD)


def fresh(inputs: Inputs) -> Inputs:
    """The same frames, copied, with nothing worked out yet."""
    return Inputs(**{t: getattr(inputs, t).copy() for t in TABLES})


def copy(inputs: Inputs) -> Inputs:
    """A copy that keeps what is worked out (as a pickle round trip does)."""
    return pickle.loads(pickle.dumps(inputs))


def same_scores(a, b) -> None:
    pd.testing.assert_frame_equal(scores_table(a), scores_table(b))
    pd.testing.assert_frame_equal(explain_table(a), explain_table(b))


def test_loaded_inputs_carry_the_integers_of_their_values(loaded):
    kept = loaded.memo.kept
    for table, column in (("actuals", "actual"), ("targets", "target"), ("ratings", "score"),
                          ("adjustments", "points")):
        assert ("micro", table, column) in kept, table
        assert np.array_equal(kept[("micro", table, column)][2], ints64(getattr(loaded, table)[column]))
    assert ("people", "actuals") in kept and ("codes", "actuals", "indicator") in kept


@pytest.mark.parametrize("period", ["2026-07", PERIOD, None])    # rows outside a month or a quarter dropped
def test_codes_handed_over_by_the_checks_are_those_of_a_fresh_factorize(params, period, monkeypatch):
    from perfpay.distinct import factorize
    from perfpay.inputs import load as load_module

    handed = []
    check = load_module._as_factorized
    monkeypatch.setattr(load_module, "_as_factorized", lambda c, u: handed.append(check(c, u)) or handed[-1])
    inputs = load_inputs(ROOT / "inputs", params.catalog, period)
    assert any(handed), "the checks' codes are used"
    for key, (_, _, got) in inputs.memo.kept.items():
        if key[0] == "codes" and key[1] != "roster":
            codes, uniques = factorize(getattr(inputs, key[1])[key[2]].to_numpy(dtype=object))
            assert np.array_equal(got[0], codes) and list(got[1]) == list(uniques), key


@pytest.mark.parametrize("period", ["2026-07", PERIOD, None])
def test_people_codes_handed_over_by_the_checks_are_those_scoring_works_out(params, period, monkeypatch):
    from perfpay.gather import people_codes
    from perfpay.inputs import load as load_module

    handed = {}
    hand_over = load_module._hand_over
    monkeypatch.setattr(load_module, "_hand_over", lambda inputs, known: handed.update(known) or
                        hand_over(inputs, known))
    inputs = load_inputs(ROOT / "inputs", params.catalog, period)
    people = [key for key in handed if key[0] == "people"]
    assert ("people", "actuals") in people
    for key in people:
        assert inputs.memo.kept[key][2] is handed[key]                 # scoring reads the checks' array
        assert np.array_equal(handed[key], people_codes(fresh(inputs), key[1])), key


def test_codes_as_pandas_numbers_them():
    from perfpay.inputs.load import _as_factorized

    assert _as_factorized(np.array([0, 1, 0, -1, 2]), np.array(["a", "b", "c"], dtype=object))
    assert not _as_factorized(np.array([1, 0]), np.array(["a", "b"], dtype=object))       # not in order
    assert not _as_factorized(np.array([0, 2]), np.array(["a", "b", "c"], dtype=object))  # b dropped
    assert not _as_factorized(np.array([0, 0]), np.array(["a", "b"], dtype=object))       # b unused
    assert _as_factorized(np.array([-1], dtype=np.intp), np.array([], dtype=object))


def test_scores_the_same_with_or_without_the_kept_integers(params, loaded):
    same_scores(score(params, copy(loaded), PERIOD), score(params, fresh(loaded), PERIOD))


def _an_actual_that_counts(params, inputs) -> int:
    """A row of actuals whose value decides some points (a step or proportional indicator)."""
    base = score(params, inputs, PERIOD).explain
    measured = base[base["rule"].isin(["step", "proportional"]) & (base["points_c"] > 0)]
    for i, r in inputs.actuals.iterrows():
        hit = measured[(measured["employee_id"] == r["employee_id"]) & (measured["period"] == r["period"])
                       & (measured["indicator_key"] == r["indicator"])]
        if len(hit):
            return i
    raise AssertionError("no actual decides points")


@pytest.mark.parametrize("edit", ["loc", "column", "frame"])
def test_an_edited_actual_is_scored_as_edited(params, loaded, edit):
    inputs = copy(loaded)
    before = score(params, inputs, PERIOD)
    i = _an_actual_that_counts(params, inputs)
    who = inputs.actuals.at[i, "employee_id"]
    if edit == "loc":                       # in place, in the frame the memo has seen
        inputs.actuals.loc[i, "actual"] = Decimal(0)
    elif edit == "column":                  # a new column
        values = inputs.actuals["actual"].to_numpy().copy()
        values[i] = Decimal(0)
        inputs.actuals["actual"] = values
    else:                                   # a new frame, one row fewer
        inputs.actuals = inputs.actuals.drop(index=i).reset_index(drop=True)
    after = score(params, inputs, PERIOD)
    same_scores(after, score(params, fresh(inputs), PERIOD))
    total = lambda s: s.scores.set_index("employee_id").loc[who, "total_c"]
    assert total(after) < total(before)


def test_a_roster_change_is_scored_as_changed(params, loaded):
    inputs = copy(loaded)
    score(params, inputs, PERIOD)
    ids = inputs.roster["employee_id"].to_numpy().copy()
    gone = ids[1]
    ids[1] = "nobody-" + str(gone)          # the person's rows no longer match the roster
    inputs.roster["employee_id"] = ids
    after = score(params, inputs, PERIOD)
    same_scores(after, score(params, fresh(inputs), PERIOD))
    assert gone not in set(after.scores["employee_id"])


def test_pickled_inputs_keep_the_integers_and_stay_true(params, loaded):
    inputs = copy(loaded)
    assert ("micro", "actuals", "actual") in inputs.memo.kept
    i = inputs.actuals.index[0]
    inputs.actuals.loc[i, "actual"] = Decimal("123456.5")
    again = copy(inputs)                    # pickled after the edit: the stale integers are left out
    assert np.array_equal(again.memo.get(("micro", "actuals", "actual"),
                                         {("actuals", "actual"): again.actuals["actual"].to_numpy()},
                                         lambda: ints64(again.actuals["actual"])),
                          ints64(again.actuals["actual"]))
    same_scores(score(params, again, PERIOD), score(params, fresh(inputs), PERIOD))


def test_memo_works_a_result_out_again_when_its_column_changes():
    memo, made = Memo(), []
    values = np.array([Decimal("1.5"), Decimal("2"), None], dtype=object)

    def get():
        return memo.get("k", {("t", "c"): values}, lambda: made.append(1) or ints64(values))
    assert list(get()) == [1_500_000, 2_000_000, 0] and list(get()) == [1_500_000, 2_000_000, 0]
    assert len(made) == 1
    values[1] = Decimal("2")                # an equal value, another object: worked out again
    get()
    values[1] = Decimal("7")
    assert list(get()) == [1_500_000, 7_000_000, 0] and len(made) == 3
    numbers = np.array([1, 2, 3])
    memo.get("n", {("t", "n"): numbers}, lambda: made.append(1))
    numbers[0] = 5
    memo.get("n", {("t", "n"): numbers}, lambda: made.append(1))
    assert len(made) == 5


def test_tables_with_no_row_in_the_period_scored(params, loaded):
    inputs = copy(loaded)
    inputs.targets = inputs.targets[inputs.targets["period"] == "2026-08"].reset_index(drop=True)
    month = score(params, inputs, "2026-07")
    same_scores(month, score(params, fresh(inputs), "2026-07"))
    assert (month.explain["source"] != "").any()            # the actuals still say where they come from
