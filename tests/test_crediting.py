"""Crediting of SPEC 7: deals → task and service streams, hand-computed.

Deals are written as a finance person would (yuan, shares as 0.5 or 1/3); expected
amounts are worked out by hand in the comments.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfpay.inputs import load_inputs
from perfpay.params import load_params
from perfpay.pay.crediting import COLUMNS, CRM_REASON, credit, fen_sums, service_fen, task_fen
from perfpay.pay.ledger import LedgerParams

PARAMS_DIR = Path(__file__).resolve().parents[1] / "params"
PARAMS = load_params(PARAMS_DIR)
P = LedgerParams.load(PARAMS, "2026Q1")
SERVICE = dataclasses.replace(P, implementation_stream="service")


def deal(day, deal_id, employee, kind, amount, share=None, crm="CRM-1", **kw) -> dict:
    return {"date": date.fromisoformat(day), "deal_id": deal_id, "crm_id": crm, "employee_id": employee,
            "share": share if share is None or isinstance(share, Fraction) else Decimal(str(share)),
            "revenue_type": kind, "amount": Decimal(str(amount)),
            "cost": Decimal(str(kw["cost"])) if "cost" in kw else None,
            "standard_quote": Decimal(str(kw["quote"])) if "quote" in kw else None,
            "refund": Decimal(str(amount)) < 0, "_file": "回款.csv", "_row": kw.get("row", 0)}


def run(*rows, params=P):
    return credit(pd.DataFrame(list(rows)), params)


def y(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def cells(result, *columns) -> list[list]:
    return result.lines[list(columns)].values.tolist()


# the frame ------------------------------------------------------------------------------------------
def test_columns_exactly_and_an_empty_frame():
    result = run(deal("2026-07-01", "XM-1", "A", "software", "1000"))
    assert list(result.lines.columns) == COLUMNS == [
        "quarter", "date", "deal_id", "crm_id", "employee_id", "revenue_type", "amount", "cost",
        "standard_quote", "share", "stream", "credited", "reclassified", "rule", "formula", "reason",
        "_file", "_row"]
    line = result.lines.iloc[0]
    assert (line["quarter"], line["stream"], line["credited"], line["reclassified"], line["reason"]) == \
        ("2026Q3", "task", y(1000), y(0), "")
    assert line["formula"] == "1,000.00 × share 100% = 1,000.00" and "SPEC 7" in line["rule"]
    assert isinstance(line["credited"], Decimal) and str(line["credited"]) == "1000.00"
    empty = credit(pd.DataFrame({c: [] for c in ("date", "deal_id", "crm_id", "employee_id", "revenue_type",
                                                  "amount")}), P)
    assert list(empty.lines.columns) == COLUMNS and empty.lines.empty
    assert list(empty.sums().columns) == ["quarter", "employee_id", "credited_fen", "service_fen"]


# CRM ----------------------------------------------------------------------------------------------
def test_deals_outside_the_crm_are_listed_with_the_reason_never_credited():
    result = run(deal("2026-07-01", "XM-1", "A", "software", "50000", crm=""),
                 deal("2026-07-01", "XM-2", "B", "maintenance", "8000", crm=""),
                 deal("2026-07-02", "XM-3", "A", "software", "1000"))
    out = result.excluded
    assert list(out["deal_id"]) == ["XM-1", "XM-2"]
    assert (out["credited"] == 0).all() and (out["stream"] == "excluded").all()
    assert CRM_REASON.startswith("未进入CRM系统") and "不计提奖金、不计入销售任务额" in CRM_REASON
    assert (out["reason"] == CRM_REASON).all()
    assert out.iloc[0]["formula"] == "50,000.00 × share 100%: not credited (not in the CRM)"
    assert "CRM" in out.iloc[0]["rule"]
    # listed in the sums with nothing credited
    assert result.sums().values.tolist() == [["2026Q3", "A", 100_000, 0], ["2026Q3", "B", 0, 0]]


# shares -------------------------------------------------------------------------------------------
def test_thirds_of_100_are_33_34_33_33_33_33():
    thirds = [deal("2026-07-01", "XM-1", e, "software", "100.00", share=Fraction(1, 3)) for e in "CAB"]
    result = run(*thirds)
    # 10,000 fen / 3 = 3,333 each and 1 fen left: the tie goes to the lowest employee_id
    assert cells(result, "employee_id", "credited") == [["A", y("33.34")], ["B", y("33.33")], ["C", y("33.33")]]
    assert result.lines.iloc[0]["formula"] == "100.00 × share 1/3 = 33.34"
    # written as percents they are exact
    pct = [deal("2026-07-01", "XM-1", e, "software", "100.00", share=s)
           for e, s in (("A", "0.3333"), ("B", "0.3333"), ("C", "0.3334"))]
    assert cells(run(*pct), "credited") == [[y("33.33")], [y("33.33")], [y("33.34")]]
    # a refund of the same thirds mirrors the sale exactly
    back = [deal("2026-10-01", "XM-1", e, "software", "-100.00", share=Fraction(1, 3)) for e in "ABC"]
    assert cells(run(*back), "credited") == [[y("-33.34")], [y("-33.33")], [y("-33.33")]]


def test_largest_remainder_ties_go_to_the_larger_share_then_the_lower_id():
    # 0.01 yuan = 1 fen: 0.6 → 0.6 fen, 0.4 → 0.4 fen; the larger remainder gets the fen
    r = run(deal("2026-07-01", "XM-1", "A", "software", "0.01", share="0.4"),
            deal("2026-07-01", "XM-1", "B", "software", "0.01", share="0.6"))
    assert cells(r, "employee_id", "credited") == [["A", y(0)], ["B", y("0.01")]]
    # equal remainders: 0.5 / 0.5 of 1 fen → the lower id
    r = run(deal("2026-07-01", "XM-1", "B", "software", "0.01", share="0.5"),
            deal("2026-07-01", "XM-1", "A", "software", "0.01", share="0.5"))
    assert cells(r, "employee_id", "credited") == [["A", y("0.01")], ["B", y(0)]]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=-10**9, max_value=10**9),
       st.lists(st.integers(min_value=1, max_value=97), min_size=1, max_size=6))
def test_parts_add_up_to_the_collection_exactly(fen, weights):
    total = sum(weights)
    shares = [Fraction(w, total) for w in weights]
    amount = Decimal(fen) / 100
    rows = [deal("2026-07-01", "XM-1", f"E{i}", "software", amount, share=s) for i, s in enumerate(shares)]
    for row in rows:
        row["refund"] = fen < 0
    got = credit(pd.DataFrame(rows), P).lines.sort_values("employee_id")
    parts = [int(c * 100) for c in got["credited"]]
    assert sum(parts) == fen
    for part, share in zip(parts, shares):
        assert abs(part - fen * share) < 1


# revenue types ------------------------------------------------------------------------------------
def test_secondary_development_counts_at_gross_margin():
    r = run(deal("2026-07-01", "XM-1", "A", "secondary_dev", "120000", share="0.5", cost="45000"),
            deal("2026-07-01", "XM-1", "B", "secondary_dev", "120000", share="0.5", cost="45000"),
            deal("2026-08-01", "XM-2", "A", "secondary_dev", "10000", cost="12000"))
    assert cells(r, "employee_id", "stream", "credited") == [
        ["A", "task", y(37_500)], ["B", "task", y(37_500)], ["A", "task", y(-2_000)]]
    assert r.lines.iloc[0]["formula"] == "120,000.00 − cost 45,000.00 = 75,000.00 × share 50% = 37,500.00"
    assert r.lines.iloc[0]["cost"] == y(45000) and "gross margin" in r.lines.iloc[0]["rule"]
    assert r.lines.iloc[2]["formula"] == \
        "10,000.00 − cost 12,000.00 = -2,000.00 × share 100% = -2,000.00 (negative margin: counts negative)"
    assert r.notes == ["XM-2 secondary_dev of 2026-08-01 (2026Q3): negative gross margin -2,000.00 counts negative"]
    assert r.task_fen().values.tolist() == [["2026Q3", "A", 3_550_000], ["2026Q3", "B", 3_750_000]]


def test_maintenance_and_training_go_to_the_service_stream():
    r = run(deal("2026-07-01", "XM-1", "A", "software", "100000"),
            deal("2026-07-01", "XM-1", "A", "maintenance", "8000"),
            deal("2026-07-02", "XM-2", "A", "training", "3000", share="0.5"),
            deal("2026-07-02", "XM-2", "B", "training", "3000", share="0.5"))
    assert cells(r, "revenue_type", "stream", "credited") == [
        ["software", "task", y(100_000)], ["maintenance", "service", y(8_000)],
        ["training", "service", y(1_500)], ["training", "service", y(1_500)]]
    assert "ungated, outside the task" in r.lines.iloc[1]["rule"]
    assert r.sums().values.tolist() == [["2026Q3", "A", 10_000_000, 950_000], ["2026Q3", "B", 0, 150_000]]
    assert service_fen(r.lines).values.tolist() == [["2026Q3", "A", 950_000], ["2026Q3", "B", 150_000]]


# implementation below its standard quote --------------------------------------------------------------
BELOW = [deal("2026-07-10", "XM-1", "A", "software", "120000", share="0.5"),
         deal("2026-07-10", "XM-1", "B", "software", "120000", share="0.5"),
         deal("2026-07-10", "XM-1", "A", "implementation", "30000", quote="50000")]


def test_implementation_below_quote_is_reclassified_from_the_software_of_the_deal():
    # 50,000 − 30,000 = 20,000 moves from software (A 10,000, B 10,000) to implementation (A)
    r = run(*BELOW)
    assert cells(r, "employee_id", "revenue_type", "stream", "credited", "reclassified") == [
        ["A", "software", "task", y(50_000), y(-10_000)],
        ["B", "software", "task", y(50_000), y(-10_000)],
        ["A", "implementation", "task", y(50_000), y(20_000)]]
    assert r.lines.iloc[0]["formula"] == \
        "120,000.00 − reclassified to implementation 20,000.00 = 100,000.00 × share 50% = 50,000.00"
    assert r.lines.iloc[2]["formula"] == \
        "30,000.00 + reclassified from software 20,000.00 (standard quote 50,000.00) = 50,000.00 × share 100% = 50,000.00"
    assert "按标准报价划拨实施费" in r.lines.iloc[0]["rule"]
    assert r.lines.iloc[2]["standard_quote"] == y(50_000)
    assert sum(r.lines["reclassified"]) == 0
    # A gets the implementation at the standard quote: 50,000 + 50,000; B 50,000 (not 60,000)
    assert r.task_fen().values.tolist() == [["2026Q3", "A", 10_000_000], ["2026Q3", "B", 5_000_000]]


def test_implementation_in_the_service_stream_keeps_the_reclassified_part_in_the_task():
    r = run(*BELOW, params=SERVICE)
    assert cells(r, "employee_id", "revenue_type", "stream", "credited", "reclassified") == [
        ["A", "software", "task", y(50_000), y(-10_000)],
        ["B", "software", "task", y(50_000), y(-10_000)],
        ["A", "implementation", "service", y(30_000), y(0)],
        ["A", "implementation", "task", y(20_000), y(20_000)]]
    assert r.lines.iloc[3]["formula"] == ("standard quote 50,000.00 − implementation 30,000.00 = reclassified from "
                                          "software 20,000.00 × share 100% = 20,000.00 at the software (task) rate")
    assert "on its own line" in r.lines.iloc[2]["formula"]
    assert "implementation_stream service" in r.lines.iloc[2]["rule"]
    assert "software (task) rate" in r.lines.iloc[3]["rule"]
    assert r.sums().values.tolist() == [["2026Q3", "A", 7_000_000, 3_000_000], ["2026Q3", "B", 5_000_000, 0]]


def test_implementation_stream_parameter_both_ways_and_every_params_form():
    sale = [deal("2026-07-01", "XM-1", "A", "implementation", "30000")]
    task = [["2026Q3", "A", 3_000_000, 0]]
    service = [["2026Q3", "A", 0, 3_000_000]]
    assert run(*sale).sums().values.tolist() == task
    assert run(*sale, params=PARAMS).sums().values.tolist() == task          # params/: the default is task
    assert run(*sale, params="task").sums().values.tolist() == task
    assert run(*sale, params=SERVICE).sums().values.tolist() == service
    assert run(*sale, params="service").sums().values.tolist() == service
    doc = PARAMS.document("commission", "2026Q3")
    doc["implementation_stream"]["value"] = "service"
    assert run(*sale, params=doc).sums().values.tolist() == service
    with pytest.raises(ValueError, match="implementation stream 'both'"):
        run(*sale, params="both")


def test_implementation_below_quote_without_software_reclassifies_nothing():
    r = run(deal("2026-04-01", "XM-1", "A", "software", "80000"),          # Q2: another quarter
            deal("2026-07-01", "XM-1", "A", "implementation", "30000", quote="50000"),
            deal("2026-07-01", "XM-2", "B", "implementation", "10000", quote="25000"),
            deal("2026-07-01", "XM-2", "B", "software", "5000"))            # holds only 5,000 of 15,000
    lines = r.lines.set_index(["deal_id", "revenue_type", "quarter"])
    one = lines.loc[("XM-1", "implementation", "2026Q3")]
    assert (one["credited"], one["reclassified"]) == (y(30_000), y(0))
    assert one["formula"] == ("30,000.00 × share 100% = 30,000.00; below its standard quote 50,000.00 by "
                              "20,000.00, but XM-1 has no software collected in 2026Q3 to take it from: "
                              "nothing reclassified")
    assert lines.loc[("XM-1", "software", "2026Q2"), "credited"] == y(80_000)
    two = lines.loc[("XM-2", "implementation", "2026Q3")]
    assert (two["credited"], two["reclassified"]) == (y(15_000), y(5_000))
    assert "the software of the deal in 2026Q3 held only 5,000.00" in two["formula"]
    assert lines.loc[("XM-2", "software", "2026Q3"), "credited"] == y(0)
    assert r.notes == [
        "XM-1 implementation of 2026-07-01 (2026Q3): below its standard quote by 20,000.00, but no software "
        "of the deal was collected in the quarter: nothing reclassified",
        "XM-2 implementation of 2026-07-01 (2026Q3): below its standard quote by 15,000.00; only 5,000.00 of "
        "software could be reclassified"]


# refunds -------------------------------------------------------------------------------------------
def test_a_refund_reduces_its_stream_in_the_quarter_of_its_date():
    r = run(deal("2026-02-01", "XM-1", "A", "software", "100000", share="0.6"),
            deal("2026-02-01", "XM-1", "B", "software", "100000", share="0.4"),
            deal("2026-02-01", "XM-2", "A", "maintenance", "10000"),
            deal("2026-08-15", "XM-1", "A", "software", "-25000", share="0.6"),
            deal("2026-08-15", "XM-1", "B", "software", "-25000", share="0.4"),
            deal("2026-08-15", "XM-2", "A", "maintenance", "-4000"),
            deal("2026-08-20", "XM-3", "B", "software", "30000"))
    refunds = r.lines[r.lines["quarter"] == "2026Q3"]
    assert cells(r, "quarter", "employee_id", "stream", "credited")[3:] == [
        ["2026Q3", "A", "task", y(-15_000)], ["2026Q3", "B", "task", y(-10_000)],
        ["2026Q3", "A", "service", y(-4_000)], ["2026Q3", "B", "task", y(30_000)]]
    assert refunds.iloc[0]["formula"] == "-25,000.00 × share 60% = -15,000.00"
    assert "a refund 退款 reduces the task stream of 2026Q3" in refunds.iloc[0]["rule"]
    assert fen_sums(r.lines).values.tolist() == [
        ["2026Q1", "A", 6_000_000, 1_000_000], ["2026Q1", "B", 4_000_000, 0],
        ["2026Q3", "A", -1_500_000, -400_000], ["2026Q3", "B", 2_000_000, 0]]


# sums -----------------------------------------------------------------------------------------------
def test_sums_per_person_and_quarter_in_fen():
    r = run(deal("2026-03-31", "XM-1", "A", "software", "1000.01", share="0.5"),
            deal("2026-03-31", "XM-1", "B", "software", "1000.01", share="0.5"),
            deal("2026-04-01", "XM-2", "A", "implementation", "200.50"),
            deal("2026-04-01", "XM-3", "A", "training", "99.99"),
            deal("2026-04-02", "XM-4", "B", "secondary_dev", "500", cost="120.25"),
            deal("2026-05-01", "XM-5", "C", "software", "10", crm=""))
    # 100,001 fen / 2: A 50,001 (lower id), B 50,000
    assert task_fen(r.lines).values.tolist() == [
        ["2026Q1", "A", 50_001], ["2026Q1", "B", 50_000], ["2026Q2", "A", 20_050], ["2026Q2", "B", 37_975],
        ["2026Q2", "C", 0]]
    sums = r.sums()
    assert sums.values.tolist() == [
        ["2026Q1", "A", 50_001, 0], ["2026Q1", "B", 50_000, 0], ["2026Q2", "A", 20_050, 9_999],
        ["2026Q2", "B", 37_975, 0], ["2026Q2", "C", 0, 0]]
    assert sums["credited_fen"].dtype == "int64" and sums["service_fen"].dtype == "int64"


# what the input checks would reject ------------------------------------------------------------------
def test_frames_the_input_checks_reject_raise():
    with pytest.raises(ValueError, match=r"XM-1 software 2026-07-01: shares add up to 9/10, not 1"):
        run(deal("2026-07-01", "XM-1", "A", "software", "100", share="0.5"),
            deal("2026-07-01", "XM-1", "B", "software", "100", share="0.4"))
    with pytest.raises(ValueError, match="revenue type 'consulting'"):
        run(deal("2026-07-01", "XM-1", "A", "consulting", "100"))
    with pytest.raises(ValueError, match="rows disagree on amount"):
        run(deal("2026-07-01", "XM-1", "A", "software", "100", share="0.5"),
            deal("2026-07-01", "XM-1", "B", "software", "101", share="0.5"))
    with pytest.raises(ValueError, match="not yuan to the fen"):
        run(deal("2026-07-01", "XM-1", "A", "software", "100.001"))
    with pytest.raises(ValueError, match="column.s. crm_id missing"):
        credit(pd.DataFrame([{"date": date(2026, 7, 1), "deal_id": "X", "employee_id": "A",
                              "revenue_type": "software", "amount": 1}]), P)


# from the input tables -------------------------------------------------------------------------------
def test_from_the_input_tables(tmp_path):
    root = tmp_path / "inputs"
    (root / "销售").mkdir(parents=True)
    (root / "人员.csv").write_text(
        "工号,姓名,部门,分部,岗位,入职日期,离职日期,上级工号\n"
        "M01,经理,大客户部,总部,大客户经理,2020-01-01,,\n"
        "S01,钱一,大客户部,总部,大客户专员,2022-01-01,,M01\n"
        "S02,孙二,大客户部,总部,大客户专员,2022-01-01,,M01\n", encoding="utf-8")
    (root / "销售" / "季度任务.csv").write_text(
        "季度,工号,目标\n2026Q3,S01,200000\n2026Q3,S02,200000\n2026Q3,M01,300000\n", encoding="utf-8")
    (root / "销售" / "回款.csv").write_text(
        "回款日期,项目编号,CRM编号,工号,贡献比例,收入类型,税后净额,成本,标准报价,退款\n"
        "2026-07-15,XM-1,CRM-1,S01,1/3,软件,100,,,\n"
        "2026-07-15,XM-1,CRM-1,S02,1/3,软件,100,,,\n"
        "2026-07-15,XM-1,CRM-1,M01,1/3,软件,100,,,\n"
        "2026-07-15,XM-1,CRM-1,S01,,实施,30,,40,\n"
        "2026-07-20,XM-2,,S02,,软件,5000,,,\n", encoding="utf-8")
    inputs = load_inputs(root, PARAMS.catalog, "2026Q3")
    assert not inputs.report.problems, inputs.report.format()
    r = credit(inputs.deals, PARAMS)
    # software 100 − 10 reclassified = 90 in thirds: 30 each; implementation 30 + 10 = 40;
    # the 10 reclassified in thirds: 3.34 to the lowest id, 3.33 to the others
    assert cells(r, "employee_id", "revenue_type", "credited", "reclassified", "_row") == [
        ["M01", "software", y(30), y("-3.34"), 4], ["S01", "software", y(30), y("-3.33"), 2],
        ["S02", "software", y(30), y("-3.33"), 3], ["S01", "implementation", y(40), y(10), 5],
        ["S02", "software", y(0), y(0), 6]]
    assert r.sums().values.tolist() == [["2026Q3", "M01", 3_000, 0], ["2026Q3", "S01", 7_000, 0],
                                        ["2026Q3", "S02", 3_000, 0]]
    assert list(r.excluded["_file"]) == ["销售/回款.csv"]


def test_sums_need_no_texts_and_equal_the_sums_of_the_lines():
    """`sums()` works from the fen amounts before any line text is made; it equals the sums of
    the lines, for every quarter of the sample company's deals."""
    from conftest import ROOT

    inputs = load_inputs(ROOT / "inputs", PARAMS.catalog, "2026")
    assert len(inputs.deals) > 50
    fresh = credit(inputs.deals, PARAMS)
    quick = fresh.sums()
    assert fresh._lines is None, "no line (and no formula text) made for the sums"
    pd.testing.assert_frame_equal(quick, fen_sums(credit(inputs.deals, PARAMS).lines))
    assert len(fresh.lines) >= len(inputs.deals) and fresh.notes == credit(inputs.deals, PARAMS).notes
