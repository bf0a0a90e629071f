"""Input tables: reading CSV / xlsx in English or Chinese, lazy checks, one full report.

Every test writes real files to tmp_path (xlsx through openpyxl) and reads them back.
The catalog is built here from Card / Indicator / Event objects, not from params/.
"""

from __future__ import annotations

import io
import random
from datetime import date, datetime
from decimal import Decimal as D

import pandas as pd
import pytest

from perfpay.cards import Card, Event, Indicator, Section
from perfpay.catalog import Catalog
from perfpay.errors import InputError, ParamsError
from perfpay.inputs import load_inputs, read_tables
from perfpay.inputs.contracts import table_for_name
from perfpay.periods import Period

from conftest import find, one, write_csv, write_xlsx


# catalog ------------------------------------------------------------------------------
def ind(key, name, points, rule, **kw):
    return Indicator(key=key, name=name, points=D(points), rule=rule, **kw)


LEVELS_ABCD = [{"level": "A", "name": "优秀", "points": D(20)}, {"level": "B", "name": "良好", "points": D(15)},
               {"level": "C", "name": "一般", "points": D(10)}, {"level": "D", "name": "差", "points": D(0)}]
LEVELS_1234 = [{"level": 1, "name": "主动承担", "points": D(5)}, {"level": 2, "name": "自觉完成", "points": D(3)},
               {"level": 3, "name": "有时推卸", "points": D(2)}, {"level": 4, "name": "马虎", "points": D(0)}]
RATERS = {"self": D(15), "superior": D(60), "peer": D(25)}


def make_catalog() -> Catalog:
    ka = Card("ka_manager", "大客户经理", "大客户部", "monthly", D(100), (
        Section("perf", "工作业绩", (
            ind("sales_task", "销售任务", 30, {"type": "step", "penalty": D(3), "step": D(5)},
                aliases=("销售任务完成率",)),
            ind("new_customers", "新客户开发", 0,
                {"type": "bonus_events", "events": [{"event": "new_customer", "bonus": D(5)}]},
                max_points=None),
            ind("documents", "文案管理", 30,
                {"type": "deduction", "events": [{"event": "doc_lost", "penalty": D(5)}]}),
            ind("customer_care", "客户维护", 20, {"type": "levels", "levels": LEVELS_ABCD,
                                                  "raters": {"superior": D(100)}}),
            ind("other", "其他", 0, {"type": "adjustment"}, min_points=D(-5), max_points=D(5)),
        )),), raters=RATERS)
    cs = Card("cs_agent", "客服专员", "客户服务部", "monthly", D(100), (
        Section("perf", "工作业绩", (
            ind("answer_rate", "接通率", 30, {"type": "proportional", "target": D(95)}),
            ind("fcr", "首次解决率", 20, {"type": "step", "penalty": D(1), "step": D(1)},
                aliases=("一次解决率",)),
            ind("attitude", "服务态度", 5, {"type": "levels", "levels": LEVELS_1234}),
            ind("special", "特别表现", 0, {"type": "adjustment"}, min_points=None, max_points=None),
        )),), raters=RATERS, aliases=("客服",))
    sp = Card("ka_specialist", "大客户专员", "大客户部", "quarterly", D(100), (
        Section("perf", "工作业绩", (
            ind("sales_plan", "销售计划完成率", 20, {"type": "step", "penalty": D(1), "step": D(1)}),
        )),))
    events = [Event("late", "迟到"), Event("doc_lost", "文案丢失"), Event("new_customer", "新增客户", ("新客户",))]
    return Catalog({c.key: c for c in (ka, cs, sp)}, {e.key: e for e in events})


CATALOG = make_catalog()


def catalog_for(period: Period) -> Catalog:
    if period.start < date(2026, 1, 1):
        raise ParamsError([f"no card in force on {period.start}"])
    return CATALOG


# files ----------------------------------------------------------------------------------
ROSTER_CN = ["工号", "姓名", "部门", "分部", "岗位", "入职日期", "离职日期", "上级工号", "月度绩效奖金"]
ROSTER = [
    ROSTER_CN,
    ["M01", "赵经理", "大客户部", "", "大客户经理", "2020-01-01", "", "", "8000"],
    ["E017", "张三", "大客户部", "", "大客户经理", "2024-03-01", "", "M01", "5,000"],
    ["E020", "李四", "客户服务部", "总部", "客服专员", "2025-03-01", "", "M01", ""],
    ["E021", "王五", "客户服务部", "华东分部", "客服", "2025-05-01", "", "M01", ""],
    ["S01", "钱七", "大客户部", "", "大客户专员", "2025-01-01", "", "M01", ""],
]
ACTUALS_HEAD = ["期间", "工号", "指标", "实际值"]
TARGETS_HEAD = ["期间", "工号", "指标", "目标值"]
RATINGS_HEAD = ["期间", "工号", "指标", "评分人", "评分角色", "等级", "分数"]
ADJ_HEAD = ["期间", "工号", "指标", "分值", "原因", "审批人"]
EVENTS_HEAD = ["日期", "工号", "事件", "次数", "备注"]


@pytest.fixture
def root(tmp_path):
    d = tmp_path / "inputs"
    write_csv(d / "roster.csv", ROSTER)
    return d


def load(root, period=None):
    return load_inputs(root, catalog_for, period)




# reading -------------------------------------------------------------------------------
def test_csv_in_utf8_bom_and_gb18030_with_chinese_headers(root):
    write_csv(root / "targets.csv", [["period", "employee_id", "indicator", "target"],
                                     ["2026-07", "E017", "sales_task", "200,000"]], encoding="utf-8-sig")
    write_csv(root / "实绩.csv", [ACTUALS_HEAD, ["2026-07", "E017", "销售任务", "180,000.5"],
                                 ["2026-07", "E020", "接通率", "93%"]], encoding="gb18030")
    write_csv(root / "events.csv", [EVENTS_HEAD, ["2026-07-03", "E017", "迟到", "", "堵车"]], encoding="utf-8")
    inputs = load(root)
    assert not inputs.report.problems, inputs.report.format()
    assert inputs.targets["target"].tolist() == [D("200000")]
    a = inputs.actuals.set_index("indicator")
    assert a.loc["sales_task", "actual"] == D("180000.5")
    assert a.loc["answer_rate", "actual"] == D("93")
    assert a.loc["sales_task", "_file"] == "实绩.csv"
    ev = inputs.events.iloc[0]
    assert (ev["date"], ev["period"], ev["event"], ev["count"], ev["note"]) == \
        (date(2026, 7, 3), "2026-07", "late", 1, "堵车")
    r = inputs.roster.set_index("employee_id")
    assert r.loc["E017", "monthly_bonus_base"] == D("5000")
    assert r.loc["E017", "hire_date"] == date(2024, 3, 1)
    assert r.loc["E021", "card"] == "cs_agent" and r.loc["E021", "role"] == "客服"
    assert r.loc["E020", "leave_date"] is None and r.loc["E020", "monthly_bonus_base"] is None


