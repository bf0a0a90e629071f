"""Scorecards scored from KPIs computed from raw records (params/kpis.yaml `sources`)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from conftest import ROOT, write_csv, write_tables
from test_cli import perfpay, read

from perfpay.load import load
from perfpay.scorecard import score

PEOPLE = [
    {"employee_id": "S1", "name": "周主管", "department": "客户服务部", "branch": "总部", "role": "售后服务主管",
     "hire_date": "2020-01-01"},
    {"employee_id": "A1", "name": "谢静", "department": "客户服务部", "branch": "总部", "role": "客服专员",
     "hire_date": "2020-01-01", "manager_id": "S1"},
    {"employee_id": "A2", "name": "韩明", "department": "客户服务部", "branch": "总部", "role": "客服专员",
     "hire_date": "2020-01-01", "manager_id": "S1"},
    {"employee_id": "F1", "name": "李佳怡", "department": "客户服务部", "branch": "总部", "role": "售后服务专员",
     "hire_date": "2020-01-01", "manager_id": "S1"},
]
CALL_HEAD = ["call_id", "employee_id", "customer_id", "direction", "offered_at", "answered_at", "ended_at",
             "talk_s", "hold_s", "wrap_s", "category", "abandoned"]


def calls(answered: int, abandoned: int, agent="A1", day="2026-07-06"):
    """`answered` calls of 300 s handling (200 talk + 40 hold + 60 wrap) and `abandoned` ones."""
    rows = []
    for i in range(answered):
        at = f"{day} 09:{i:02d}:00"
        rows.append([f"C{agent}{i}", agent, f"K{i}", "in", at, at, f"{day} 09:{i:02d}:59", 200, 40, 60,
                     f"cat{i}", "否"])
    for i in range(abandoned):
        at = f"{day} 10:{i:02d}:00"
        rows.append([f"X{agent}{i}", agent, f"KX{i}", "in", at, "", at, "", "", "", "", "是"])
    return rows


def folder(tmp_path, call_rows, actuals=(), followups=()):
    root = write_tables(tmp_path / "in", {"roster": PEOPLE, "actuals": list(actuals), "targets": [
        {"period": "2026-07", "employee_id": "A1", "indicator": "处理量", "target": 10}]})
    write_csv(root / "records" / "calls.csv", [CALL_HEAD, *call_rows])
    write_csv(root / "records" / "followups.csv",
              [["date", "employee_id", "planned", "done"], *followups])
    return root


def explain_row(result, who, key, period="2026-07"):
    e = result.explain
    rows = e[(e["employee_id"] == who) & (e["indicator_key"] == key) & (e["period"] == period)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_answer_rate_scored_from_calls(tmp_path, params):
    root = folder(tmp_path, calls(answered=9, abandoned=1))
    inputs = load(root, params, "2026-07")
    assert not inputs.report.has_errors, inputs.report.format()
    result = score(params, inputs, "2026-07", "客户服务部")
    row = explain_row(result, "A1", "answer_rate")
    # 9 of 10 offered = 90%: 5 points below the 95% target, −1 each: 15 − 5 = 10
    assert row["points_c"] == 1000
    assert "computed 接通率 = 9/10" in row["source"] and "calls.csv" in row["source"]
    handling = explain_row(result, "A1", "handling_time")
    assert handling["points_c"] == 1000          # 300 s is the target exactly: no step over
    volume = explain_row(result, "A1", "handling_volume")
    assert volume["points_c"] == 900             # 9 handled of a target of 10: 9/10 × 10 points
    assert not [p for p in inputs.report.problems if "has no actual" in p.message]


def test_no_calls_leaves_the_actual_missing_and_flagged(tmp_path, params):
    root = folder(tmp_path, calls(answered=9, abandoned=1))
    result = score(params, load(root, params, "2026-07"), "2026-07", "客户服务部")
    row = explain_row(result, "A2", "answer_rate")          # A2 took no call
    assert row["points_c"] == 0 and row["flag"] == "missing_actual"


def test_all_abandoned_scores_zero_answer_rate(tmp_path, params):
    root = folder(tmp_path, calls(answered=0, abandoned=4))
    result = score(params, load(root, params, "2026-07"), "2026-07", "客户服务部")
    row = explain_row(result, "A1", "answer_rate")
    assert row["points_c"] == 0 and row["flag"] == ""        # 0% is below the 80% cut
    assert "computed 接通率 = 0/4" in row["source"]


def test_typed_in_actual_wins_and_says_so(tmp_path, params):
    typed = [{"period": "2026-07", "employee_id": "A1", "indicator": "接通率", "actual": 97}]
    root = folder(tmp_path, calls(answered=9, abandoned=1), actuals=typed)
    result = score(params, load(root, params, "2026-07"), "2026-07", "客户服务部")
    row = explain_row(result, "A1", "answer_rate")
    assert row["points_c"] == 1500                            # 97% ≥ 95%: full points
    assert "actuals.csv:2" in row["source"]
    assert "typed in; wins over the computed 接通率 = 9/10" in row["source"]


def test_supervisor_scored_on_the_follow_ups_of_the_team(tmp_path, params):
    ups = [["2026-07-06", "F1", 60, 54], ["2026-08-03", "F1", 40, 36], ["2026-07-07", "S1", 100, 100]]
    root = folder(tmp_path, calls(answered=9, abandoned=1), followups=ups)
    result = score(params, load(root, params, "2026Q3"), "2026Q3", "客户服务部")
    # the team of S1 (A1, A2, F1): 90 done of 100 planned = 90%; S1's own follow-ups are not the team's
    row = explain_row(result, "S1", "follow_up_rate", "2026Q3")
    assert row["points_c"] == 500                             # 5 points below 95%: 10 − 5
    assert "of the team = 90/100" in row["source"]
    july = explain_row(result, "F1", "as_follow_up_rate", "2026-07")   # F1's own month: 54/60 = 90%
    assert "客户回访率 = 54/60" in july["source"]


def test_kpis_command_writes_numerators_and_denominators(tmp_path):
    root = folder(tmp_path, calls(answered=9, abandoned=1))
    out = tmp_path / "out"
    r = perfpay("kpis", "--period", "2026-07", "--inputs", str(root), "--params", str(ROOT / "params"),
                "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = read(out / "2026-07" / "客户服务部" / "kpis.csv")
    assert {"numerator", "denominator", "value", "source_rows"} <= set(rows[0])
    a1 = {(x["level"], x["kpi"]): x for x in rows if x["unit"] == "A1"}
    assert (a1["person", "answer_rate"]["numerator"], a1["person", "answer_rate"]["denominator"],
            a1["person", "answer_rate"]["value"]) == ("9", "10", "90")
    assert a1["person", "handling_time"]["value"] == "300"
    dept = {x["kpi"]: x for x in rows if x["level"] == "department"}
    assert dept["answer_rate"]["value"] == "90"


def test_bad_record_is_reported_by_check_with_file_row_and_column(tmp_path):
    bad = calls(answered=2, abandoned=0)
    bad[1][4] = "yesterday"                                   # offered_at of data row 2 (file row 3)
    root = folder(tmp_path, bad)
    r = perfpay("check", "--period", "2026-07", "--inputs", str(root), "--params", str(ROOT / "params"))
    assert r.returncode == 1
    assert "calls.csv" in r.stdout and "row 3" in r.stdout and "offered_at" in r.stdout
    assert "yesterday" in r.stdout
