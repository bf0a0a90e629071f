"""Monthly bonus, annual pool and ranking awards (SPEC 4, 9), each checked against hand-computed numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfpay.errors import ParamsError
from perfpay.pay.awards import (bottom_three, bulletin_date, competition_rank, plan_due, quarterly_awards,
                                weakest)
from perfpay.pay.bonus import monthly_bonus
from perfpay.pay.pool import allocate_pool, annual_pool, tenure_coefficient, tenure_years

CS = "客户服务部"


@pytest.fixture(scope="module")
def pool_doc(params):
    return params.document("pool", "2026")


@pytest.fixture(scope="module")
def awards_doc(params):
    return params.document("awards", "2026Q1")


# monthly bonus --------------------------------------------------------------------------------
def bonus_of(rows: list[tuple]) -> pd.DataFrame:
    """rows: (employee_id, total in points, base in yuan or None)."""
    scores = pd.DataFrame({"period": "2026-07", "employee_id": [r[0] for r in rows],
                           "name": [f"name {r[0]}" for r in rows], "card": "ka_manager",
                           "total_c": [int(D(r[1]) * 100) for r in rows]})
    roster = pd.DataFrame({"employee_id": [r[0] for r in rows], "monthly_bonus_base": [r[2] for r in rows]})
    return monthly_bonus(scores, roster).set_index("employee_id")


def test_bonus_is_total_over_100_times_base():
    got = bonus_of([("K1", "91", D("4000"))]).loc["K1"]
    assert got["bonus"] == D("3640.00")
    assert got["formula"] == "91.00 / 100 × 4,000.00 = 3,640.00"
    assert got["note"] == ""


def test_bonus_over_100_is_uncapped_and_rounded_to_the_fen():
    # 104.5 / 100 × 3333.33 = 3483.329850 → 3483.33, more than the base
    got = bonus_of([("K1", "104.5", "3333.33")]).loc["K1"]
    assert got["bonus"] == D("3483.33") and got["bonus"] > got["base"]


def test_bonus_half_a_fen_rounds_up():
    # 90.5 / 100 × 3001 = 2715.905 exactly: half-up 2715.91 (banker's or float rounding give 2715.90)
    assert bonus_of([("K1", "90.5", "3001")]).loc["K1", "bonus"] == D("2715.91")


def test_bonus_without_base_is_listed_with_a_note():
    got = bonus_of([("K1", "91", D("4000")), ("K2", "88", None)])
    assert list(got.index) == ["K1", "K2"]
    assert got.loc["K2", "bonus"] is None and got.loc["K2", "formula"] == ""
    assert "no monthly bonus base" in got.loc["K2", "note"]


def test_bonus_only_for_the_card_and_only_of_months():
    scores = pd.DataFrame({"period": ["2026-07", "2026-07"], "employee_id": ["K1", "A1"], "name": ["k", "a"],
                           "card": ["ka_manager", "service_agent"], "total_c": [9000, 9000]})
    roster = pd.DataFrame({"employee_id": ["K1", "A1"], "monthly_bonus_base": [D("1000"), D("1000")]})
    assert list(monthly_bonus(scores, roster)["employee_id"]) == ["K1"]
    with pytest.raises(ValueError, match="monthly totals"):
        monthly_bonus(scores.assign(period="2026Q3"), roster)


# annual pool ----------------------------------------------------------------------------------
def pool_of(rows: list[tuple], budget, doc, year=2026) -> pd.DataFrame:
    """rows: (employee_id, grade, hire_date[, leave_date])."""
    people = pd.DataFrame({"employee_id": [r[0] for r in rows], "name": [f"name {r[0]}" for r in rows],
                           "department": CS, "grade": [r[1] for r in rows],
                           "hire_date": [r[2] for r in rows],
                           "leave_date": [r[3] if len(r) > 3 else None for r in rows]})
    return allocate_pool(people, year, budget, doc).set_index("employee_id")


def test_pool_three_equal_weights_split_100_by_largest_remainder(pool_doc):
    got = pool_of([("E3", "合格", "2026-03-01"), ("E2", "合格", "2026-03-01"), ("E1", "合格", "2026-03-01")],
                  "100.00", pool_doc)
    # 33.333… each; floors add up to 99.99; the cent left goes to the smallest employee_id
    assert got["amount"].to_dict() == {"E1": D("33.34"), "E2": D("33.33"), "E3": D("33.33")}
    assert "(+0.01 largest remainder)" in got.loc["E1", "formula"]


def test_pool_five_people_by_hand(pool_doc):
    got = pool_of([
        ("A", "优秀", "2019-03-01"),    # 7 years: 1.5 × 1.3 = 1.95
        ("B", "良好", "2024-06-15"),    # 2 years: 1.2 × 1.1 = 1.32
        ("C", "合格", "2026-02-01"),    # 0 years: 1.0 × 1.0 = 1.00
        ("D", "良好", "2022-12-31"),    # 4 years: 1.2 × 1.2 = 1.44
        ("E", "不合格", "2020-01-01"),  # 6 years: 0 × 1.3 = 0
    ], "50000", pool_doc)
    # Σw = 5.71; quotas 17075.3065, 11558.6690, 8756.5674, 12609.4571, 0: floors add up to 49999.97,
    # the 3 cents go to the largest remainders B (.90), C (.74), D (.71); A (.65) keeps its floor
    assert got["weight"].to_dict() == {"A": D("1.95"), "B": D("1.32"), "C": D("1.00"), "D": D("1.44"), "E": D("0.00")}
    assert got["amount"].to_dict() == {"A": D("17075.30"), "B": D("11558.67"), "C": D("8756.57"),
                                       "D": D("12609.46"), "E": D("0.00")}
    assert sum(got["amount"]) == D("50000.00")
    assert got.loc["A", "formula"] == "50,000.00 × 1.95 / 5.71 ≈ 17,075.3065 → 17,075.30"
    assert got.loc["E", "note"] == "coefficient 0: no share"
    assert got.loc["A", "tenure_years"] == 7 and got.loc["A", "tenure_coefficient"] == D("1.30")


def test_pool_exact_share_has_an_exact_formula(pool_doc):
    got = pool_of([("A", "优秀", "2026-01-05"), ("B", "优秀", "2026-01-05")], "90", pool_doc)
    assert got.loc["A", "formula"] == "90.00 × 1.50 / 3.00 = 45.00"
    assert got.loc["A", "share"] == D("0.500000")


@pytest.mark.parametrize("hired, years, coefficient", [
    ("2026-01-01", 0, "1.00"),   # 364 days on 2026-12-31: under 1 year
    ("2025-12-31", 1, "1.10"),   # exactly 1 year
    ("2024-01-01", 2, "1.10"),
    ("2023-12-31", 3, "1.20"),   # exactly 3 years
    ("2022-01-01", 4, "1.20"),
    ("2021-12-31", 5, "1.30"),   # exactly 5 years
    ("2001-07-01", 25, "1.30"),
])
def test_tenure_boundaries(pool_doc, hired, years, coefficient):
    got = pool_of([("A", "合格", hired)], "100", pool_doc).loc["A"]
    assert got["tenure_years"] == years
    assert got["tenure_coefficient"] == D(coefficient)


def test_tenure_helpers_are_vectorised(pool_doc):
    years = tenure_years(pd.Series(["2026-06-01", "2025-12-31", None]), 2026)
    assert years.tolist() == [0, 1, pd.NA]
    assert tenure_coefficient(years, pool_doc).tolist() == [10000, 11000, 0]


def test_pool_failing_grade_gets_nothing(pool_doc):
    got = pool_of([("A", "不合格", "2015-01-01"), ("B", "合格", "2026-05-01")], "1000", pool_doc)
    assert got["amount"].to_dict() == {"A": D("0.00"), "B": D("1000.00")}


def test_pool_all_zero_weights_pays_nobody(pool_doc):
    got = pool_of([("A", "不合格", "2015-01-01"), ("B", "不合格", "2020-01-01")], "1000", pool_doc)
    assert (got["amount"] == 0).all()
    assert got["note"].str.contains("nobody is paid").all()


def test_pool_remainder_ties_go_to_the_larger_weight_then_the_id(pool_doc):
    # weights 1.5, 1.3, 1.2 (Σ 4.0) over 0.20 yuan: 7.5, 6.5, 6.0 fen; the 1 fen left is a tie
    # of .5 and .5: the larger weight (E9, 1.5) takes it although E1 comes first by id
    got = pool_of([("E1", "合格", "2020-06-01"), ("E9", "优秀", "2026-06-01"), ("E5", "良好", "2026-06-01")],
                  "0.20", pool_doc)
    assert got["amount"].to_dict() == {"E9": D("0.08"), "E1": D("0.06"), "E5": D("0.06")}


def test_pool_leavers_and_missing_grades_get_no_share(pool_doc):
    got = pool_of([("A", "合格", "2020-01-01", "2026-09-15"), ("B", "合格", "2020-01-01", "2026-12-31"),
                   ("C", None, "2020-01-01"), ("D", "合格", None), ("E", "合格", "2027-01-04")], "100", pool_doc)
    assert got["amount"].to_dict() == {"A": D("0.00"), "B": D("100.00"), "C": D("0.00"), "D": D("0.00"),
                                       "E": D("0.00")}
    assert "left before" in got.loc["A", "note"] and "no annual grade" in got.loc["C", "note"]
    assert "no hire date" in got.loc["D", "note"] and "hired after" in got.loc["E", "note"]


def test_pool_unknown_grade_and_budgets(pool_doc):
    with pytest.raises(ParamsError, match="no coefficient for grade '卓越'"):
        pool_of([("A", "卓越", "2020-01-01")], "100", pool_doc)
    people = pd.DataFrame({"employee_id": ["A", "B"], "name": ["a", "b"], "department": [CS, "大客户部"],
                           "grade": ["合格", "合格"], "hire_date": ["2020-01-01", "2020-01-01"]})
    with pytest.raises(ValueError, match="budget per department"):
        allocate_pool(people, 2026, "100", pool_doc)
    got = allocate_pool(people, 2026, {CS: "100", "大客户部": "50"}, pool_doc).set_index("employee_id")
    assert got["amount"].to_dict() == {"A": D("100.00"), "B": D("50.00")}


def test_annual_pool_covers_the_departments_of_pool_yaml(params):
    scores = pd.DataFrame({"period": "2026", "employee_id": ["A", "K"], "name": ["a", "k"],
                           "department": [CS, "大客户部"], "grade": ["优秀", "优秀"]})
    roster = pd.DataFrame({"employee_id": ["A", "K"], "hire_date": ["2020-01-01", "2020-01-01"],
                           "leave_date": [None, None]})
    got = annual_pool(scores, roster, 2026, "1000", params)
    assert got[["employee_id", "amount"]].values.tolist() == [["A", D("1000.00")]]


GRADES = ["优秀", "良好", "合格", "不合格"]
people_st = st.lists(st.tuples(st.sampled_from(GRADES), st.integers(2000, 2026)), min_size=1, max_size=25)


@settings(max_examples=150, deadline=None)
@given(people=people_st, budget=st.integers(0, 10**11))
def test_pool_always_adds_up_to_the_budget(pool_doc, people, budget):
    rows = [(f"E{i:03d}", g, f"{y}-07-01") for i, (g, y) in enumerate(people)]
    got = pool_of(rows, D(budget) / 100, pool_doc)
    assert (got["amount"] >= 0).all()
    if (got["weight"] > 0).any():
        assert sum(got["amount"]) == D(budget) / 100
        quota = [Fraction(budget, 100) * Fraction(w) / Fraction(sum(got["weight"])) for w in got["weight"]]
        assert all(abs(Fraction(a) - q) < Fraction(1, 100) for a, q in zip(got["amount"], quota))
    else:
        assert sum(got["amount"]) == 0


@settings(max_examples=150, deadline=None)
@given(people=people_st, budget=st.integers(0, 10**9))
def test_pool_better_grade_never_gets_less_at_equal_tenure(pool_doc, people, budget):
    rows = [(f"E{i:03d}", g, f"{y}-07-01") for i, (g, y) in enumerate(people)]
    got = pool_of(rows, D(budget) / 100, pool_doc)
    got["order"] = got["grade"].map(GRADES.index)
    for _, same in got.groupby("tenure_years"):
        best_first = same.sort_values("order", kind="stable")
        worst_of_better = best_first.groupby("order")["amount"].min()
        best_of_worse = best_first.groupby("order")["amount"].max()
        assert (worst_of_better.iloc[:-1].to_numpy() >= best_of_worse.iloc[1:].to_numpy()).all()


# ranking and quarterly awards ------------------------------------------------------------------
def units_of(people: dict[str, list], months=("2026-01", "2026-02", "2026-03"), branch=None) -> pd.DataFrame:
    """people: employee_id -> monthly totals in points (None = not scored that month)."""
    rows = [{"period": m, "employee_id": e, "name": f"name {e}", "department": CS,
             "branch": (branch or {}).get(e, "总部"), "card": "service_agent", "total_c": int(D(t) * 100)}
            for e, totals in people.items() for m, t in zip(months, totals) if t is not None]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("scores, ranks", [
    ([90, 90, 80], [1, 1, 3]),
    ([90, 80, 80], [1, 2, 2]),
    ([90, 80, 70, 70], [1, 2, 3, 3]),
])
def test_competition_rank(scores, ranks):
    assert competition_rank(pd.Series(scores)).tolist() == ranks
    assert competition_rank(pd.Series(scores), lowest_first=True).tolist() == \
        competition_rank(pd.Series([-s for s in scores])).tolist()


def awards_of(people, doc, **kw):
    return quarterly_awards(units_of(people), "2026Q1", doc, **kw).set_index("employee_id")


@pytest.mark.parametrize("totals, ranks, awards", [
    ([95, 95, 90, 80], [1, 1, 3, 4], [500, 500, 200, 0]),
    ([95, 90, 90, 80], [1, 2, 2, 4], [500, 300, 300, 0]),
    ([95, 90, 85, 85, 80], [1, 2, 3, 3, 5], [500, 300, 200, 200, 0]),
])
def test_quarterly_awards_with_ties(awards_doc, totals, ranks, awards):
    people = {f"E{i}": [t, t, t] for i, t in enumerate(totals)}
    got = awards_of(people, awards_doc)
    assert got["rank"].tolist() == ranks
    assert got["award"].tolist() == [D(a) for a in awards]
    tied = got.groupby("rank")["rank"].transform("size") > 1
    assert got.loc[tied, "note"].str.startswith("tied at rank").all() and (got.loc[~tied, "note"] == "").all()


def test_quarterly_rank_is_on_the_exact_mean(awards_doc):
    got = awards_of({
        "A": ["100.00", "100.00", "100.01"],    # 100.00333…: first, though shown as 100.00
        "B": ["100.00", "100.00", "100.00"],
        "C": ["90.01", "90.01", "90.01"],       # 90.01 = 90.01: C and D tie exactly
        "D": ["90.00", "90.02", "90.01"],
    }, awards_doc)
    assert got["rank"].to_dict() == {"A": 1, "B": 2, "C": 3, "D": 3}
    assert got.loc["A", "score"] == D("100.00")
    assert got["award"].to_dict() == {"A": D("500.00"), "B": D("300.00"), "C": D("200.00"), "D": D("200.00")}


def test_quarterly_needs_three_months(awards_doc):
    got = awards_of({"A": [99, 99, None], "B": [80, 80, 80], "C": [70, 70, 70]}, awards_doc)
    assert pd.isna(got.loc["A", "rank"]) and got.loc["A", "award"] == 0
    assert "scored in 2 of 3 months" in got.loc["A", "note"]
    assert got["rank"].dropna().to_dict() == {"B": 1, "C": 2}


def test_quarterly_branches_rank_on_the_mean_of_monthly_branch_means(awards_doc):
    units = units_of({"A": [90, 90, 90], "B": [70, 70, 70], "C": [85, 85, 85], "D": [60, 80, 100]},
                     branch={"A": "华东分部", "B": "华东分部", "C": "华南分部", "D": "华北分部"})
    got = quarterly_awards(units, "2026Q1", awards_doc, level="branch").set_index("branch")
    # 华东 (90 + 70) / 2 = 80 each month; 华南 85; 华北 (60 + 80 + 100) / 3 = 80: tie with 华东
    assert got["rank"].to_dict() == {"华南分部": 1, "华东分部": 2, "华北分部": 2}
    assert got["award"].to_dict() == {"华南分部": D("500.00"), "华东分部": D("300.00"), "华北分部": D("300.00")}
    assert got.loc["华东分部", "people"] == 2


# monthly bottom three ---------------------------------------------------------------------------
def explain_of(rows: list[tuple]) -> pd.DataFrame:
    """rows: (employee_id, indicator, points, max points)."""
    return pd.DataFrame({"period": "2026-01", "employee_id": [r[0] for r in rows],
                         "indicator_key": [f"k_{r[1]}" for r in rows], "indicator": [r[1] for r in rows],
                         "points_c": [int(D(r[2]) * 100) for r in rows],
                         "max_points_c": [int(D(r[3]) * 100) for r in rows]})


def bottom_of(totals: list, doc, **kw) -> pd.DataFrame:
    units = units_of({f"E{i}": [t] for i, t in enumerate(totals)}, months=("2026-01",))
    return bottom_three(units, explain_of([]), "2026-01", doc, **kw)


def test_bottom_three_ties_included(awards_doc):
    got = bottom_of([90, 80, 60, 60, 50, 70], awards_doc)
    assert got["employee_id"].tolist() == ["E4", "E2", "E3"]
    assert got["bottom_rank"].tolist() == [1, 2, 2]
    got = bottom_of([90, 60, 60, 50, 50, 70], awards_doc)      # bottom ranks 1, 1, 3, 3
    assert sorted(got["employee_id"]) == ["E1", "E2", "E3", "E4"]
    assert got["bottom_rank"].tolist() == [1, 1, 3, 3]


def test_bottom_three_needs_a_group_larger_than_three(awards_doc):
    assert bottom_of([90, 60, 50], awards_doc).empty
    assert len(bottom_of([90, 80, 60, 50], awards_doc)) == 3


def test_bottom_three_due_date_and_why(awards_doc):
    units = units_of({"A": [90], "B": [55], "C": [70], "D": [65], "E": [95]}, months=("2026-01",))
    explain = explain_of([
        ("B", "服务态度", "6", "15"),       # 40%
        ("B", "投诉", "5", "10"),           # 50%
        ("B", "工作积极性", "12", "15"),    # 80%
        ("B", "特别表现", "0", "0"),        # bonus-only item: not a reason
        ("C", "服务态度", "12", "15"),      # 80%, 3 points lost
        ("C", "投诉", "8", "10"),           # 80%, 2 points lost
    ])
    got = bottom_three(units, explain, "2026-01", awards_doc).set_index("employee_id")
    assert list(got.index) == ["B", "D", "C"]
    assert got.loc["B", "why"] == "服务态度 6/15 (40%); 投诉 5/10 (50%)"
    assert got.loc["C", "why"] == "服务态度 12/15 (80%); 投诉 8/10 (80%)"
    assert got.loc["D", "why"] == ""
    assert (got["bulletin_date"] == date(2026, 2, 5)).all() and (got["plan_due"] == date(2026, 2, 9)).all()
    later = bottom_three(units, explain, "2026-01", awards_doc, bulletin=date(2026, 2, 27))
    assert (later["plan_due"] == date(2026, 3, 3)).all()


def test_due_date_arithmetic_across_month_ends(awards_doc):
    assert plan_due(date(2026, 2, 27), awards_doc) == date(2026, 3, 3)
    assert plan_due(date(2028, 2, 27), awards_doc) == date(2028, 3, 2)       # leap year
    assert plan_due(date(2026, 12, 30), awards_doc) == date(2027, 1, 3)
    assert bulletin_date("2026-12", awards_doc) == date(2027, 1, 5)
    late = {"monthly_bottom": {**awards_doc["monthly_bottom"], "bulletin_day": D(31)}}
    assert bulletin_date("2026-01", late) == date(2026, 2, 28)              # February has no 31st


def test_weakest_sums_a_branch_over_its_people():
    e = explain_of([("A", "服务态度", "6", "15"), ("B", "服务态度", "15", "15"), ("A", "投诉", "10", "10"),
                    ("B", "投诉", "6", "10")]).assign(branch="华东分部")
    assert weakest(e, "2026-01", ["branch"], 1).to_dict() == {"华东分部": "服务态度 21/30 (70%)"}
