"""Quarterly commission statements (结算单): write, read back with openpyxl, check what a person sees.

The ledger is SPEC 7's worked example (T = 200,000, B = 100,000, r = 4%): Q1 credits 80,000
(case 1: 600 withheld, shortfall 20,000); Q2 credits 150,000 (case 3: commission 5,200,
back-pay 4,000), plus 5,000 of maintenance at 6% = 300. The Q2 lines add up to those credits.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import openpyxl.writer.excel
import pandas as pd
import pytest

from perfpay.params import load_params
from perfpay.pay import statements
from perfpay.pay.ledger import LedgerParams, run_ledger
from perfpay.pay.statements import write_statement, write_statements

PARAMS_DIR = Path(__file__).resolve().parents[1] / "params"
INJECTION = '=HYPERLINK("x")'


def D(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


PERSON = {"employee_id": "E1", "name": "张三", "department": "大客户部", "branch": "华东分部",
          "role": "大客户专员"}


def ledger_rows() -> pd.DataFrame:
    common = {"employee_id": "E1", "carry_in": D(0), "base": D(100_000), "target": D(200_000),
              "kpi_coefficient": Decimal(1), "carry_out": D(0)}
    q1 = {**common, "quarter": "2026Q1", "credited": D(80_000), "X": D(80_000), "case": 1,
          "commission": D(0), "backpay": D(0), "service_commission": D(0), "bonus": D(0),
          "floating_wage_paid": False, "withheld": D(600), "shortfall_after": D(20_000),
          "formula": "case 1: X 80,000 < base 100,000: no commission; 600 withheld; "
                     "shortfall 20,000 recorded", "filled": ""}
    q2 = {**common, "quarter": "2026Q2", "credited": D(150_000), "X": D(150_000), "case": 3,
          "commission": D(5_200), "backpay": D(4_000), "service_commission": D(300), "bonus": D(9_500),
          "floating_wage_paid": False, "withheld": D(0), "shortfall_after": D(0),
          "formula": "case 3: (max(0, 50,000 − 20,000) + 100,000) × 4% = 5,200; back-pay 2026Q1 "
                     "base 100,000 × 4% = 4,000; service 5,000 × 6% = 300; "
                     "bonus 9,500 × (80% + 20% × 1) = 9,500",
          "filled": "2026Q1 20,000 of 20,000 (filled: back-pay on base 100,000)"}
    return pd.DataFrame([q1, q2])


def line(**kw) -> dict:
    row = {"quarter": "2026Q2", "date": "2026-04-15", "deal_id": "D-100", "crm_id": "CRM-100",
           "employee_id": "E1", "revenue_type": "software", "amount": D(0), "cost": None,
           "standard_quote": None, "share": Decimal(1), "stream": "task", "credited": D(0),
           "reclassified": D(0), "rule": "", "formula": "", "reason": None,
           "_file": "inputs/2026-04/回款.csv", "_row": 2}
    row.update(kw)
    return row


def lines_q2() -> pd.DataFrame:
    return pd.DataFrame([
        line(deal_id="D-101", amount=D(95_000), credited=D(85_000), rule="软件计入任务",
             formula="95,000 − 划拨实施费 10,000 = 85,000"),
        line(deal_id="D-101", date="2026-05-06", revenue_type="implementation", amount=D(50_000),
             standard_quote=D(60_000), credited=D(60_000), reclassified=D(10_000),
             rule="按标准报价划拨实施费", formula="50,000 + (60,000 − 50,000) = 60,000", _row=3),
        line(deal_id="D-102", date="2026-05-20", crm_id="CRM-102", revenue_type="secondary_dev",
             amount=D(40_000), cost=D(30_000), share=Decimal("0.5"), credited=D(5_000),
             rule="二次开发按毛利计入", formula="(40,000 − 30,000) × 50% = 5,000", _row=4),
        line(deal_id="D-103", date="2026-06-02", crm_id="CRM-103", revenue_type="maintenance",
             amount=D(5_000), stream="service", credited=D(5_000), rule="维护按6%计提",
             formula="5,000 × 100% = 5,000", _row=5),
        line(deal_id="D-104", date="2026-06-28", crm_id=None, amount=D(30_000), stream="excluded",
             credited=D(0), reason="未进入CRM系统", _row=6),
    ])


def write(tmp_path, person=PERSON, quarter="2026Q2", lines=None, ledger=None, extra=None, **kw):
    path = write_statement(tmp_path / "E1.xlsx", person, quarter,
                           lines_q2() if lines is None else lines,
                           ledger_rows() if ledger is None else ledger, extra, **kw)
    return openpyxl.load_workbook(path)


def summary(ws) -> dict[str, tuple]:
    """Label in column A → the cells (B, C, D) of its row, for the 项目 block."""
    out, inside = {}, False
    for row in ws.iter_rows(min_col=1, max_col=4):
        label = row[0].value
        if label == "项目":
            inside = True
        elif label == "台账":
            break
        elif inside and label:
            out[label] = row[1:]
    return out


def ledger_block(ws) -> dict[str, tuple]:
    out, inside = {}, False
    for row in ws.iter_rows(min_col=1, max_col=4):
        if row[0].value == "台账":
            inside = True
        elif inside and row[0].value:
            out.setdefault(row[0].value, row[1:])
    return out


def money(cell) -> Decimal:
    assert cell.data_type == "n", f"{cell.coordinate} is not a number: {cell.value!r}"
    assert cell.number_format == "#,##0.00", f"{cell.coordinate}: {cell.number_format}"
    return Decimal(str(cell.value))


# 结算单 -------------------------------------------------------------------------------------
def test_summary_shows_case_3_with_back_pay(tmp_path):
    ws = write(tmp_path)["结算单"]
    assert ws["A1"].value == "大客户部销售人员季度奖金结算单 2026Q2"
    assert "A1:D1" in {str(r) for r in ws.merged_cells.ranges}
    s = summary(ws)
    expected = {"当季回款计入任务额": 150_000, "其中：按标准报价划拨实施费": 10_000, "上季结转": 0,
                "当季实际完成额 X": 150_000, "任务基数 B": 100_000, "任务目标 T": 200_000,
                "计提奖金": 5_200, "补发奖金": 4_000, "维护/培训提成": 300, "实发奖金": 9_500,
                "扣发固定工资": 0, "待补基数余额": 0, "结转下季": 0}
    problems = [f"{label}: got {money(s[label][0])}, expected {want}"
                for label, want in expected.items() if money(s[label][0]) != D(want)]
    assert not problems, "\n".join(problems)
    assert s["适用情形"][0].value == "情形3"
    assert s["适用情形"][1].value == "情形3：完成额介于基数与目标之间，且有待补基数"
    assert s["浮动工资"][0].value == "不发放"
    assert s["KPI系数"][0].value == 1
    # the ledger's formula text beside the amounts it explains
    assert s["计提奖金"][2].value.startswith("case 3: (max(0, 50,000 − 20,000) + 100,000)")
    assert s["补发奖金"][2].value == "back-pay 2026Q1 base 100,000 × 4% = 4,000"
    assert s["维护/培训提成"][2].value == "service 5,000 × 6% = 300"
    assert s["实发奖金"][2].value.startswith("bonus 9,500")
    assert "补发" in s["补发奖金"][1].value and s["计提奖金"][1].value.startswith("(max(0, E − S) + B)")


def test_person_block_and_ledger_before_and_after(tmp_path):
    ws = write(tmp_path)["结算单"]
    people = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(3, 9)}
    assert people == {"工号": "E1", "姓名": "张三", "部门": "大客户部", "分部": "华东分部",
                      "岗位": "大客户专员", "季度": "2026Q2"}
    block = ledger_block(ws)
    start, end = block["待补基数余额"][0], block["待补基数余额"][1]
    assert (money(start), money(end)) == (D(20_000), D(0))
    assert (money(block["结转金额"][0]), money(block["结转金额"][1])) == (D(0), D(0))
    assert block["补足明细"][0].value == "2026Q1 20,000 of 20,000 (filled: back-pay on base 100,000)"
    assert block["计算过程"][0].value == ledger_rows()["formula"][1]
    assert "2026Q1" in block["待补基数余额"][2].value


def test_first_quarter_opens_at_zero_and_withholds(tmp_path):
    q1_lines = pd.DataFrame([line(quarter="2026Q1", date="2026-02-01", amount=D(80_000),
                                  credited=D(80_000))])
    ws = write(tmp_path, quarter="2026Q1", lines=q1_lines)["结算单"]
    s = summary(ws)
    assert s["适用情形"][0].value == "情形1"
    assert money(s["扣发固定工资"][0]) == D(600)
    assert money(s["待补基数余额"][0]) == D(20_000)
    assert money(s["计提奖金"][0]) == D(0)
    assert s["扣发固定工资"][2].value == "600 withheld"
    assert s["待补基数余额"][2].value == "shortfall 20,000 recorded"
    block = ledger_block(ws)
    assert money(block["待补基数余额"][0]) == D(0) and money(block["待补基数余额"][1]) == D(20_000)
    assert money(block["结转金额"][0]) == D(0)
    assert block["补足明细"][0].value == "本季未补足待补基数"
    # the 台账 sheet stops at the statement's quarter
    assert [c.value for c in write(tmp_path, quarter="2026Q1", lines=q1_lines)["台账"]["A"]] == \
        ["季度", "2026Q1"]


def test_extra_floating_wage_fixed_wage_score_and_notes(tmp_path):
    extra = {"floating_wage_amount": Decimal("3000"), "fixed_wage": Decimal("5000"), "kpi_score": 92.5,
             "notes": ["本季已核对回款", "-请于月底前确认"]}
    ws = write(tmp_path, extra=extra)["结算单"]
    s = summary(ws)
    assert money(s["浮动工资金额"][0]) == D(0)              # not paid in case 3
    assert "3,000.00" in s["浮动工资金额"][1].value
    assert money(s["固定工资"][0]) == D(5000) and money(s["扣发后固定工资"][0]) == D(5000)
    assert s["大客户专员季度考核得分"][0].value == 92.5
    notes = [ws.cell(r, 2).value for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "备注"]
    assert notes[:2] == ["本季已核对回款", "-请于月底前确认"]
    assert ws.cell([r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == notes[1]][0], 2
                   ).data_type == "s"
    with pytest.raises(ValueError, match="unknown key.*bonus_base"):
        write(tmp_path, extra={"bonus_base": 1})


def test_mismatch_between_lines_and_ledger_is_flagged(tmp_path):
    def warnings(ws):
        return [ws.cell(r, 2).value for r in range(1, ws.max_row + 1)
                if str(ws.cell(r, 2).value).startswith("注意")]

    assert warnings(write(tmp_path)["结算单"]) == []
    fewer = lines_q2().iloc[1:]
    [text] = warnings(write(tmp_path, lines=fewer)["结算单"])
    assert "65,000.00" in text and "150,000.00" in text


# 回款明细 -----------------------------------------------------------------------------------
def test_detail_lines_values_formats_and_marks(tmp_path):
    ws = write(tmp_path)["回款明细"]
    header = [c.value for c in ws[1]]
    assert header == ["日期", "项目编号", "CRM编号", "收入类型", "税后净额", "成本", "标准报价", "贡献比例",
                      "计入", "计入金额", "划拨实施费", "规则", "公式", "不计入原因", "来源"]
    col = {h: i + 1 for i, h in enumerate(header)}
    rows = list(range(2, 7))
    assert [ws.cell(r, col["收入类型"]).value for r in rows] == ["软件", "实施", "二次开发", "维护", "软件"]
    assert [ws.cell(r, col["计入"]).value for r in rows] == ["任务", "任务", "任务", "服务", "不计入"]
    assert [money(ws.cell(r, col["计入金额"])) for r in rows] == [D(85_000), D(60_000), D(5_000), D(5_000), D(0)]
    assert money(ws.cell(3, col["划拨实施费"])) == D(10_000)
    assert money(ws.cell(3, col["标准报价"])) == D(60_000)
    share = ws.cell(4, col["贡献比例"])
    assert share.value == 0.5 and share.number_format == "0.00%"
    assert ws.cell(2, col["日期"]).value.date().isoformat() == "2026-04-15"
    assert ws.cell(2, col["日期"]).number_format == "yyyy-mm-dd"
    assert ws.cell(6, col["不计入原因"]).value == "未进入CRM系统"
    assert ws.cell(2, col["来源"]).value == "回款.csv 第2行"
    excluded = ws.cell(6, col["项目编号"])
    assert excluded.font.color.rgb.endswith("808080") and excluded.fill.fgColor.rgb.endswith("EDEDED")
    assert not ws.cell(2, col["项目编号"]).font.i and ws.cell(2, col["项目编号"]).fill.fill_type is None


def _sum_range(ws, formula: str) -> Decimal:
    m = re.fullmatch(r"=SUM\(([A-Z]+\d+:[A-Z]+\d+)\)", formula)
    assert m, formula
    return sum((Decimal(str(c.value)) for row in ws[m.group(1)] for c in row if c.value is not None),
               Decimal(0))


def _sumif(ws, formula: str) -> Decimal:
    m = re.fullmatch(r'=SUMIF\(([A-Z]+\d+:[A-Z]+\d+),"(.+)",([A-Z]+\d+:[A-Z]+\d+)\)', formula)
    assert m, formula
    keys = [c.value for row in ws[m.group(1)] for c in row]
    values = [c.value for row in ws[m.group(3)] for c in row]
    return sum((Decimal(str(v)) for k, v in zip(keys, values) if k == m.group(2)), Decimal(0))


def test_detail_totals_are_live_sums(tmp_path):
    ws = write(tmp_path)["回款明细"]
    col = {c.value: c.column for c in ws[1]}
    total = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    assert total == 7
    lines = lines_q2()
    expected = {"税后净额": lines["amount"].sum(), "成本": D(30_000), "计入金额": lines["credited"].sum(),
                "划拨实施费": D(10_000)}
    for header, want in expected.items():
        cell = ws.cell(total, col[header])
        assert cell.data_type == "f" and cell.value.startswith("=SUM("), cell.value
        assert cell.number_format == "#,##0.00"
        assert _sum_range(ws, cell.value) == want, header
    subtotals = {ws.cell(r, 1).value: next(c for c in ws[r] if c.data_type == "f")
                 for r in range(total + 1, ws.max_row + 1)}
    assert {k: _sumif(ws, c.value) for k, c in subtotals.items()} == {
        "其中：计入任务": D(150_000), "其中：计入服务（维护/培训）": D(5_000), "不计入（税后净额）": D(30_000)}


def test_no_lines_still_gives_a_valid_sheet(tmp_path):
    ws = write(tmp_path, lines=lines_q2().iloc[0:0])["回款明细"]
    assert ws["A2"].value == "本季无回款记录"
    assert ws["E3"].value == "=SUM(E2:E2)"


# 台账 ------------------------------------------------------------------------------------------
def test_ledger_sheet_lists_quarters_up_to_the_statement(tmp_path):
    later = ledger_rows().iloc[[1]].assign(quarter="2026Q3")
    ledger = pd.concat([ledger_rows().iloc[[1, 0]], later], ignore_index=True)   # any order in
    ws = write(tmp_path, ledger=ledger)["台账"]
    header = [c.value for c in ws[1]]
    assert header[:8] == ["季度", "工号", "计入任务额", "上季结转", "完成额X", "任务基数B", "任务目标T", "情形"]
    col = {h: i + 1 for i, h in enumerate(header)}
    assert [ws.cell(r, 1).value for r in (2, 3)] == ["2026Q1", "2026Q2"] and ws.max_row == 3
    assert [ws.cell(r, col["情形"]).value for r in (2, 3)] == ["1", "3"]
    assert [money(ws.cell(r, col["扣发固定工资"])) for r in (2, 3)] == [D(600), D(0)]
    assert [money(ws.cell(r, col["补发奖金"])) for r in (2, 3)] == [D(0), D(4_000)]
    assert ws.cell(3, col["浮动工资"]).value == "否"
    assert ws.cell(3, 1).font.b and not ws.cell(2, 1).font.b         # this quarter stands out


def test_missing_or_exact_ledger_is_refused(tmp_path):
    with pytest.raises(ValueError, match="0 rows for E1 in 2026Q3.*2026Q1, 2026Q2"):
        write(tmp_path, quarter="2026Q3")
    with pytest.raises(ValueError, match="quarter such as 2026Q3"):
        write(tmp_path, quarter="2026-05")
    p = LedgerParams.load(load_params(PARAMS_DIR), "2026Q1")
    exact = run_ledger([("2026Q2", pd.DataFrame([{"employee_id": "E1", "credited": 15_000_000,
                                                  "target": 20_000_000, "kpi_coefficient": 1}]))],
                       p, exact=True)
    with pytest.raises(ValueError, match="exact=True"):
        write(tmp_path, ledger=exact)
    assert not (tmp_path / "E1.xlsx").exists()


# formatting and safety -----------------------------------------------------------------------
def test_layout_formatting(tmp_path):
    wb = write(tmp_path)
    assert wb.sheetnames == ["结算单", "回款明细", "台账"]
    assert wb.properties.creator == "perfpay"
    assert wb["回款明细"].freeze_panes == "A2" and wb["台账"].freeze_panes == "C2"
    for ws in wb:
        assert ws.page_setup.orientation == "landscape"
        assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
        assert all((ws.column_dimensions[c].width or 0) >= 6 for c in "ABCD")
    detail = wb["回款明细"]
    head = detail["A1"]
    assert head.font.b and head.fill.fgColor.rgb.endswith("DDEBF7")
    col = {c.value: c.column for c in detail[1]}
    assert detail.cell(2, col["公式"]).alignment.wrap_text
    assert wb["台账"].cell(2, 18).alignment.wrap_text                  # 公式
    assert wb["结算单"]["D1"].coordinate and summary(wb["结算单"])["计提奖金"][2].alignment.wrap_text
    assert 20 <= detail.column_dimensions["M"].width <= 40           # 公式: fitted, capped, wrapped


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    person = {**PERSON, "name": INJECTION, "branch": "+86 分部", "department": "@部门"}
    lines = lines_q2()
    lines.loc[0, "deal_id"] = INJECTION
    lines.loc[1, "formula"] = "=1+1"
    lines.loc[4, "reason"] = "-CRM"
    ledger = ledger_rows()
    ledger.loc[1, "filled"] = "=SUM(A1:A9)"
    wb = write(tmp_path, person=person, lines=lines, ledger=ledger, extra={"notes": ["=cmd|' /C calc'!A0"]})
    cells = [cell for ws in wb for row in ws.iter_rows() for cell in row]
    expected = {INJECTION, "+86 分部", "@部门", "=1+1", "-CRM", "=SUM(A1:A9)", "=cmd|' /C calc'!A0"}
    kinds = {}
    for cell in cells:
        if cell.value in expected:
            kinds.setdefault(cell.value, set()).add(cell.data_type)
    assert kinds == {text: {"s"} for text in expected}
    # the only formulas are the totals of 回款明细, written by perfpay
    formulas = [f"{c.parent.title}!{c.coordinate}" for c in cells if c.data_type == "f"]
    assert formulas == ["回款明细!E7", "回款明细!F7", "回款明细!J7", "回款明细!K7",
                        "回款明细!J8", "回款明细!J9", "回款明细!E10"]
    s = wb["结算单"]
    assert s["B4"].value == INJECTION and s["B4"].data_type == "s" and s["B4"].quotePrefix


# writing ---------------------------------------------------------------------------------------
def test_atomic_write_leaves_only_the_file(tmp_path):
    write(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["E1.xlsx"]


def test_failing_write_leaves_no_half_file(tmp_path, monkeypatch):
    target = tmp_path / "E1.xlsx"
    target.write_bytes(b"the old statement")

    def broken_save(self):                  # the zip begun, then the disk is full
        self._archive.writestr("half", b"PK half a zip")
        self._archive.close()
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.writer.excel.ExcelWriter, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        write_statement(target, PERSON, "2026Q2", lines_q2(), ledger_rows())
    assert target.read_bytes() == b"the old statement"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["E1.xlsx"]
    with pytest.raises(OSError):
        write_statement(tmp_path / "new" / "E2.xlsx", PERSON, "2026Q2", lines_q2(), ledger_rows())
    assert list((tmp_path / "new").iterdir()) == []


def test_write_statements_one_file_per_person(tmp_path):
    e2 = ledger_rows().assign(employee_id="E2", name="ignored")
    ledger = pd.concat([ledger_rows(), e2], ignore_index=True)
    lines = pd.concat([lines_q2(), lines_q2().iloc[[3]].assign(employee_id="E2")], ignore_index=True)
    people = pd.DataFrame([PERSON, {**PERSON, "employee_id": "E2", "name": "李四", "role": "大客户部经理"}])
    paths = write_statements(tmp_path, people, "2026Q2", lines, ledger,
                             extras={"E2": {"notes": ["经理"]}})
    assert paths == [tmp_path / "statements" / "E1.xlsx", tmp_path / "statements" / "E2.xlsx"]
    e1, e2 = (openpyxl.load_workbook(p) for p in paths)
    assert e2["结算单"]["B4"].value == "李四"
    assert e1["回款明细"].max_row == 10 and e2["回款明细"]["B2"].value == "D-103"
    assert "部门经理还须部门目标完成" in summary(e2["结算单"])["浮动工资"][1].value
    assert "部门经理" not in summary(e1["结算单"])["浮动工资"][1].value

    (tmp_path / "again").mkdir()
    bad = pd.concat([people, pd.DataFrame([{**PERSON, "employee_id": "E3"},
                                           {**PERSON, "employee_id": "../x"}])], ignore_index=True)
    with pytest.raises(ValueError) as err:
        write_statements(tmp_path / "again", bad, "2026Q2", lines, ledger)
    assert "'../x' cannot be a file name" in str(err.value)
    assert "no ledger row in 2026Q2 for E3" in str(err.value)
    assert list((tmp_path / "again").iterdir()) == []


def test_with_the_real_ledger_and_params(tmp_path):
    """run_ledger's own table goes straight in; with params the rules print the rates."""
    p = LedgerParams.load(load_params(PARAMS_DIR), "2026Q1")
    quarters = [(q, pd.DataFrame([{"employee_id": "E1", "credited": fen, "target": 20_000_000,
                                   "kpi_coefficient": k}]))
                for q, fen, k in [("2026Q1", 8_000_000, 1), ("2026Q2", 15_000_000, "0.9")]]
    ledger = run_ledger(quarters, p)
    lines = lines_q2()
    lines = lines[lines["stream"] != "service"]
    ws = write(tmp_path, lines=lines, ledger=ledger, params=p)["结算单"]
    s = summary(ws)
    assert money(s["实发奖金"][0]) == D(9_016)                        # 9,200 × 0.98 (SPEC 7)
    assert s["KPI系数"][0].value == 0.9
    assert s["任务基数 B"][1].value == "B = 任务目标 × 50%"
    assert "× 4%" in s["计提奖金"][1].value and "600元" in s["扣发固定工资"][1].value
    assert statements._Rules(p).case_text("4") == "情形4：完成额达到目标（低于30万元），无待补基数，超出目标部分结转下季"
    assert "6%" in s["维护/培训提成"][1].value and "(80% + 20% × KPI系数)" in s["实发奖金"][1].value
    assert not any(str(ws.cell(r, 2).value).startswith("注意") for r in range(1, ws.max_row + 1))
