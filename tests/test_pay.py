"""`perfpay pay` end to end: SPEC 7's worked example through real input files."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import openpyxl

from conftest import ROOT, write_tables

BOSS = {"employee_id": "G1", "name": "高总", "department": "总经理办公室", "branch": "总部", "role": "总经理",
        "hire_date": "2010-01-01"}
SELLER = {"employee_id": "S1", "name": "吴敏", "department": "大客户部", "branch": "总部", "role": "大客户专员",
          "hire_date": "2020-01-01", "manager_id": "G1"}
LEVELS = ["ka_responsibility", "learning", "ka_spec_attitude", "communication", "product_knowledge"]
CREDITED = {"2026Q1": 80000, "2026Q2": 150000, "2026Q3": 240000, "2026Q4": 90000}
QUARTER_DAY = {"2026Q1": "2026-02-10", "2026Q2": "2026-05-10", "2026Q3": "2026-08-10", "2026Q4": "2026-11-10"}


def card_rows(quarter: str, score90: bool):
    """A 大客户专员 quarter scoring 100 (or 90: growth 0 −5, saving 0 −4, one late −1)."""
    acts = {"sales_plan_rate": 100, "collection_rate": 90, "sales_growth_rate": 0 if score90 else 10,
            "new_customer_count": 5, "expense_saving_rate": 0 if score90 else 5}
    actuals = [{"period": quarter, "employee_id": "S1", "indicator": k, "actual": v} for k, v in acts.items()]
    targets = [{"period": quarter, "employee_id": "S1", "indicator": "sales_plan_rate", "target": 100}]
    ratings = [{"period": quarter, "employee_id": "S1", "indicator": k, "rater_id": "G1",
                "rater_role": "superior", "level": "A"} for k in LEVELS]
    events = [{"date": QUARTER_DAY[quarter], "employee_id": "S1", "event": "迟到"}] if score90 else []
    return actuals, targets, ratings, events


def company(tmp_path, q2_score90=False) -> Path:
    tables = {k: [] for k in ("actuals", "targets", "ratings", "events", "deals", "quotas")}
    for q, amount in CREDITED.items():
        a, t, r, e = card_rows(q, q2_score90 and q == "2026Q2")
        tables["actuals"] += a
        tables["targets"] += t
        tables["ratings"] += r
        tables["events"] += e
        tables["quotas"].append({"quarter": q, "employee_id": "S1", "target": 200000})
        tables["deals"].append({"date": QUARTER_DAY[q], "deal_id": f"D{q}", "crm_id": f"CRM-{q}",
                                "employee_id": "S1", "revenue_type": "软件", "amount": amount})
    # a deal outside the CRM: listed as excluded, never credited
    tables["deals"].append({"date": "2026-08-20", "deal_id": "DX", "crm_id": "", "employee_id": "S1",
                            "revenue_type": "software", "amount": 99999})
    tables["wages"] = [{"employee_id": "S1", "floating_wage": 3000, "fixed_wage": 8000}]
    return write_tables(tmp_path / "in", {"roster": [BOSS, SELLER], **tables})


def perfpay(*args):
    return subprocess.run([sys.executable, "-m", "perfpay.cli", *args], capture_output=True, text=True,
                          encoding="utf-8")


def pay(folder, period, out):
    r = perfpay("pay", "--period", period, "--inputs", str(folder), "--params", str(ROOT / "params"),
                "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    rows = list(csv.DictReader((out / period / "大客户部" / "commission.csv").read_text(encoding="utf-8-sig")
                               .splitlines()))
    return {row["quarter"]: row for row in rows}


EXPECT = {  # SPEC 7 worked example: case, commission, back-pay, floating, withheld, shortfall after, carry-out
    "2026Q1": ("1", "0.00", "0.00", "False", "600.00", "20000.00", "0.00"),
    "2026Q2": ("3", "5200.00", "4000.00", "False", "0.00", "0.00", "0.00"),
    "2026Q3": ("4", "8000.00", "0.00", "True", "0.00", "0.00", "40000.00"),
    "2026Q4": ("2", "5200.00", "0.00", "False", "0.00", "0.00", "0.00"),
}


def test_worked_example_year(tmp_path):
    rows = pay(company(tmp_path), "2026", tmp_path / "out")
    for q, (case, com, back, floating, withheld, short, carry) in EXPECT.items():
        r = rows[q]
        got = (r["case"], r["commission"], r["backpay"], r["floating_wage_paid"], r["withheld"],
               r["shortfall_after"], r["carry_out"])
        assert got == (case, com, back, floating, withheld, short, carry), f"{q}: {r['formula']}"
        assert r["kpi_coefficient"] == "1"
    assert rows["2026Q4"]["X"] == "130000.00"           # 90,000 + carry-in 40,000
    assert rows["2026Q3"]["floating_wage_amount"] == "3000"
    total = sum(float(rows[q]["commission"]) + float(rows[q]["backpay"]) for q in rows)
    assert total == 22400                                 # 4% × 560,000


def test_quarter_reuses_the_state_of_earlier_quarters_and_reruns_identically(tmp_path):
    folder = company(tmp_path)
    first = (tmp_path / "a")
    rows = pay(folder, "2026Q3", first)
    assert list(rows) == ["2026Q3"] and rows["2026Q3"]["case"] == "4"
    pay(folder, "2026Q3", tmp_path / "b")
    for name in ("commission.csv",):
        a = (first / "2026Q3" / "大客户部" / name).read_bytes()
        assert a == (tmp_path / "b" / "2026Q3" / "大客户部" / name).read_bytes()


def test_kpi_coefficient_from_the_quarterly_score(tmp_path):
    rows = pay(company(tmp_path, q2_score90=True), "2026Q2", tmp_path / "out")
    r = rows["2026Q2"]
    assert r["kpi_coefficient"] == "0.9"
    assert r["bonus"] == "9016.00"                       # 9,200 × (80% + 20% × 0.9)


def test_statement_and_excluded_deals(tmp_path):
    out = tmp_path / "out"
    pay(company(tmp_path), "2026Q3", out)
    wb = openpyxl.load_workbook(out / "2026Q3" / "大客户部" / "statements" / "S1.xlsx")
    assert {"结算单", "回款明细", "台账"} <= set(wb.sheetnames)
    cells = [c.value for row in wb["回款明细"].iter_rows() for c in row if c.value is not None]
    assert "DX" in cells and "D2026Q3" in cells
    excluded = (out / "2026Q3" / "大客户部" / "excluded_deals.csv").read_text(encoding="utf-8-sig")
    assert "DX" in excluded and "CRM" in excluded


def test_pool_for_the_year_adds_up_to_the_budget(tmp_path):
    agents = [{"employee_id": f"A{i}", "name": f"客服{i}", "department": "客户服务部", "branch": "总部",
               "role": "客服专员", "hire_date": "2019-01-01", "manager_id": "G1"} for i in range(1, 4)]
    full = {"answer_rate": 95, "first_contact_resolution": 85, "satisfaction": 5, "handling_time": 300,
            "handling_volume": 1000, "qa_score": 100}
    actuals, targets, ratings = [], [], []
    for a in agents:                          # three identical agents scoring 100 every month
        for m in range(1, 13):
            month = f"2026-{m:02d}"
            actuals += [{"period": month, "employee_id": a["employee_id"], "indicator": k, "actual": v}
                        for k, v in full.items()]
            targets.append({"period": month, "employee_id": a["employee_id"], "indicator": "handling_volume",
                            "target": 1000})
            ratings += [{"period": month, "employee_id": a["employee_id"], "indicator": k, "rater_id": "G1",
                         "rater_role": "superior", "level": "A"} for k in ("initiative", "agent_service_attitude")]
    pool_folder = write_tables(tmp_path / "pool", {
        "roster": [BOSS, *agents], "actuals": actuals, "targets": targets, "ratings": ratings,
        "pools": [{"year": 2026, "department": "客户服务部", "budget": "100.00"}]})
    out = tmp_path / "out"
    r = perfpay("pay", "--period", "2026", "--inputs", str(pool_folder), "--params", str(ROOT / "params"),
                "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader((out / "2026" / "客户服务部" / "pool.csv").read_text(encoding="utf-8-sig")
                               .splitlines()))
    assert sorted(row["amount"] for row in rows) == ["33.33", "33.33", "33.34"]
    assert {row["grade"] for row in rows} == {"优秀"}


def test_each_statement_holds_its_salespersons_rows_only():
    """The sample's two quarters of 2026H2: a statement's lines are its person's lines of its quarter,
    its ledger its person's rows; no line of a person with a statement is left out."""
    import pandas as pd

    from perfpay.load import load
    from perfpay.params import load_params
    from perfpay.pay import crediting
    from perfpay.pay.ledger import LedgerParams
    from perfpay.pay.run import commission_only

    params = load_params(ROOT / "params")
    inputs = load(ROOT / "inputs", params, "2026H2")
    result = commission_only(params, inputs, "2026H2")
    items = [args for d in result.statements.values() for _, args in d]
    assert len(items) == 30 and {a["quarter"] for a in items} == {"2026Q3", "2026Q4"}
    lines = {q: crediting.credit(inputs.deals[inputs.deals["quarter"] == q], LedgerParams.load(params, q)).lines
             for q in ("2026Q3", "2026Q4")}
    for args in items:
        eid, q = args["person"]["employee_id"], args["quarter"]
        mine = lines[q][lines[q]["employee_id"] == eid].reset_index(drop=True)
        pd.testing.assert_frame_equal(args["lines"].reset_index(drop=True), mine)
        assert set(args["ledger"]["employee_id"]) == {eid} and q in set(args["ledger"]["quarter"])
    assert sum(len(a["lines"]) for a in items) > 30