def test_xlsx_workbook_with_sheets_renyuan_shiji_shijian(tmp_path):
    root = tmp_path / "inputs"
    roster = [ROSTER_CN] + [[*r[:5], datetime.fromisoformat(r[5]), None, r[7], None] for r in ROSTER[1:]]
    write_xlsx(root / "2026-07.xlsx", {
        "人员": roster,
        "实绩": [ACTUALS_HEAD,
                 [datetime(2026, 7, 1), "E020", "首次解决率", 0.1],        # Excel turned 2026-07 into a date
                 ["2026-07", "E020", "接通率", (0.93, "0%")],              # shows 93%
                 [],                                                      # empty row: counted, skipped
                 ["2026-07", "E017", "销售任务", 93]],
        "目标": [TARGETS_HEAD, ["2026-07", "E020", "fcr", 90], ["2026-07", "E017", "sales_task", 100]],
        "事件": [EVENTS_HEAD, [datetime(2026, 7, 15), "E017", "文案丢失", 2, None]],
    })
    inputs = load(root)
    assert not inputs.report.problems, inputs.report.format()
    a = inputs.actuals.set_index("indicator")
    assert a.loc["fcr", "actual"] == D("0.1") and str(a.loc["fcr", "actual"]) == "0.1"
    assert a.loc["fcr", "period"] == "2026-07"
    assert a.loc["answer_rate", "actual"] == D("93")
    assert (a.loc["sales_task", "_sheet"], a.loc["sales_task", "_row"]) == ("实绩", 5)
    assert inputs.events.loc[0, "count"] == 2 and inputs.events.loc[0, "event"] == "doc_lost"
    assert inputs.events.loc[0, "date"] == date(2026, 7, 15)
    assert len(inputs.roster) == 5 and inputs.roster.loc[0, "_sheet"] == "人员"
    assert inputs.roster.set_index("employee_id").loc["E017", "hire_date"] == date(2024, 3, 1)


def test_xlsx_numbers_read_as_excel_shows_them(root):
    write_xlsx(root / "实绩.xlsx", {"实绩": [ACTUALS_HEAD,
                                          ["2026-07", "E020", "接通率", 0.1 + 0.2],          # 0.30000000000000004
                                          ["2026-07", "E020", "首次解决率", (0.875, "0.0%")],
                                          ["2026-07", "M01", "销售任务", 1234567.25],
                                          ["2026-07", "S01", "销售计划完成率", 2026]]})
    frames, _ = read_tables(root)
    assert frames["actuals"]["actual"].tolist() == ["0.3", "87.5%", "1234567.25", "2026"]


def test_rows_from_several_files_add_up(root):
    write_xlsx(root / "2026-07" / "实绩.xlsx", {"Sheet1": [ACTUALS_HEAD, ["2026-07", "E017", "销售任务", 90]],
                                                "说明": [["本表由财务部填写"]]})
    write_csv(root / "2026-08" / "actuals.csv", [ACTUALS_HEAD, ["2026-08", "E017", "销售任务", "95"]])
    write_csv(root / "2026-07_目标.csv", [TARGETS_HEAD, ["2026-07", "E017", "销售任务", "100"]])
    write_csv(root / "plan-targets.csv", [TARGETS_HEAD, ["2026-08", "E017", "销售任务", "100"]])
    inputs = load(root)
    assert not inputs.report.has_errors, inputs.report.format()
    assert sorted(inputs.actuals["_file"]) == ["2026-07/实绩.xlsx", "2026-08/actuals.csv"]
    assert sorted(inputs.actuals["period"]) == ["2026-07", "2026-08"]
    assert inputs.actuals.set_index("period").loc["2026-07", "_sheet"] == "Sheet1"
    assert len(inputs.targets) == 2
    w = one(inputs.report, sheet="说明")
    assert w.severity == "warning" and "has no actuals columns; ignored" in w.message


@pytest.mark.parametrize("name, table", [
    ("roster", "roster"), ("人员", "roster"), ("Targets", "targets"), ("目标", "targets"),
    ("ACTUALS", "actuals"), ("实绩", "actuals"), ("2026-07_实绩", "actuals"), ("2026-07-事件", "events"),
    ("评分", "ratings"), ("2026Q3_ratings", "ratings"), ("加扣分", "adjustments"), ("adjustments", "adjustments"),
    ("notes", None), ("实绩汇总", None), ("事件说明", None),
])
def test_table_names(name, table):
    assert table_for_name(name) == table


def test_unknown_files_and_sheets_are_warned_never_silent(root):
    write_csv(root / "notes.csv", [["a"], ["b"]])
    write_xlsx(root / "2026-07.xlsx", {"实绩": [ACTUALS_HEAD], "汇总": [["x", "y"], [1, 2]], "Sheet3": []})
    (root / "old.xls").write_bytes(b"\xd0\xcf")
    (root / "~$2026-07.xlsx").write_bytes(b"lock")
    (root / ".hidden").mkdir()
    write_csv(root / ".hidden" / "actuals.csv", [["junk"]])
    report = load(root).report
    w = one(report, file="notes.csv", severity="warning")
    assert "roster/人员" in w.fix and "actuals/实绩" in w.fix and w.skipped
    one(report, file="2026-07.xlsx", sheet="汇总", severity="warning", message="not an input table")
    one(report, file="old.xls", severity="warning", fix=".xlsx")
    assert not find(report, sheet="Sheet3") and not find(report, file="~$2026-07.xlsx")
    assert not [p for p in report.problems if ".hidden" in p.file]
    assert not report.has_errors


def test_undecodable_csv_is_an_error(root):
    (root / "actuals.csv").write_bytes(b"\xff\xfe\x00\x81\xff" * 10)
    p = one(load(root).report, file="actuals.csv", severity="error")
    assert "UTF-8" in p.message and p.skipped


def test_missing_required_column_is_one_error_and_the_file_is_left_out(root):
    write_csv(root / "实绩.csv", [["期间", "工号", "指标", "数值"], ["2026-07", "E017", "销售任务", "1"],
                                 ["2026-07", "E017", "销售任务", "2"]])
    inputs = load(root)
    p = one(inputs.report, file="实绩.csv", severity="error")
    assert "actual (实际值) missing" in p.message and "'数值'" in p.message and "'工号'" in p.message
    assert p.skipped and inputs.actuals.empty
    one(inputs.report, file="实绩.csv", severity="warning", column="数值")   # and the stray column is named


