"""Roll-ups (SPEC 2), ranks and forced distribution (SPEC 3.3), computed by hand."""

from __future__ import annotations

import shutil
from decimal import Decimal

import pytest

from conftest import ROOT, write_tables
from perfpay.inputs import load_inputs
from perfpay.params import load_params
from perfpay.scorecard import explain_table, score, scores_table

LEAD = {"employee_id": "H003", "name": "郑组长", "department": "BD组", "branch": "总部",
        "role": "BD商家维护组", "hire_date": "2018-01-01"}


def merchant(eid, hire="2020-01-01", leave=None):
    return {"employee_id": eid, "name": f"员工{eid}", "department": "BD组", "branch": "总部",
            "role": "BD商家维护组", "hire_date": hire, "leave_date": leave, "manager_id": "H003"}


def full_month(eid, month, visits=100, adjust=None):
    """Inputs that give full points on every 商家维护组 item except visits (0.4 each, cap 40)."""
    acts = {"merchant_visits": visits, "merchant_certification_rate": 98,
            "merchant_revival_rate": 90, "merchant_satisfaction": 10}
    rows = [{"period": month, "employee_id": eid, "indicator": k, "actual": v} for k, v in acts.items()]
    adj = [] if adjust is None else [{"period": month, "employee_id": eid, "indicator": "special_contribution",
                                      "points": adjust, "reason": "测试", "approved_by": "H003"}]
    return rows, adj


def run(tmp_path, params, people, months, period):
    actuals, adjustments = [], []
    for eid, month, visits, adjust in months:
        a, j = full_month(eid, month, visits, adjust)
        actuals += a
        adjustments += j
    folder = write_tables(tmp_path / "in", {"roster": [LEAD, *people], "actuals": actuals,
                                            "adjustments": adjustments})
    inputs = load_inputs(folder, params.catalog, period)
    assert not inputs.report.has_errors, inputs.report.format()
    return score(params, inputs, period)


def row(result, eid):
    return scores_table(result).set_index("employee_id").loc[eid]


def test_quarter_is_the_mean_of_the_months_employed(tmp_path, params):
    # hired 10 August: August 100.00, September 20.40 + 60 = 80.40 → (100 + 80.40) / 2 = 90.20
    res = run(tmp_path, params, [merchant("E1", hire="2026-08-10")],
              [("E1", "2026-08", 100, None), ("E1", "2026-09", 51, None)], "2026Q3")
    r = row(res, "E1")
    assert r["total"] == Decimal("90.20")
    assert r["grade"] == "优秀"
    assert r["units"] == "2026-08, 2026-09"
    rows = explain_table(res).query("employee_id == 'E1'")
    assert set(rows.query("indicator_key != 'total'")["period"]) == {"2026-08", "2026-09"}
    mean = rows.query("indicator_key == 'total' and period == '2026Q3'")
    assert list(mean["points"]) == [Decimal("90.20")]
    assert "2026-08 100.00; 2026-09 80.40" in mean["note"].iloc[0]


def test_leaver_is_scored_on_the_months_before_leaving(tmp_path, params):
    res = run(tmp_path, params, [merchant("E2", leave="2026-07-20")],
              [("E2", "2026-07", 50, None)], "2026Q3")
    r = row(res, "E2")
    assert r["units"] == "2026-07"
    assert r["total"] == Decimal("80.00")     # 50 × 0.4 = 20 + 60
    totals = explain_table(res).query("employee_id == 'E2' and indicator_key == 'total'")
    assert list(totals["period"]) == ["2026-07", "2026Q3"]    # July's sum, then the quarter's mean of July alone
    mean = totals.iloc[1]
    assert (mean["name"], mean["department"], mean["role"]) == ("员工E2", "BD组", "BD商家维护组")
    assert mean["raw_points"] == mean["points"] == Decimal("80.00")
    assert mean["note"] == f"mean of 1 scored: 2026-07 80.00 (half-up to 0.01), grade {r['grade']}"


