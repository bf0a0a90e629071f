"""Sales input tables (SPEC 7): deals 回款, quotas 季度任务, wages 薪资, pools 绩效工资预算.

Every test writes real files to tmp_path (xlsx through openpyxl) and reads them back with
the real params/ catalog; problems are checked by file, row, column and value.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal as D
from fractions import Fraction

import pytest

from perfpay.inputs import effective_wages, load_inputs
from perfpay.inputs.contracts import table_for_name

from conftest import find, one, write_xlsx
from conftest import write_csv as shared_write_csv

ROSTER = [
    ["工号", "姓名", "部门", "分部", "岗位", "入职日期", "离职日期", "上级工号", "月度绩效奖金"],
    ["G01", "总经理", "总经理办公室", "总部", "总经理", "2010-01-01", "", "", ""],
    ["M01", "赵经理", "大客户部", "总部", "大客户经理", "2020-01-01", "", "G01", "5000"],
    ["S01", "钱一", "大客户部", "总部", "大客户专员", "2022-01-01", "", "M01", ""],
    ["S02", "孙二", "大客户部", "总部", "大客户专员", "2023-01-01", "", "M01", ""],
    ["S03", "李三", "大客户部", "总部", "大客户专员", "2024-01-01", "", "M01", ""],
    ["S04", "周四", "大客户部", "总部", "大客户专员", "2026-08-03", "2026-10-31", "M01", ""],
    ["C01", "吴五", "客户服务部", "总部", "客服专员", "2024-01-01", "", "M01", ""],
]
DEALS_CN = ["回款日期", "项目编号", "CRM编号", "工号", "贡献比例", "收入类型", "税后净额", "成本", "标准报价", "退款"]
DEALS_EN = ["date", "deal_id", "crm_id", "employee_id", "share", "revenue_type", "amount", "cost",
            "standard_quote", "refund"]
QUOTAS_CN = ["季度", "工号", "目标", "部门目标"]
WAGES_CN = ["工号", "季度", "浮动工资", "固定工资"]
POOLS_CN = ["年度", "部门", "预算"]


def write_csv(path, rows, encoding="utf-8-sig"):
    return shared_write_csv(path, rows, encoding)


@pytest.fixture
def root(tmp_path):
    d = tmp_path / "inputs"
    write_csv(d / "人员.csv", ROSTER)
    return d


@pytest.fixture
def load(params):
    def run(root, period=None):
        return load_inputs(root, params.catalog, period)
    return run




def quotas_for(*people, quarters=("2026Q1", "2026Q2", "2026Q3", "2026Q4")):
    return [QUOTAS_CN] + [[q, p, "200000", ""] for q in quarters for p in people]


# names ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name, table", [
    ("回款", "deals"), ("deals", "deals"), ("2026_回款", "deals"), ("季度任务", "quotas"), ("quotas", "quotas"),
    ("销售任务", "quotas"), ("薪资", "wages"), ("Wages", "wages"), ("绩效工资预算", "pools"), ("pools", "pools"),
    ("目标", "targets"),
])
def test_table_names(name, table):
    assert table_for_name(name) == table


# reading in English and Chinese ------------------------------------------------------------------
def test_every_sales_table_in_chinese_csv(root, load):
    write_csv(root / "销售" / "回款.csv", [
        DEALS_CN,
        ["2026-07-15", "XM-1", "CRM-1", "S01", "60%", "软件", "120,000.00", "", "", ""],
        ["2026-07-15", "XM-1", "CRM-1", "S02", "0.4", "软件", "120,000.00", "", "", "否"],
        ["2026-07-15", "XM-1", "CRM-1", "S01", "", "实施", "30000", "", "50000", ""],
        ["2026-08-01", "XM-2", "", "S03", "1/3", "二次开发", "90000", "30000", "", ""],
        ["2026-08-01", "XM-2", "", "S01", "2/3", "二次开发", "90000", "30000", "", ""],
        ["2026-09-30", "XM-1", "CRM-1", "S01", "100%", "软件", "-20000.5", "", "", "是"],
        ["2026-09-30", "XM-3", "CRM-3", "S02", "", "维护", "8000", "", "", ""],
        ["2026-09-30", "XM-3", "CRM-3", "S03", "", "培训", "2000", "", "", ""],
    ])
    write_csv(root / "销售" / "季度任务.csv", [QUOTAS_CN, ["2026Q3", "M01", "300000", "1,200,000"],
                                             ["2026年第3季度", "S01", "200000", ""], ["2026Q3", "S02", "250000", ""],
                                             ["2026Q3", "S03", "0", ""]])
    write_csv(root / "销售" / "薪资.csv", [WAGES_CN, ["S01", "", "3000", "6000"], ["S01", "2026Q3", "3500", "6200.50"]])
    write_csv(root / "绩效工资预算.csv", [POOLS_CN, ["2026", "客户服务部", "300000"], ["2026年", "大客户部", "200000"]])
    inputs = load(root)
    assert not inputs.report.problems, inputs.report.format()

    d = inputs.deals
    assert list(d.columns) == ["date", "quarter", "deal_id", "crm_id", "employee_id", "share", "revenue_type",
                               "amount", "cost", "standard_quote", "refund", "_file", "_sheet", "_row"]
    first = d.iloc[0]
    assert (first["date"], first["quarter"], first["deal_id"], first["crm_id"], first["employee_id"]) == \
        (date(2026, 7, 15), "2026Q3", "XM-1", "CRM-1", "S01")
    assert first["share"] == D("0.6") and first["amount"] == D("120000.00") and not first["refund"]
    assert first["cost"] is None and first["standard_quote"] is None
    assert (first["_file"], first["_row"]) == ("销售/回款.csv", 2)
    by_row = d.set_index("_row")
    assert by_row.loc[3, "share"] == D("0.4")
    assert (by_row.loc[4, "share"], by_row.loc[4, "revenue_type"], by_row.loc[4, "standard_quote"]) == \
        (D(1), "implementation", D("50000"))
    assert by_row.loc[5, "share"] == Fraction(1, 3) and by_row.loc[6, "share"] == Fraction(2, 3)
    assert (by_row.loc[5, "crm_id"], by_row.loc[5, "revenue_type"], by_row.loc[5, "cost"]) == ("", "secondary_dev", D(30000))
    assert bool(by_row.loc[7, "refund"]) and by_row.loc[7, "amount"] == D("-20000.5") and by_row.loc[7, "share"] == D(1)
    assert list(by_row.loc[[8, 9], "revenue_type"]) == ["maintenance", "training"]
    assert d["refund"].dtype == bool

    q = inputs.quotas.set_index("employee_id")
    assert q.loc["M01", "department_target"] == D("1200000") and q.loc["S01", "department_target"] is None
    assert q.loc["S01", "quarter"] == "2026Q3" and q.loc["S03", "target"] == D(0)
    assert list(inputs.wages["quarter"]) == [None, "2026Q3"]
    assert inputs.wages.loc[1, "fixed_wage"] == D("6200.50")
    assert list(inputs.pools["year"]) == ["2026", "2026"] and inputs.pools.loc[1, "budget"] == D(200000)


def test_every_sales_table_in_english_xlsx(root, load):
    write_xlsx(root / "sales.xlsx", {
        "deals": [DEALS_EN,
                  [datetime(2026, 7, 15), "XM-1", "CRM-1", "S01", (0.5, "0%"), "software", 1000.5, None, None, None],
                  [datetime(2026, 7, 15), "XM-1", "CRM-1", "S02", 0.5, "software", 1000.5, None, None, "no"],
                  ["2026-07-16", "XM-2", "CRM-2", "S01", None, "implementation", 800, None, 900, "false"],
                  ["2026-07-17", "XM-1", "CRM-1", "S01", 1, "software", -1000.5, None, None, "yes"]],
        "quotas": [["quarter", "employee_id", "target", "department_target"], ["2026Q3", "S01", 200000, None],
                   ["2026Q3", "S02", 200000, None]],
        "wages": [["employee_id", "quarter", "floating_wage", "fixed_wage"], ["S01", None, 3000, 6000]],
        "pools": [["year", "department", "budget"], [2026, "客户服务部", 300000]],
    })
    inputs = load(root)
    assert not inputs.report.problems, inputs.report.format()
    d = inputs.deals
    assert list(d["share"]) == [D("0.5"), D("0.5"), D(1), D(1)]
    assert list(d["amount"]) == [D("1000.5"), D("1000.5"), D(800), D("-1000.5")]
    assert list(d["refund"]) == [False, False, False, True]
    assert d.loc[0, "_sheet"] == "deals" and d.loc[0, "date"] == date(2026, 7, 15)
    assert len(inputs.quotas) == 2 and inputs.wages.loc[0, "quarter"] is None
    assert inputs.pools.loc[0, "year"] == "2026"


def test_without_sales_tables_the_frames_are_empty(root, load):
    inputs = load(root)
    assert not inputs.report.problems
    for name, first in (("deals", "date"), ("quotas", "quarter"), ("wages", "employee_id"), ("pools", "year")):
        frame = getattr(inputs, name)
        assert frame.empty and list(frame.columns)[0] == first and "_row" in frame.columns


@pytest.mark.parametrize("headers_only", [False, True])
def test_sales_tables_without_rows_give_the_empty_frames(root, load, headers_only):
    """With no sales rows at all, the sales checks are passed over: the frames are those of tables
    with no rows, column for column and type for type, whether the files are missing or hold only
    their headers."""
    import pandas as pd
    from perfpay.inputs.load import empty_output

    if headers_only:
        for name, header in (("回款", DEALS_CN), ("季度任务", QUOTAS_CN), ("薪资", WAGES_CN), ("绩效工资预算", POOLS_CN)):
            write_csv(root / f"{name}.csv", [header])
    inputs = load(root, "2026-07")
    assert not inputs.report.has_errors
    for name in ("deals", "quotas", "wages", "pools"):
        pd.testing.assert_frame_equal(getattr(inputs, name), empty_output(name))


# deals: errors -------------------------------------------------------------------------------------
def test_deal_errors_name_file_row_column_value(root, load):
    write_csv(root / "销售" / "季度任务.csv", quotas_for("S01", "S02", "S03"))
    write_csv(root / "销售" / "回款.csv", [
        DEALS_CN,
        ["2026-07-01", "XM-1", "C1", "S09", "", "软件", "100", "", "", ""],            # 2 unknown person
        ["2026-07-01", "XM-2", "C2", "S01", "", "咨询", "100", "", "", ""],            # 3 unknown revenue type
        ["2026-07-01", "XM-3", "C3", "S01", "", "软件", "-100", "", "", ""],           # 4 negative, no refund
        ["2026-07-01", "XM-4", "C4", "S01", "", "软件", "100", "", "", "是"],          # 5 refund not negative
        ["2026-07-01", "XM-5", "C5", "S01", "", "软件", "100.123", "", "", ""],        # 6 three decimals
        ["2026-07-01", "XM-6", "C6", "S01", "", "软件", "50%", "", "", ""],            # 7 percent as money
        ["2026-07-01", "XM-7", "C7", "S01", "", "二次开发", "100", "", "", ""],         # 8 no cost
        ["2026-07-01", "XM-8", "C8", "S01", "", "二次开发", "100", "-5", "", ""],       # 9 negative cost
        ["2026-07-01", "XM-9", "C9", "S01", "50", "软件", "100", "", "", ""],          # 10 share 50 without %
        ["2026-07-01", "XM-10", "C10", "S01", "0", "软件", "100", "", "", ""],         # 11 share 0
        ["2026-07-01", "XM-11", "C11", "S01", "", "软件", "100", "", "", "maybe"],     # 12 refund text
        ["2026/7/32", "XM-12", "C12", "S01", "", "软件", "100", "", "", ""],           # 13 bad date
        ["2026-07-01", "", "C13", "S01", "", "软件", "", "", "", ""],                  # 14 blanks
        ["2026-07-01", "XM-14", "C14", "S01", "", "实施", "100", "", "-1", ""],        # 15 negative quote
    ])
    inputs = load(root)
    rep = inputs.report
    f = "销售/回款.csv"
    assert one(rep, file=f, row=2, column="工号", value="S09").message == "employee S09 is not in the roster"
    p = one(rep, file=f, row=3, column="收入类型", value="咨询")
    assert "not a revenue type" in p.message and "software 软件, implementation 实施" in p.fix
    p = one(rep, file=f, row=4, column="税后净额", value="-100")
    assert "negative but the row is not marked as a refund" in p.message and "退款" in p.fix
    one(rep, file=f, row=5, column="税后净额", value="100", message="marked as a refund but its amount 100 is not negative")
    one(rep, file=f, row=6, column="税后净额", value="100.123", message="more than 2 decimal places")
    one(rep, file=f, row=7, column="税后净额", value="50%", message="is a percent, not an amount of money")
    p = one(rep, file=f, row=8, column="成本", value="")
    assert "needs its cost" in p.message and "write 0" in p.fix
    one(rep, file=f, row=9, column="成本", value="-5", message="cost -5 is negative")
    p = one(rep, file=f, row=10, column="贡献比例", value="50")
    assert "above 1" in p.message and "50%" in p.message and "0.5, 50% or 1/3" in p.fix
    one(rep, file=f, row=11, column="贡献比例", value="0", message="not above 0")
    one(rep, file=f, row=12, column="退款", value="maybe", message="not yes or no")
    one(rep, file=f, row=13, column="回款日期", value="2026/7/32", message="not a date of the calendar")
    one(rep, file=f, row=14, column="项目编号", message="deal_id is blank")
    one(rep, file=f, row=14, column="税后净额", message="amount is blank")
    one(rep, file=f, row=15, column="标准报价", value="-1", message="standard quote -1 is negative")
    assert all(p.skipped for p in rep.errors)
    assert len(rep.errors) == 15 and inputs.deals.empty


def test_shares_must_add_up_to_one_per_collection(root, load):
    write_csv(root / "销售" / "季度任务.csv", quotas_for("S01", "S02", "S03"))
    write_csv(root / "销售" / "回款.csv", [
        DEALS_CN,
        ["2026-07-01", "XM-1", "C1", "S01", "60%", "软件", "1000", "", "", ""],
        ["2026-07-01", "XM-1", "C1", "S02", "0.5", "软件", "1000", "", "", ""],        # 110%
        ["2026-07-01", "XM-1", "C1", "S01", "", "实施", "500", "", "", ""],            # another revenue type: fine
        ["2026-08-01", "XM-1", "C1", "S01", "0.5", "软件", "1000", "", "", ""],        # another collection: 50%
        ["2026-09-01", "XM-2", "C2", "S01", "1/3", "软件", "99", "", "", ""],
        ["2026-09-01", "XM-2", "C2", "S02", "1/3", "软件", "99", "", "", ""],
        ["2026-09-01", "XM-2", "C2", "S03", "1/3", "软件", "99", "", "", ""],          # exactly 1
        ["2026-09-02", "XM-3", "C3", "S01", "33.33%", "软件", "99", "", "", ""],
        ["2026-09-02", "XM-3", "C3", "S02", "33.33%", "软件", "99", "", "", ""],
        ["2026-09-02", "XM-3", "C3", "S03", "33.33%", "软件", "99", "", "", ""],      # 99.99%
    ])
    inputs = load(root)
    rep = inputs.report
    for row, value in ((2, "60%"), (3, "0.5")):
        p = one(rep, file="销售/回款.csv", row=row, column="贡献比例", value=value)
        assert "the shares of XM-1 software collected on 2026-07-01 add up to 110%, not 1" in p.message
        assert "销售/回款.csv row 2; 销售/回款.csv row 3" in p.message and "add up to 1 (100%)" in p.fix
    p = one(rep, file="销售/回款.csv", row=5, column="贡献比例")
    assert "XM-1 software collected on 2026-08-01 add up to 50%" in p.message
    assert len(find(rep, message="add up to 99.99%, not 1")) == 3
    assert len(rep.errors) == 6
    assert sorted(inputs.deals["_row"]) == [4, 6, 7, 8]
    assert sum(inputs.deals.loc[inputs.deals["deal_id"] == "XM-2", "share"]) == 1


def test_collection_problems_name_the_rows_of_their_own_collection(root, load):
    write_csv(root / "销售" / "季度任务.csv", quotas_for("S01", "S02"))
    write_csv(root / "销售" / "回款.csv", [
        DEALS_CN,
        ["2026-07-01", "XM-1", "C1", "S01", "0.5", "软件", "1000", "", "", ""],
        ["2026-07-01", "XM-2", "C2", "S01", "1/3", "软件", "500", "", "", ""],
        ["2026-07-01", "XM-1", "C1", "S02", "0.25", "软件", "1000", "", "", ""],      # XM-1: 75%
        ["2026-07-01", "XM-2", "C2", "S02", "1/3", "软件", "500", "", "", ""],        # XM-2: 2/3
        ["2026-07-02", "XM-3", "C3", "S01", "0.5", "软件", "1000", "", "", ""],
        ["2026-07-02", "XM-4", "C4", "S99", "1", "软件", "1000", "", "", ""],         # bad, alone
        ["2026-07-02", "XM-3", "C3", "S98", "0.5", "软件", "1000", "", "", ""],       # spoils row 6
    ])
    rep = load(root).report
    f = "销售/回款.csv"
    for row in (2, 4):
        p = one(rep, file=f, row=row, column="贡献比例")
        assert p.message == ("the shares of XM-1 software collected on 2026-07-01 add up to 75%, not 1 "
                             "(rows: 销售/回款.csv row 2; 销售/回款.csv row 4)")
    for row in (3, 5):
        p = one(rep, file=f, row=row, column="贡献比例")
        assert p.message == ("the shares of XM-2 software collected on 2026-07-01 add up to 2/3, not 1 "
                             "(rows: 销售/回款.csv row 3; 销售/回款.csv row 5)")
    p = one(rep, file=f, row=6, column=None)
    assert "XM-3 software collected on 2026-07-02 has rows with errors (销售/回款.csv row 8)" in p.message
    assert not find(rep, file=f, row=7, column=None)
    assert len(rep.errors) == 7


def test_rows_of_a_collection_agree_and_a_bad_row_leaves_the_collection_out(root, load):
    write_csv(root / "销售" / "季度任务.csv", quotas_for("S01", "S02", "S03"))
    write_csv(root / "销售" / "回款.csv", [
        DEALS_CN,
        ["2026-07-01", "XM-1", "C1", "S01", "0.5", "软件", "1000", "", "", ""],
        ["2026-07-01", "XM-1", "C1", "S02", "0.5", "软件", "1,200", "", "", ""],       # other amount
        ["2026-07-02", "XM-2", "C2", "S01", "0.5", "软件", "1000", "", "", ""],
        ["2026-07-02", "XM-2", "", "S02", "0.5", "软件", "1000", "", "", ""],          # other CRM id
        ["2026-07-03", "XM-3", "C3", "S01", "0.5", "维护", "1000", "", "", ""],
        ["2026-07-03", "XM-3", "C3", "S01", "0.5", "维护", "1000", "", "", ""],        # same person twice
        ["2026-07-04", "XM-4", "C4", "S01", "0.5", "软件", "1000", "", "", ""],
        ["2026-07-04", "XM-4", "C4", "S99", "0.5", "软件", "1000", "", "", ""],        # unknown: spoils row 8
        ["2026-07-05", "XM-5", "C5", "S01", "0.5", "二次开发", "1000", "100", "", ""],
        ["2026-07-05", "XM-5", "C5", "S02", "0.5", "二次开发", "1000", "200", "", ""],  # other cost
    ])
    rep = load(root).report
    f = "销售/回款.csv"
    p = one(rep, file=f, row=3, column="税后净额", value="1,200")
    assert "disagree on the amount: 1000 (销售/回款.csv row 2), 1200 (销售/回款.csv row 3)" in p.message
    one(rep, file=f, row=2, column="税后净额", message="disagree on the amount")
    p = one(rep, file=f, row=5, column="CRM编号", value="")
    assert "disagree on the CRM id" in p.message
    one(rep, file=f, row=4, column="CRM编号", value="C2")
    assert len(find(rep, file=f, column="工号", message="S01 is in XM-3 maintenance collected on 2026-07-03 2 times")) == 2
    p = one(rep, file=f, row=8, column=None)
    assert "XM-4 software collected on 2026-07-04 has rows with errors (销售/回款.csv row 9)" in p.message
    assert "the whole collection is left out" in p.message and p.skipped
    assert len(find(rep, file=f, column="成本", message="disagree on the cost")) == 2
    assert load(root).deals.empty


def test_deal_warnings_keep_the_rows(root, load):
    write_csv(root / "销售" / "季度任务.csv", [QUOTAS_CN, ["2026Q3", "S01", "200000", ""], ["2026Q4", "S04", "1", ""]])
    write_csv(root / "销售" / "回款.csv", [
        DEALS_CN,
        ["2026-07-01", "XM-1", "C1", "S01", "", "软件", "1000", "50", "", ""],          # 2 cost ignored
        ["2026-07-01", "XM-1", "C1", "S01", "", "维护", "1000", "", "900", ""],         # 3 quote ignored
        ["2026-07-01", "XM-2", "C2", "S01", "", "软件", "-10", "", "", "是"],           # 4 refund of no sale
        ["2026-07-01", "XM-3", "C3", "S01", "", "软件", "0", "", "", ""],               # 5 zero
        ["2026-07-01", "XM-4", "C4", "S02", "", "软件", "10", "", "", ""],              # 6 no quota
        ["2026-07-01", "XM-5", "", "S02", "", "软件", "10", "", "", ""],                # 7 not CRM: no quota needed
        ["2026-07-01", "XM-6", "C6", "S04", "", "软件", "10", "", "", ""],              # 8 before hire (and no quota)
        ["2026-11-02", "XM-7", "C7", "S04", "", "软件", "10", "", "", ""],              # 9 after leaving (no quota)
        ["2026-07-01", "XM-8", "C8", "S01", "", "二次开发", "-10", "", "", "是"],        # 10 refund: cost 0
    ])
    inputs = load(root)
    rep = inputs.report
    f = "销售/回款.csv"
    assert not rep.errors, rep.format()
    one(rep, file=f, row=2, column="成本", value="50", message="only used for secondary development")
    one(rep, file=f, row=3, column="标准报价", value="900", message="only used for implementation")
    one(rep, file=f, row=4, column="项目编号", value="XM-2", message="has no collection of that deal")
    one(rep, file=f, row=5, column="税后净额", value="0", message="credits nothing")
    p = one(rep, file=f, row=6, column="工号", value="S02")
    assert p.message == "no quarterly target (季度任务) for S02 in 2026Q3" and not p.skipped
    assert not find(rep, row=7)
    one(rep, file=f, row=8, column="回款日期", message="S04 was hired on 2026-08-03, after 2026-07-01")
    one(rep, file=f, row=9, column="回款日期", message="S04 left on 2026-10-31, before 2026-11-02")
    assert all(p.severity == "warning" for p in rep.problems)
    d = inputs.deals.set_index("_row")
    assert len(d) == 9
    assert d.loc[2, "cost"] is None and d.loc[3, "standard_quote"] is None and d.loc[10, "cost"] == D(0)
    assert d.loc[10, "refund"] and d.loc[10, "amount"] == D(-10)


def test_period_keeps_every_deal_and_quota_up_to_the_quarter_end(root, load):
    write_csv(root / "销售" / "季度任务.csv", [QUOTAS_CN, ["2026Q2", "S01", "200000", ""], ["2026Q3", "S01", "200000", ""],
                                             ["2026Q4", "S01", "bad", ""], ["2026-13", "S01", "1", ""]])
    write_csv(root / "销售" / "回款.csv", [
        DEALS_CN,
        ["2025-12-30", "XM-0", "C0", "S01", "", "软件", "10", "", "", ""],
        ["2026-04-01", "XM-1", "C1", "S01", "", "软件", "10", "", "", ""],
        ["2026-09-30", "XM-2", "C2", "S01", "", "软件", "10", "", "", ""],
        ["2026-10-01", "XM-3", "C3", "S01", "", "软件", "x", "", "", ""],            # outside: not checked
        ["2026-99-01", "XM-4", "C4", "S01", "", "软件", "10", "", "", ""],           # unreadable date: reported
    ])
    inputs = load(root, "2026-07")                    # a month: its quarter 2026Q3 is kept whole
    assert list(inputs.deals["deal_id"]) == ["XM-0", "XM-1", "XM-2"]
    assert list(inputs.quotas["quarter"]) == ["2026Q2", "2026Q3"]
    errors = {(p.file, p.row, p.value) for p in inputs.report.errors}
    assert errors == {("销售/回款.csv", 6, "2026-99-01"), ("销售/季度任务.csv", 5, "2026-13")}
    assert list(load(root, "2026Q2").deals["deal_id"]) == ["XM-0", "XM-1"]
    everything = load(root)
    assert len(everything.deals) == 3 and one(everything.report, value="x").row == 5


# quotas ---------------------------------------------------------------------------------------------
def test_quota_errors(root, load):
    write_csv(root / "销售" / "季度任务.csv", [
        QUOTAS_CN,
        ["2026Q3", "S99", "200000", ""],              # 2 unknown person
        ["2026Q3", "S01", "200000", ""],              # 3 duplicate of 4
        ["2026年第3季度", "S01", "210000", ""],         # 4
        ["2026-07", "S02", "200000", ""],             # 5 a month
        ["2026", "S02", "200000", ""],                # 6 a year
        ["2026Q3", "S03", "-1", ""],                  # 7 negative target
        ["2026Q3", "M01", "300000", "-5"],            # 8 negative department target
        ["2026Q4", "M01", "300000", "900000"],        # 9 duplicate department target with 10
        ["2026Q4", "S02", "200000", "800000"],        # 10 and not the head: a warning too
        ["2026Q3", "", "1,5", ""],                    # 11 blank employee, bad number
        ["2026Q1", "S04", "100", ""],                 # 12 before hire: warning
    ])
    inputs = load(root)
    rep = inputs.report
    f = "销售/季度任务.csv"
    assert one(rep, file=f, row=2, column="工号", value="S99").message == "employee S99 is not in the roster"
    for row, other in ((3, 4), (4, 3)):
        p = one(rep, file=f, row=row, column="工号", value="S01")
        assert "2 rows give the target of S01 for 2026Q3" in p.message and f"{f} row {other}" in p.message
    one(rep, file=f, row=5, column="季度", value="2026-07", message="2026-07 is a month, not a quarter")
    one(rep, file=f, row=6, column="季度", value="2026", message="is a year, not a quarter")
    one(rep, file=f, row=7, column="目标", value="-1", message="target -1 is negative")
    one(rep, file=f, row=8, column="部门目标", value="-5", message="department target -5 is negative")
    for row in (9, 10):
        p = one(rep, file=f, row=row, column="部门目标", severity="error")
        assert "2 rows give a department target for 大客户部 in 2026Q4" in p.message
    w = one(rep, file=f, row=10, column="部门目标", severity="warning")
    assert "S02 does not head 大客户部" in w.message
    one(rep, file=f, row=11, column="工号", message="employee_id is blank")
    one(rep, file=f, row=11, column="目标", value="1,5", message="not a number")
    w = one(rep, file=f, row=12, column="季度")
    assert w.severity == "warning" and "hired on 2026-08-03, after 2026Q1" in w.message
    assert list(inputs.quotas["_row"]) == [12]


# wages --------------------------------------------------------------------------------------------
def test_wages_and_the_row_of_a_quarter_winning(root, load):
    write_csv(root / "销售" / "薪资.csv", [
        WAGES_CN,
        ["S01", "", "3000", "6000"],
        ["S01", "2026Q3", "3500", "6500"],
        ["S02", "", "3000", "6000"],
        ["S02", "", "3100", "6000"],              # duplicate blank-quarter rows
        ["S03", "2026Q3", "3000", "6000"],
        ["S03", "2026年第3季度", "3000", "6000"],    # duplicate quarter rows
        ["S99", "", "3000", "6000"],              # unknown
        ["M01", "", "-1", "6000"],                # negative floating
        ["M01", "2026-07", "1", ""],               # month; blank fixed wage
    ])
    inputs = load(root)
    rep = inputs.report
    f = "销售/薪资.csv"
    assert len(find(rep, file=f, column="工号", message="2 wage rows for S02 for every quarter")) == 2
    assert len(find(rep, file=f, column="工号", message="2 wage rows for S03 for 2026Q3")) == 2
    one(rep, file=f, row=8, column="工号", value="S99")
    one(rep, file=f, row=9, column="浮动工资", value="-1", message="floating wage -1 is negative")
    one(rep, file=f, row=10, column="季度", value="2026-07", message="not a quarter")
    one(rep, file=f, row=10, column="固定工资", message="fixed_wage is blank")
    assert len(rep.errors) == 8
    w = effective_wages(inputs.wages, ["2026Q2", "2026Q3"])
    assert w[["quarter", "employee_id", "floating_wage", "fixed_wage", "from_quarter_row"]].values.tolist() == [
        ["2026Q2", "S01", D(3000), D(6000), False], ["2026Q3", "S01", D(3500), D(6500), True]]
    assert list(w.columns) == ["quarter", "employee_id", "floating_wage", "fixed_wage", "from_quarter_row",
                               "_file", "_sheet", "_row"]
    assert effective_wages(inputs.wages.iloc[0:0], ["2026Q3"]).empty


# pools --------------------------------------------------------------------------------------------
def test_pool_errors(root, load):
    write_csv(root / "绩效工资预算.csv", [
        POOLS_CN,
        ["2026", "客户服务部", "300000"],
        ["2026", "客服部", "300000"],              # unknown department
        ["2026Q1", "大客户部", "1"],                # not a year
        ["2026", "大客户部", "-1"],                 # negative
        ["2026", "客户服务部", "1.001"],            # duplicate of row 2; three decimals
    ])
    inputs = load(root)
    rep = inputs.report
    f = "绩效工资预算.csv"
    p = one(rep, file=f, row=3, column="部门", value="客服部")
    assert p.message == "department 客服部 is not in the roster" and "客户服务部" in p.fix and "大客户部" in p.fix
    one(rep, file=f, row=4, column="年度", value="2026Q1", message="2026Q1 is a quarter, not a year")
    one(rep, file=f, row=5, column="预算", value="-1", message="budget -1 is negative")
    one(rep, file=f, row=6, column="预算", value="1.001", message="more than 2 decimal places")
    assert len(find(rep, file=f, column="预算", message="2 rows give the 2026 budget of 客户服务部")) == 2
    assert inputs.pools.empty