def test_unknown_extra_column_is_a_warning_and_rows_are_kept(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD + ["说明"], ["2026-07", "E020", "接通率", "93", "x"]])
    inputs = load(root)
    p = one(inputs.report, column="说明")
    assert p.severity == "warning" and not p.skipped and p.row == 1
    assert len(inputs.actuals) == 1


def test_header_under_a_title_row_and_blank_rows_keep_excel_row_numbers(root):
    write_xlsx(root / "实绩.xlsx", {"实绩": [["2026年7月实绩"], ACTUALS_HEAD, [], ["2026-07", "E404", "接通率", 90]]})
    report = load(root).report
    one(report, severity="warning", row=1, message="header found on row 2")
    one(report, severity="error", row=4, column="工号", value="E404")


def test_duplicate_or_missing_alternative_columns(root):
    write_csv(root / "actuals.csv", [["期间", "工号", "employee_id", "指标", "实际值"], ["2026-07", "E020", "E020", "接通率", "1"]])
    write_csv(root / "ratings.csv", [RATINGS_HEAD[:5], ["2026-07", "E020", "服务态度", "M01", "上级"]])
    inputs = load(root)
    p = one(inputs.report, file="actuals.csv", severity="error")
    assert "'工号' and 'employee_id' both mean employee_id" in p.message and p.column == "employee_id"
    p = one(inputs.report, file="ratings.csv", severity="error")
    assert "level (等级) or score (分数) missing" in p.message
    assert inputs.actuals.empty and inputs.ratings.empty


def test_semicolons_ragged_rows_and_missing_roster(tmp_path):
    root = tmp_path / "inputs"
    root.mkdir()
    (root / "actuals.csv").write_text("期间;工号;指标;实际值\n2026-07;E020;接通率;90\n", encoding="utf-8")
    (root / "targets.csv").write_text("期间,工号,指标,目标值\n2026-07,E020,fcr,90,extra\n", encoding="utf-8")
    frames, report = read_tables(root)
    assert frames["actuals"].iloc[0][["employee_id", "actual"]].tolist() == ["E020", "90"]
    assert frames["targets"].iloc[0]["target"] == "90"
    one(report, file="targets.csv", severity="warning", message="column 5 has values but no header")
    inputs = load(root)
    assert "no roster rows" in one(inputs.report, table="roster", severity="error").message
    assert one(inputs.report, file="actuals.csv").message == "employee E020 is not in the roster"


def test_read_tables_gives_text_with_canonical_columns_and_sources(root):
    write_xlsx(root / "ratings.xlsx", {"评分": [RATINGS_HEAD[:6], ["2026-07", "E020", "服务态度", "E020", "本人", 1]]})
    frames, report = read_tables(root)
    r = frames["ratings"]
    assert list(r.columns) == ["period", "employee_id", "indicator", "rater_id", "rater_role", "level", "score",
                               "_file", "_sheet", "_row"]
    assert r.iloc[0][["level", "score", "_file", "_sheet", "_row"]].tolist() == ["1", "", "ratings.xlsx", "评分", 2]
    assert frames["roster"]["employee_id"].tolist()[:2] == ["M01", "E017"]
    assert frames["events"].empty and list(frames["events"].columns)[:3] == ["date", "employee_id", "event"]
    assert not report.problems


# values ----------------------------------------------------------------------------------
@pytest.mark.parametrize("text, value", [
    ("0.1", D("0.1")), ("93%", D("93")), ("93 %", D("93")), ("1,234.5", D("1234.5")), ("-2.5", D("-2.5")),
    ("+3", D("3")), ("0.123456", D("0.123456")), ("1.5000000", D("1.5")), ("９３％", D("93")),
])
def test_numbers_are_exact_decimals(root, text, value):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2026-07", "E020", "接通率", text]])
    inputs = load(root)
    assert not inputs.report.problems, inputs.report.format()
    got = inputs.actuals.loc[0, "actual"]
    assert isinstance(got, D) and got == value


def test_decimal_text_is_kept_exactly(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2026-07", "E020", "接通率", "0.1"],
                                     ["2026-07", "M01", "销售任务", "1,234.50"]])
    write_csv(root / "targets.csv", [TARGETS_HEAD, ["2026-07", "M01", "销售任务", "0.000001"]])
    inputs = load(root)
    assert [str(x) for x in inputs.actuals["actual"]] == ["0.1", "1234.50"]
    assert str(inputs.targets.loc[0, "target"]) == "0.000001"


@pytest.mark.parametrize("text, why", [
    ("0.1234567", "more than 6 decimal places"), ("1,2", "not a number"), ("abc", "not a number"),
    ("1e5", "not a number"), ("NaN", "not a number"), ("12,34.5", "not a number"),
])
def test_bad_numbers_are_errors(root, text, why):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2026-07", "E020", "接通率", text]])
    inputs = load(root)
    p = one(inputs.report, severity="error", file="actuals.csv", row=2, column="实际值", value=text)
    assert why in p.message and "93%" in p.fix
    assert inputs.actuals.empty


# roster ----------------------------------------------------------------------------------
def test_roster_checks(root):
    write_csv(root / "roster.csv", ROSTER + [
        ["E017", "张三重复", "大客户部", "", "大客户经理", "2024-03-01", "", "M01", ""],   # row 7: duplicate
        ["E030", "孙八", "客户服务部", "", "厨师", "2025-01-01", "", "M01", ""],          # row 8: unknown role
        ["E031", "周九", "客户服务部", "", "客服专员", "2025-06-01", "2025-05-01", "M99", ""],  # row 9
        ["E032", "", "客户服务部", "", "客服专员", "2025/6/31", "", "", "-1"],            # row 10
    ])
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2026-07", "E017", "销售任务", "1"]])
    write_csv(root / "targets.csv", [TARGETS_HEAD, ["2026-07", "E017", "销售任务", "1"]])
    inputs = load(root, "2026-07")
    rep = inputs.report
    dup = find(rep, table="roster", message="in the roster 2 times")
    assert [(p.row, p.column, p.value) for p in dup] == [(3, "工号", "E017"), (7, "工号", "E017")]
    assert "roster.csv row 7" in dup[0].message
    p = one(rep, row=8, column="岗位", value="厨师")
    assert "大客户经理, 大客户专员" in p.fix or "大客户专员, 大客户经理" in p.fix
    one(rep, row=9, column="离职日期", value="2025-05-01", message="before hire date 2025-06-01")
    w = one(rep, row=9, column="上级工号", value="M99")
    assert w.severity == "warning" and not w.skipped
    one(rep, row=10, column="姓名", message="name is blank")
    one(rep, row=10, column="入职日期", value="2025/6/31", message="not a date of the calendar")
    one(rep, row=10, column="月度绩效奖金", value="-1", message="negative")
    assert set(inputs.roster["employee_id"]) == {"M01", "E020", "E021", "S01"}
    # a person whose roster rows are rejected: every row of theirs says so
    p = one(rep, table="actuals", column="工号", value="E017")
    assert "roster row has errors" in p.message and "roster.csv row 3; roster.csv row 7" in p.message