def test_mean_rounds_half_up_exactly(tmp_path, params):
    # 99.99 and 100.00: the mean 99.995 rounds half-up to 100.00 (a float mean may not)
    res = run(tmp_path, params, [merchant("E3")],
              [("E3", "2026-07", 100, "-0.01"), ("E3", "2026-08", 100, None), ("E3", "2026-09", 100, "-0.01")],
              "2026Q3")
    # (99.99 + 100 + 99.99) / 3 = 99.99333 → 99.99
    assert row(res, "E3")["total"] == Decimal("99.99")
    res = run(tmp_path / "b", params, [merchant("E4", hire="2026-08-01")],
              [("E4", "2026-08", 100, "-0.01"), ("E4", "2026-09", 100, None)], "2026Q3")
    assert row(res, "E4")["total"] == Decimal("100.00")


def test_month_missing_inputs_counts_and_is_flagged(tmp_path, params):
    # employed all quarter, inputs only for July: August and September score 20 (events items only)
    res = run(tmp_path, params, [merchant("E5")], [("E5", "2026-07", 100, None)], "2026Q3")
    r = row(res, "E5")
    assert r["total"] == Decimal("46.67")     # (100 + 20 + 20) / 3 = 46.666…
    assert "missing_actual" in r["flags"]


def test_half_and_year_roll_up_months(tmp_path, params):
    months = [("E6", f"2026-{m:02d}", 100 if m % 2 else 50, None) for m in range(7, 13)]
    res = run(tmp_path, params, [merchant("E6", hire="2026-07-01")], months, "2026H2")
    assert row(res, "E6")["total"] == Decimal("90.00")   # three 100s and three 80s
    res = run(tmp_path / "y", params, [merchant("E6", hire="2026-07-01")], months, "2026")
    assert row(res, "E6")["total"] == Decimal("90.00")   # not employed January–June


def test_competition_ranking_shares_ties(tmp_path, params):
    people = [merchant(e) for e in ("R1", "R2", "R3", "R4")]
    months = [("R1", "2026-07", 100, None), ("R2", "2026-07", 100, None),
              ("R3", "2026-07", 90, None), ("R4", "2026-07", 100, "-5")]
    res = run(tmp_path, params, people, months, "2026-07")
    t = scores_table(res).set_index("employee_id")
    assert [t.loc[e, "rank"] for e in ("R1", "R2", "R3", "R4")] == [1, 1, 3, 4]
    # R3: 90×0.4 = 36 → 96; R4: 100 − 5 = 95 → rank 4
    assert t.loc["R3", "total"] == Decimal("96.00") and t.loc["R4", "total"] == Decimal("95.00")


def test_rank_ties_on_total(tmp_path, params):
    people = [merchant(e) for e in ("T1", "T2", "T3")]
    months = [("T1", "2026-07", 80, None), ("T2", "2026-07", 80, None), ("T3", "2026-07", 90, None)]
    t = scores_table(run(tmp_path, params, people, months, "2026-07")).set_index("employee_id")
    assert [t.loc[e, "rank"] for e in ("T3", "T1", "T2")] == [1, 2, 2]


@pytest.fixture
def forced_params(tmp_path):
    folder = tmp_path / "params"
    shutil.copytree(ROOT / "params", folder)
    grades = folder / "grades.yaml"
    grades.write_text(grades.read_text(encoding="utf-8").replace("enabled: false", "enabled: true"),
                      encoding="utf-8")
    return load_params(folder)


def test_forced_distribution_caps_the_top_grade_and_keeps_ties(tmp_path, forced_params):
    # 10 people in the department (with the lead): at most 20% = 2 may be 优秀
    people = [merchant(f"F{i}") for i in range(1, 10)]
    visits = [100, 100, 100, 95, 90, 80, 70, 60, 50]      # totals 100,100,100,98,96,92,88,84,80
    months = [(f"F{i}", "2026-07", v, None) for i, v in enumerate(visits, 1)]
    t = scores_table(run(tmp_path, forced_params, people, months, "2026-07")).set_index("employee_id")
    # three tie at 100 for two places: all three keep 优秀 and are flagged; 98, 96, 92 fall to 良好
    assert [t.loc[f"F{i}", "grade"] for i in range(1, 7)] == ["优秀"] * 3 + ["良好"] * 3
    assert all("forced_distribution_tie" in t.loc[f"F{i}", "flags"] for i in (1, 2, 3))
    assert "forced_distribution:优秀→良好" in t.loc["F4", "flags"]
    assert t.loc["F7", "grade"] == "良好"          # 88 was 良好 already