def test_roster_roles_use_the_catalog_of_the_period(root):
    def old_cards(period):
        if period.start < date(2026, 7, 1):
            return Catalog({"cs_agent": CATALOG.cards["cs_agent"]}, CATALOG.events)
        return CATALOG
    assert not load_inputs(root, old_cards, "2026-07").report.problems
    rep = load_inputs(root, old_cards, "2026-06").report
    assert {p.value for p in find(rep, table="roster", column="岗位")} == {"大客户经理", "大客户专员"}
    # without a period: the latest period in the inputs decides
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2026-06", "E020", "接通率", "90"]])
    rep = load_inputs(root, old_cards).report
    assert {p.value for p in find(rep, table="roster", column="岗位")} == {"大客户经理", "大客户专员"}
    write_csv(root / "events.csv", [EVENTS_HEAD, ["2026-07-02", "E020", "迟到", "", ""]])
    assert not load_inputs(root, old_cards).report.problems


# rows of the period tables ---------------------------------------------------------------
def test_unknown_employee_blank_values_bad_period(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD,
                                     ["2026-07", "E999", "接通率", "90"],
                                     ["2026-13", "E020", "接通率", "90"],
                                     ["", "E020", "接通率", "90"],
                                     ["2026-07", "E020", "", "90"]])
    rep = load(root).report
    p = one(rep, row=2, column="工号", value="E999")
    assert "not in the roster" in p.message and "add E999 to the roster" in p.fix
    one(rep, row=3, column="期间", value="2026-13", message="not a period")
    one(rep, row=4, column="期间", message="period is blank")
    one(rep, row=5, column="指标", message="indicator is blank")
    assert len(rep.errors) == 4


def test_unknown_indicator_names_the_card_that_has_it(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD,
                                     ["2026-07", "E017", "接通率", "90"],
                                     ["2026-07", "E020", "一次解决率", "90"],      # alias: fine
                                     ["2026-07", "E020", "抽查", "90"]])
    write_csv(root / "targets.csv", [TARGETS_HEAD, ["2026-07", "E020", "fcr", "95"]])
    inputs = load(root)
    p = one(inputs.report, row=2, column="指标", value="接通率")
    assert "not on card ka_manager (大客户经理) of E017 in 2026-07" in p.message
    assert "it is on card cs_agent (客服专员) as answer_rate" in p.message
    assert "销售任务 (sales_task)" in p.fix
    p = one(inputs.report, row=4, column="指标", value="抽查")
    assert "it is on card" not in p.message and "接通率 (answer_rate)" in p.fix
    assert inputs.actuals["indicator"].tolist() == ["fcr"]


def test_actuals_of_indicators_fed_elsewhere_are_errors(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD,
                                     ["2026-07", "E017", "文案管理", "2"],
                                     ["2026-07", "E017", "新客户开发", "1"],
                                     ["2026-07", "E017", "客户维护", "15"],
                                     ["2026-07", "E017", "其他", "3"]])
    inputs = load(root)
    assert "record the events (文案丢失)" in one(inputs.report, row=2, column="指标").fix
    assert "record the events (新增客户)" in one(inputs.report, row=3, column="指标").fix
    assert "ratings table" in one(inputs.report, row=4, column="指标").fix
    assert "adjustments table" in one(inputs.report, row=5, column="指标").fix
    assert inputs.actuals.empty


def test_actual_needs_its_target_and_a_target_without_actual_is_a_warning(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD,
                                     ["2026-07", "E017", "销售任务", "90"],      # no target
                                     ["2026-07", "E020", "接通率", "90"],        # target fixed in the card
                                     ["2026-07", "E020", "首次解决率", "80"]])   # its target has an error
    write_csv(root / "targets.csv", [TARGETS_HEAD,
                                     ["2026-07", "E020", "fcr", "x"],
                                     ["2026-07", "M01", "sales_task", "100"],    # no actual
                                     ["2026-07", "E020", "接通率", "95"]])       # takes no target
    inputs = load(root)
    rep = inputs.report
    p = one(rep, file="actuals.csv", row=2, column="指标", value="销售任务")
    assert p.message == "no target for 2026-07, E017, sales_task"
    assert p.fix == "add a row to targets for 2026-07, E017, sales_task"
    p = one(rep, file="actuals.csv", row=4)
    assert "targets.csv row 2" in p.message and p.severity == "error"
    w = one(rep, file="targets.csv", row=3)
    assert w.severity == "warning" and "has no actual" in w.message and not w.skipped
    w = one(rep, file="targets.csv", row=4)
    assert w.severity == "warning" and "fixed at 95" in w.message and w.skipped
    assert inputs.actuals["indicator"].tolist() == ["answer_rate"]
    assert inputs.targets["employee_id"].tolist() == ["M01"]


def test_duplicate_targets_actuals_ratings_are_errors_identical_events_adjustments_warnings(root):
    write_csv(root / "a" / "actuals.csv", [ACTUALS_HEAD, ["2026-07", "E020", "接通率", "90"]])
    write_csv(root / "b" / "actuals.csv", [ACTUALS_HEAD, ["2026-07", "E020", "answer_rate", "91"]])
    write_csv(root / "targets.csv", [TARGETS_HEAD, ["2026-07", "M01", "sales_task", "1"],
                                     ["2026-07", "M01", "销售任务", "2"]])
    write_csv(root / "评分.csv", [RATINGS_HEAD, ["2026-07", "E020", "服务态度", "M01", "上级", "1", ""],
                                 ["2026-07", "E020", "服务态度", "M01", "superior", "2", ""]])
    write_csv(root / "事件.csv", [EVENTS_HEAD, ["2026-07-01", "E017", "迟到", "", ""],
                                 ["2026-07-01", "E017", "late", "1", ""]])
    write_csv(root / "加扣分.csv", [ADJ_HEAD, ["2026-07", "E017", "其他", "2", "节约成本", "M01"],
                                  ["2026-07", "E017", "其他", "2", "节约成本", "M01"]])
    inputs = load(root)
    rep = inputs.report
    a = find(rep, table="actuals", message="2 rows give the actual for 2026-07, E020, answer_rate")
    assert {(p.file, p.row) for p in a} == {("a/actuals.csv", 2), ("b/actuals.csv", 2)}
    assert "b/actuals.csv row 2" in a[0].message and all(p.severity == "error" for p in a)
    assert len(find(rep, table="targets", message="2 rows give the target")) == 2
    assert len(find(rep, table="ratings", message="2 rows rate E020 on attitude")) == 2
    ev = find(rep, table="events", severity="warning", message="same as")
    assert len(ev) == 2 and not ev[0].skipped
    assert len(find(rep, table="adjustments", severity="warning", message="same as")) == 2
    assert inputs.actuals.empty and inputs.targets.empty and inputs.ratings.empty
    assert len(inputs.events) == 2 and len(inputs.adjustments) == 2


# events ---------------------------------------------------------------------------------
def test_events(root):
    write_csv(root / "events.csv", [EVENTS_HEAD,
                                    ["2026-07-03", "E017", "新客户", "3", ""],     # alias
                                    ["2026/7/4", "E017", "打游戏", "", ""],
                                    ["2026-07-05", "E017", "迟到", "0", ""],
                                    ["2026-07-06", "E017", "迟到", "1.5", ""],
                                    ["07/06/2026", "E017", "迟到", "", ""],
                                    ["2025-12-30", "E017", "迟到", "", ""]])
    inputs = load(root)
    rep = inputs.report
    p = one(rep, row=3, column="事件", value="打游戏")
    assert "not in the events catalogue" in p.message and "迟到" in p.fix and "新增客户" in p.fix
    one(rep, row=4, column="次数", value="0", message="not a whole number of 1 or more")
    one(rep, row=5, column="次数", value="1.5")
    one(rep, row=6, column="日期", value="07/06/2026", message="not a date")
    p = one(rep, row=7, column="日期")      # no cards in force for 2025-12
    assert "no scorecards in force for 2025-12" in p.message
    assert inputs.events[["event", "count"]].values.tolist() == [["new_customer", 3]]


# ratings --------------------------------------------------------------------------------
def test_ratings(root):
    write_csv(root / "ratings.csv", [RATINGS_HEAD,
                                     ["2026-07", "E020", "服务态度", "E020", "自评", "自觉完成", ""],   # 2 ok: by name
                                     ["2026-07", "E020", "服务态度", "M01", "上级", "5", ""],          # 3 ok: by points
                                     ["2026-07", "E020", "服务态度", "E021", "同事", "", "2.5"],       # 4 ok: score
                                     ["2026-07", "E020", "服务态度", "E021", "领导", "1", ""],         # 5 bad role
                                     ["2026-07", "E020", "首次解决率", "M01", "上级", "1", ""],        # 6 not rated
                                     ["2026-07", "E020", "服务态度", "E030", "peer", "9", ""],         # 7 bad level
                                     ["2026-07", "E020", "服务态度", "S01", "peer", "1", "5"],         # 8 both
                                     ["2026-07", "E020", "服务态度", "M01", "peer", "", ""],           # 9 neither
                                     ["2026-07", "E017", "客户维护", "M01", "superior", "", "21"],     # 10 score > 20
                                     ["2026-07", "E017", "客户维护", "M01", "self", "A", ""],          # 11 self by other
                                     ["2026-07", "E017", "客户维护", "E017", "小组", "A", ""],         # 12 peer of self
                                     ])
    inputs = load(root)
    rep = inputs.report
    ok = inputs.ratings.set_index("_row")
    assert ok.loc[2, ["rater_role", "level", "score"]].tolist() == ["self", "2", None]
    assert ok.loc[3, ["rater_role", "level"]].tolist() == ["superior", "1"]
    assert ok.loc[4, ["rater_role", "level", "score"]].tolist() == ["peer", None, D("2.5")]
    assert sorted(ok.index) == [2, 3, 4]
    assert "self, superior, peer, 本人, 上级, 小组" in one(rep, row=5, column="评分角色", value="领导").fix
    assert "actuals table" in one(rep, row=6, column="指标").fix
    p = one(rep, row=7, column="等级", value="9")
    assert "1 主动承担 (5 points), 2 自觉完成 (3 points)" in p.fix
    w = one(rep, row=7, column="评分人", value="E030")
    assert w.severity == "warning" and "not in the roster" in w.message
    one(rep, row=8, column="等级", message="both a level (1) and a score (5)")
    one(rep, row=9, column="等级", message="neither a level nor a score")
    p = one(rep, row=10, column="分数", value="21")
    assert "outside 0..20" in p.message and "0 to 20" in p.fix
    one(rep, row=11, column="评分人", value="M01", message="self rating of E017 is given by M01")
    one(rep, row=12, column="评分人", value="E017", message="rates themself as a peer")
    assert len(rep.errors) == 8


def test_ratings_by_a_role_without_weight_are_warned(root):
    write_csv(root / "ratings.csv", [RATINGS_HEAD, ["2026-07", "E017", "客户维护", "M01", "superior", "A", ""],
                                     ["2026-07", "E017", "客户维护", "S01", "peer", "B", ""]])
    inputs = load(root)
    w = one(inputs.report, row=3, column="评分角色", value="peer")
    assert w.severity == "warning" and "peer ratings do not count for customer_care" in w.message
    assert inputs.ratings["level"].tolist() == ["A", "B"]


# adjustments ----------------------------------------------------------------------------
def test_adjustments(root):
    write_csv(root / "adjustments.csv", [ADJ_HEAD,
                                         ["2026-07", "E017", "其他", "-5", "丢失客户资料", "M01"],   # 2 ok
                                         ["2026-07", "E017", "其他", "3", "", "M01"],               # 3 no reason
                                         ["2026-07", "E017", "其他", "3", "节约成本", ""],           # 4 no approver
                                         ["2026-07", "E017", "销售任务", "3", "节约成本", "M01"],     # 5 not adjustment
                                         ["2026-07", "E017", "其他", "6", "节约成本", "M01"],         # 6 > 5
                                         ["2026-07", "E020", "特别表现", "-50", "重大失误", "M01"],   # 7 unbounded
                                         ])
    inputs = load(root)
    rep = inputs.report
    assert "reason and an approver" in one(rep, row=3, column="原因").fix
    assert "reason and an approver" in one(rep, row=4, column="审批人").fix
    assert "takes no manual adjustment" in one(rep, row=5, column="指标").message
    p = one(rep, row=6, column="分值", value="6")
    assert "outside -5..5 of other" in p.message and "within -5..5" in p.fix
    assert inputs.adjustments["points"].tolist() == [D("-5"), D("-50")]
    assert inputs.adjustments.loc[0, ["reason", "approved_by", "indicator"]].tolist() == ["丢失客户资料", "M01", "other"]
    assert len(rep.errors) == 4


# cadence and periods ------------------------------------------------------------------------
def test_quarterly_card_wants_quarter_rows(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2026Q3", "S01", "销售计划完成率", "90"],
                                     ["2026-07", "S01", "销售计划完成率", "90"]])
    write_csv(root / "targets.csv", [TARGETS_HEAD, ["2026年第3季度", "S01", "sales_plan", "100"]])
    inputs = load(root)
    p = one(inputs.report, row=3, column="期间", value="2026-07")
    assert "card ka_specialist, which is quarterly" in p.message and "2026Q3" in p.fix
    assert inputs.actuals["period"].tolist() == inputs.targets["period"].tolist() == ["2026Q3"]


def test_period_filter(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2026-07", "E020", "接通率", "90"],
                                     ["2026-08", "E020", "接通率", "91"],
                                     ["2026-10", "E020", "接通率", "bad"],      # outside: not checked
                                     ["2026Q3", "S01", "销售计划完成率", "90"],
                                     ["2026-99", "E020", "接通率", "90"]])     # unreadable period: reported
    write_csv(root / "targets.csv", [TARGETS_HEAD, ["2026Q3", "S01", "sales_plan", "100"]])
    write_csv(root / "events.csv", [EVENTS_HEAD, ["2026-07-31", "E017", "迟到", "", ""],
                                    ["2026-10-01", "E017", "迟到", "", ""]])
    q3 = load(root, "2026Q3")
    assert sorted(q3.actuals["period"]) == ["2026-07", "2026-08", "2026Q3"]
    assert q3.events["date"].tolist() == [date(2026, 7, 31)]
    assert len(q3.report.errors) == 1 and q3.report.errors[0].value == "2026-99"
    assert len(q3.roster) == 5
    jul = load(root, Period.parse("2026-07"))
    assert jul.actuals["period"].tolist() == ["2026-07"] and jul.targets.empty
    assert len(jul.events) == 1
    everything = load(root)
    assert len(everything.actuals) == 3 and len(everything.events) == 2
    assert one(everything.report, value="bad").row == 4


def test_each_row_uses_the_catalog_of_its_own_period(root):
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2025-12", "E020", "接通率", "90"],
                                     ["2026-01", "E020", "接通率", "90"]])
    inputs = load(root)
    p = one(inputs.report, row=2)
    assert "no scorecards in force for 2025-12" in p.message and "ParamsError" in p.message
    assert inputs.actuals["period"].tolist() == ["2026-01"]


def test_employment_warnings(root):
    write_csv(root / "roster.csv", ROSTER + [["E040", "吴十", "客户服务部", "", "客服专员", "2026-03-01",
                                              "2026-06-30", "M01", ""]])
    write_csv(root / "actuals.csv", [ACTUALS_HEAD, ["2026-02", "E040", "接通率", "90"],
                                     ["2026-07", "E040", "接通率", "90"], ["2026-06", "E040", "接通率", "90"]])
    inputs = load(root)
    assert "hired on 2026-03-01" in one(inputs.report, row=2).message
    assert "left on 2026-06-30" in one(inputs.report, row=3).message
    assert not inputs.report.has_errors and len(inputs.actuals) == 3


# the report -----------------------------------------------------------------------------
def test_many_problems_in_one_report(root):
    rows = [ACTUALS_HEAD] + [["2026-07", f"X{i:03d}", "接通率", "90"] for i in range(120)]
    rows += [["2026-07", "E020", "接通率", "x"], ["2026-07", "E020", "首次解决率", "1,2"]]
    write_csv(root / "actuals.csv", rows)
    write_xlsx(root / "wb.xlsx", {"事件": [EVENTS_HEAD, ["2026-07-01", "E017", "??", None, None]],
                                  "目标": [["期间", "工号"], ["2026-07", "E017"]]})
    inputs = load(root)
    rep = inputs.report
    assert len(rep.errors) == 124 and rep.has_errors
    frame = rep.to_frame()
    assert list(frame.columns) == ["severity", "table", "file", "sheet", "row", "column", "value",
                                   "message", "fix", "skipped"]
    assert frame["skipped"].all() and frame["row"].dtype == "Int64"
    assert frame.loc[frame["row"] == 122, "value"].tolist() == ["x"]
    assert rep.summary() == \
        "inputs: 124 error(s), 0 warning(s) in 2 file(s); 123 row(s) and 1 file(s)/sheet(s) left out"
    text = rep.format()
    assert "actuals.csv\n  error: row 2, column 工号 = 'X000': employee X000 is not in the roster" in text
    assert "wb.xlsx, sheet 事件\n" in text and "wb.xlsx, sheet 目标\n" in text
    assert "target (目标值) missing in wb.xlsx sheet 目标" in text
    assert "more (Report.to_frame() has all)" in rep.format(limit=5)
    with pytest.raises(InputError) as exc:
        rep.raise_for_errors()
    assert exc.value.report is rep and "124 error(s)" in str(exc.value)


def test_clean_inputs_have_an_empty_report(root):
    inputs = load(root)
    assert inputs.report.summary() == "inputs: no problems" and not inputs.report.has_errors
    for name in ("targets", "actuals", "events", "ratings", "adjustments"):
        frame = getattr(inputs, name)
        assert frame.empty and {"_file", "_sheet", "_row"} <= set(frame.columns)


def test_missing_inputs_folder_is_reported(tmp_path):
    inputs = load(tmp_path / "nope")
    assert inputs.report.has_errors and "does not exist" in inputs.report.errors[0].message


# the CSV reader: pyarrow where it gives the cells pandas gives ------------------------------------
def test_the_spaces_stripped_by_the_pyarrow_reader_are_those_of_str_strip():
    import pyarrow as pa
    import pyarrow.compute as pc
    from perfpay.inputs.readers import PADDED
    chars = [chr(c) for c in [*range(1, 0x3100), 0xFEFF, 0xFFFF, 0x1F600]]
    for cells in ([c + "x" for c in chars], ["x" + c for c in chars], chars):
        found = pc.match_substring_regex(pa.array(cells), PADDED).to_pylist()
        assert found == [c.strip() != c for c in cells]


def pandas_grid(text: str, sep: str = ",") -> list | None:
    """The cells the reader gave before pyarrow: pandas, or the csv module for ragged rows; stripped."""
    import csv
    try:
        grid = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, na_filter=False,
                           skip_blank_lines=False, engine="c")
    except pd.errors.EmptyDataError:
        return None
    except pd.errors.ParserError:
        grid = pd.DataFrame(list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))).fillna("")
    return [[c.strip() for c in row] for row in grid.to_numpy(dtype=object).tolist()]


@pytest.mark.parametrize("seed", [1, 2])
def test_the_pyarrow_reader_gives_the_cells_of_pandas_or_leaves_the_text_to_it(seed):
    from perfpay import ahead
    from perfpay.ahead import first_line as _first_line, separator as _separator
    from perfpay.inputs.readers import _arrow_grid, _csv_grid, _first_line_of, _parsed_grid
    rng = random.Random(seed)
    ahead_used = from_bytes = filled_rows = 0
    pool = ["a", "1", " ", "\t", ",", ";", '"', "\n", "\r", "\r\n", "中", "\u3000", "\xa0", "\x85", "\x1f",
            "x y", "", "\x00", "#", "\u2028", "\ufeff"]
    read = 0
    for _ in range(3000):
        lines = []
        for _ in range(rng.randint(0, 5)):
            cells = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 3))) for _ in range(rng.choice([3, 3, 3, 2, 4]))]
            lines.append(",".join(f'"{c.replace(chr(34), 2 * chr(34))}"' if rng.random() < 0.3 else c for c in cells))
        text = rng.choice(["\n", "\r\n"]).join(lines) + rng.choice(["", "\n"])
        first = _first_line(text)
        sep = _separator(first)
        data = rng.choice([b"", ahead.BOM]) + text.encode("utf-8")
        try:                                     # parsed ahead: the grid from the bytes, decoded if need be
            whole = ahead._parsed(data)
        except Exception:                        # noqa: BLE001 - then the readers parse it themselves
            whole = None
        if whole is not None:
            assert _parsed_grid(data, whole).equals(_csv_grid(data.decode("utf-8-sig"))), repr(data)
            assert_filled(_parsed_grid(data, whole), required=False)      # pandas' grid: read_source works it out
            from_bytes += _first_line_of(data, 3 if data.startswith(ahead.BOM) else 0) is not None
        got = _arrow_grid(text, None, sep, first.count(sep) + 1)
        if got is None:
            continue
        read += 1
        assert got.to_numpy(dtype=object).tolist() == pandas_grid(text, sep), repr(text)
        assert list(got.index) == list(range(1, len(got) + 1))
        assert _csv_grid(text).equals(got)
        filled_rows += assert_filled(got)
        try:                                     # parsed ahead, as perfpay.ahead's thread does
            parsed = ahead._parsed(text.encode("utf-8"))
        except Exception:                        # noqa: BLE001 - then the readers parse it themselves
            continue
        assert _parsed_grid(text.encode("utf-8"), parsed).equals(got), repr(text)
        ahead_used += (parsed.sep, parsed.width) == (sep, first.count(sep) + 1)
    assert ahead_used > 100 and from_bytes > 100
    assert read > 100           # many texts go through pyarrow
    assert filled_rows > 20, filled_rows      # blank rows among them


def assert_filled(grid, required: bool = True) -> int:
    """The rows a pyarrow grid says hold anything (read_source drops the others) are those whose
    cells are not all ""; how many of them were blank."""
    import numpy as np
    from perfpay.inputs.readers import FILLED
    if grid.empty or (FILLED not in grid.attrs and not required):
        return 0
    want = np.logical_or.reduce([grid[c].to_numpy(dtype=object) != "" for c in grid.columns])
    assert grid.attrs[FILLED].tolist() == want.tolist()
    return int((~want).sum())


@pytest.mark.parametrize("text", [
    "工号," + "很长" * 40000 + "\nE1,2\n",                # a first line past 64 KiB
    "工号,分\n" + "E1,中中中\n" * 10000,                   # a character cut at 64 KiB
    "a;b;c\n" + "中,文;1;2\n" * 20000,                     # another separator, many rows
    " a,b\n1,2\n", "\u3000a,b\n1,2\n", "a,b\n1,\x002\n",  # left to pandas
], ids=["long first line", "cut character", "semicolons", "space", "wide space", "NUL"])
def test_a_file_parsed_ahead_gives_the_grid_of_its_text(text):
    from perfpay import ahead
    from perfpay.inputs.readers import _csv_grid, _parsed_grid
    for data in (text.encode("utf-8"), ahead.BOM + text.encode("utf-8")):
        assert _parsed_grid(data, ahead._parsed(data)).equals(_csv_grid(data.decode("utf-8-sig")))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_factorize_gives_the_codes_and_uniques_of_pandas(seed):
    import numpy as np
    from perfpay.inputs.values import factorize
    rng = np.random.default_rng(seed)
    pool = np.array(["a", "b", None, float("nan"), D("1.1"), D("1.10"), 1, 1.0, True, pd.NA, "", "c"], dtype=object)
    values = pool[rng.integers(0, len(pool), 5000)]
    fresh = np.array([f"x{i}" for i in rng.integers(0, 9, 5000)], dtype=object)    # equal texts, other objects
    for v in (values, fresh, np.where(rng.random(5000) < 0.5, values, fresh)):
        for sentinel in (True, False):
            codes, uniques = factorize(v, use_na_sentinel=sentinel)
            want_codes, want_uniques = pd.factorize(v, use_na_sentinel=sentinel)
            assert codes.tolist() == want_codes.tolist()
            same = [u is w or (pd.isna(u) and pd.isna(w)) for u, w in zip(uniques, want_uniques)]
            assert len(uniques) == len(want_uniques) and all(same)
            if sentinel:        # the very objects pandas gives (the missing ones are no value)
                assert [id(u) for u in uniques] == [id(u) for u in want_uniques]


def test_checker_codes_follow_the_kept_rows():
    """blank / filled / isin of a column, worked out once, stay right after rows are dropped
    and after the column is set anew."""
    from perfpay.inputs.checker import Checker
    from perfpay.inputs.report import Report

    frame = pd.DataFrame({"employee_id": ["E1", "", "E2", "E1", None], "_file": "f.csv", "_sheet": None,
                          "_row": [2, 3, 4, 5, 6]}, dtype=object)
    chk = Checker("roster", frame, {}, Report())
    assert chk.blank("employee_id").tolist() == [False, True, False, False, False]
    assert chk.filled("employee_id").tolist() == [True, False, True, True, True]
    chk.keep(pd.Series([True, True, False, True, True], index=frame.index))
    assert chk.blank("employee_id").tolist() == [False, True, False, False]
    assert chk.isin("employee_id", {"E1"}).tolist() == [True, False, True, False]
    assert chk.blank("employee_id").index.tolist() == [0, 1, 3, 4]
    chk.df["employee_id"] = pd.Series(["", "E2", "", "E2"], index=chk.df.index, dtype=object)
    assert chk.blank("employee_id").tolist() == [True, False, True, False]
    assert chk.isin("employee_id", {"E2"}).tolist() == [False, True, False, True]
    assert chk.isin("employee_id", {}.keys()).tolist() == [False] * 4       # nothing to find
    assert chk.isin("employee_id", {}.keys()).index.tolist() == [0, 1, 3, 4]
    assert chk.equal("employee_id", "E2").tolist() == [False, True, False, True]
    chk.df["period_v"] = pd.Series(["2026-07", None, "2026-07", None], index=chk.df.index, dtype=object)
    assert chk.given("period_v").tolist() == [True, False, True, False]
    assert chk.equal("period_v", "2026-08").tolist() == [False] * 4


@pytest.mark.parametrize("parse", ["to_decimal", "to_money"])
def test_column_parses_as_each_text_alone(parse):
    """column() (plain numbers in one go) gives what the parser gives each text by itself."""
    from perfpay.inputs import values as V

    parse_one = getattr(V, parse)
    texts = ["1", "1.5", "1.55", "1.555", "1.1234567", "-0", "+5", "5.", ".5", ".555", "1,000", "12%",
             "１２", " 3", "abc", "", "1e5", "0.10", "-.25", None]
    values, reasons = V.column(pd.Series(texts, dtype=object), parse_one)
    for text, value, reason in zip(texts, values, reasons):
        try:
            want, why = (parse_one(text) if text else None), ""
        except ValueError as exc:
            want, why = None, str(exc)
        assert (repr(value), reason) == (repr(want), why), text


def test_the_codes_the_reader_hands_the_checks_are_those_of_pandas(tmp_path):
    """The pyarrow reader hands each column's codes on (RawTables.codes), so the checks need not
    factorize the text again: they equal pd.factorize of the column, across a header below a
    title row, blank rows, padded cells that strip to one text, and two files of one table."""
    import numpy as np
    from perfpay.distinct import factorize
    from perfpay.inputs.readers import read_raw
    (tmp_path / "2026-07").mkdir()
    (tmp_path / "2026-07" / "事件.csv").write_text(
        "七月事件,,,\n日期,工号,事件,次数\n2026-07-01,E1, late,1\n\n,,,\n2026-07-02, E2,late ,2\n"
        "2026-07-03,E1,late,1\n2026-07-03,E3,日期,1\n", encoding="utf-8-sig")
    (tmp_path / "2026-07" / "行政部_事件.csv").write_text(
        "date,employee_id,event,count\n2026-07-04,E3,absent,1\n2026-07-05,E2,late,3\n", encoding="utf-8")
    (tmp_path / "人员.csv").write_text("工号,姓名,部门,分部,岗位,入职日期,上级工号\nE1,甲,客服,A,坐席,2020-01-01,\n"
                                      "E2, 乙,客服,A,坐席,2020-01-01,E1\nE3,乙 ,客服,A,坐席,2020-01-01,E1\n", encoding="utf-8")
    raw = read_raw(tmp_path)
    assert raw.codes["events"].keys() >= {"date", "employee_id", "event", "count"}
    assert raw.codes["roster"].keys() >= {"employee_id", "name"}
    for table, columns in raw.codes.items():
        for column, (codes, uniques) in columns.items():
            want_codes, want_uniques = factorize(raw.frames[table][column].to_numpy(dtype=object))
            assert codes.tolist() == want_codes.tolist(), (table, column)
            assert uniques.tolist() == want_uniques.tolist(), (table, column)
    assert raw.frames["events"]["event"].tolist() == ["late", "late", "late", "日期", "absent", "late"]
    assert raw.codes["events"]["event"][0].tolist() == [0, 0, 0, 1, 2, 0]
    (tmp_path / "2026-07" / "事件.csv").write_text("七月事件\n日期,工号,事件,次数\n2026-07-01,E1,late,1\n",
                                                 encoding="utf-8")      # a title row narrower: read by pandas
    assert "events" in read_raw(tmp_path).codes and read_raw(tmp_path).codes["events"] == {}


def test_frames_made_from_a_grid_share_its_codes_rather_than_copy_them():
    """pandas deep-copies a frame's attrs into every frame made from it; the reader's codes are
    handed on as they are (a copy of a million distinct texts took 0.5 s per slice)."""
    import copy
    from perfpay.inputs.readers import CODES, _csv_grid
    grid = _csv_grid("工号,姓名\n" + "".join(f"E{i},名{i}\n" for i in range(2000)))
    codes = grid.attrs[CODES]
    assert codes[0][1][codes[0][0]].tolist() == grid[0].tolist()          # texts[codes] is the column
    for made in (grid.iloc[1:], grid[grid.ne("").any(axis=1)], grid[[0]], copy.deepcopy(grid)):
        assert made.attrs[CODES] is codes


def test_a_column_set_from_cases_has_the_codes_pandas_finds_in_it():
    """Checker.set_cases: each row takes its case's value (None outside any case); the codes come
    from the cases, equal to factorizing the column, with cases that give the same value merged."""
    import numpy as np
    from perfpay.distinct import factorize
    from perfpay.inputs.checker import Checker
    from perfpay.inputs.report import Report

    frame = pd.DataFrame({"employee_id": list("abcdef"), "_file": "f.csv", "_sheet": None,
                          "_row": range(2, 8)}, dtype=object)
    chk = Checker("roster", frame, {}, Report())
    chk.set_cases("_card", np.array([2, -1, 0, 1, 2, 0]), np.array(["ka", None, "ka"], dtype=object))
    assert chk.df["_card"].tolist() == ["ka", None, "ka", None, "ka", "ka"]
    codes, uniques = chk.coded("_card")
    want = factorize(chk.df["_card"].to_numpy(dtype=object))
    assert codes.tolist() == want[0].tolist() == [0, -1, 0, -1, 0, 0] and uniques.tolist() == ["ka"]
    assert chk.given("_card").tolist() == [True, False, True, False, True, True]
