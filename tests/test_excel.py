"""scorecards.xlsx and payroll.xlsx: written, read back with openpyxl, formulas recalculated.

The formulas are evaluated here by a tiny evaluator (SUM, MAX, MIN, AVERAGE, ROUND, + − × ÷,
cell and range references, other sheets) in exact decimals with ROUND halves away from zero,
as Excel does; each person's total must come out as perfpay's total to the cent. When
LibreOffice is installed, a real spreadsheet recalculates the files as well.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import openpyxl
import openpyxl.writer.excel
import pandas as pd
import pytest

from conftest import ROOT, write_tables
from perfpay.inputs import load_inputs
from perfpay.params import load_params
from perfpay.pay.run import PayResult, pay
from perfpay.periods import Period
from perfpay.report import excel
from perfpay.report.excel import (
    payroll_table, sheet_name, standard_text, write_payroll, write_scorecards,
)
from perfpay.scorecard import score

CENT = Decimal("0.01")
CASES = [("大客户部", "2026-07"), ("客户服务部", "2026-07"), ("大客户部", "2026Q3"), ("客户服务部", "2026Q3")]


# a tiny spreadsheet evaluator ---------------------------------------------------------------
_TOKEN = re.compile(r"""\s*(?:
    (?P<ref>(?:'(?:[^']|'')+'!|[A-Za-z0-9_.]+!)?\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?)
  | (?P<func>[A-Z][A-Z0-9.]*)\(
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<op>[-+*/(),])
)""", re.X)


class Evaluator:
    """Evaluates the formulas of an openpyxl workbook (loaded with formulas) exactly."""

    FUNCS = ("SUM", "MAX", "MIN", "AVERAGE", "ROUND")

    def __init__(self, wb):
        self.wb = wb
        self.cache: dict[tuple[str, str], object] = {}

    def cell(self, sheet: str, coord: str):
        key = (sheet, coord.replace("$", ""))
        if key not in self.cache:
            self.cache[key] = None                     # a cycle would read as blank
            c = self.wb[sheet][key[1]]
            if c.data_type == "f":
                self.cache[key] = self.formula(sheet, c.value)
            elif isinstance(c.value, bool):
                self.cache[key] = c.value
            elif isinstance(c.value, (int, float)):
                self.cache[key] = Decimal(repr(c.value))
            else:
                self.cache[key] = c.value
        return self.cache[key]

    def formula(self, sheet: str, text: str):
        assert text.startswith("="), text
        saved = getattr(self, "tokens", None), getattr(self, "pos", 0), getattr(self, "sheet", None)
        self.tokens, self.pos, self.sheet = self._tokens(text[1:]), 0, sheet
        try:
            value = self._expr()
            assert self.pos == len(self.tokens), f"unparsed rest of {text!r}"
        finally:            # a reference to a formula cell parses that formula in between
            self.tokens, self.pos, self.sheet = saved
        return value

    # parsing
    def _tokens(self, text):
        out, i = [], 0
        while i < len(text):
            m = _TOKEN.match(text, i)
            if not m or m.end() == i:
                if text[i:].strip() == "":
                    break
                raise AssertionError(f"cannot read formula at {text[i:]!r}")
            kind = m.lastgroup
            out.append((kind, m.group(kind)))
            i = m.end()
        return out

    def _peek(self):
        return self.tokens[self.pos] if self.pos < len(self.tokens) else (None, None)

    def _take(self, value=None):
        tok = self._peek()
        assert value is None or tok[1] == value, f"expected {value!r}, got {tok!r}"
        self.pos += 1
        return tok

    def _expr(self):
        value = self._term()
        while self._peek()[1] in ("+", "-"):
            op = self._take()[1]
            right = self._term()
            value = self._num(value) + self._num(right) if op == "+" else self._num(value) - self._num(right)
        return value

    def _term(self):
        value = self._factor()
        while self._peek()[1] in ("*", "/"):
            op = self._take()[1]
            right = self._factor()
            value = self._num(value) * self._num(right) if op == "*" else self._num(value) / self._num(right)
        return value

    def _factor(self):
        kind, text = self._take()
        if text == "-":
            return -self._num(self._factor())
        if text == "+":
            return self._num(self._factor())
        if kind == "num":
            return Decimal(text)
        if text == "(":
            value = self._expr()
            self._take(")")
            return value
        if kind == "ref":
            values = self._ref(text)
            return values if ":" in text else values[0]
        if kind == "func":
            assert text in self.FUNCS, f"function {text} is not one the writer may use"
            args = []
            if self._peek()[1] != ")":
                args.append(self._expr())
                while self._peek()[1] == ",":
                    self._take(",")
                    args.append(self._expr())
            self._take(")")
            return getattr(self, f"_f_{text.lower()}")(args)
        raise AssertionError(f"unexpected token {text!r}")

    def _ref(self, text):
        sheet = self.sheet
        if "!" in text:
            name, text = text.rsplit("!", 1)
            sheet = name[1:-1].replace("''", "'") if name.startswith("'") else name
        a, _, b = text.replace("$", "").partition(":")
        if not b:
            return [self.cell(sheet, a)]
        (c1, r1), (c2, r2) = (openpyxl.utils.cell.coordinate_from_string(x) for x in (a, b))
        k1, k2 = (openpyxl.utils.column_index_from_string(c) for c in (c1, c2))
        return [self.cell(sheet, f"{openpyxl.utils.get_column_letter(k)}{r}")
                for r in range(r1, r2 + 1) for k in range(k1, k2 + 1)]

    # values
    @staticmethod
    def _num(v):
        if isinstance(v, list):
            raise AssertionError("a range used as a number")
        if v is None:
            return Decimal(0)
        assert isinstance(v, Decimal), f"{v!r} is not a number"
        return v

    @staticmethod
    def _numbers(args):
        out = []
        for a in args:
            if isinstance(a, list):              # ranges: blanks and text are ignored
                out += [v for v in a if isinstance(v, Decimal)]
            else:
                out.append(Evaluator._num(a))
        return out

    def _f_sum(self, args):
        return sum(self._numbers(args), Decimal(0))

    def _f_max(self, args):
        return max(self._numbers(args), default=Decimal(0))

    def _f_min(self, args):
        return min(self._numbers(args), default=Decimal(0))

    def _f_average(self, args):
        nums = self._numbers(args)
        assert nums, "AVERAGE of nothing (#DIV/0!)"
        return sum(nums, Decimal(0)) / len(nums)

    def _f_round(self, args):
        value, places = self._num(args[0]), int(self._num(args[1]))
        return value.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)   # halves away from zero


def test_evaluator_rounds_like_a_spreadsheet():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "S 1"
    ws["A1"], ws["A2"], ws["A3"] = 99.99, 100, -2.5
    ws["B1"] = "=ROUND(AVERAGE(A1:A2),2)"
    ws["B2"] = "=MAX(0,SUM(A1:A3)-300)"
    ws["B3"] = "=ROUND(A3/2,1)"
    ws["B4"] = "='S 1'!B1+-A3*2"
    ev = Evaluator(wb)
    assert ev.cell("S 1", "B1") == Decimal("100.00")      # 99.995 → 100.00 (a float mean says 99.99)
    assert ev.cell("S 1", "B2") == 0
    assert ev.cell("S 1", "B3") == Decimal("-1.3")        # half away from zero
    assert ev.cell("S 1", "B4") == Decimal("105.00")


# the sample company ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample():
    params = load_params(ROOT / "params")
    inputs = load_inputs(ROOT / "inputs", params.catalog, "2026Q3")
    return params, inputs


@pytest.fixture(scope="module")
def written(sample, tmp_path_factory):
    params, inputs = sample
    out = tmp_path_factory.mktemp("xlsx")
    files = {}
    for dept, period in CASES:
        s = score(params, inputs, period, dept)
        path = write_scorecards(out / period / dept / "scorecards.xlsx", s, params, period)
        files[(dept, period)] = (path, s)
    return files


def blocks(ws):
    """(label, 合计 row, item rows) of each block of a person sheet, and the total cell."""
    out, label, items, in_table = [], None, [], False
    final = None
    for row in range(1, ws.max_row + 1):
        a = ws.cell(row, 1).value
        if isinstance(a, str) and re.fullmatch(r"\d{4}(-\d{2}|Q\d) (月度|季度)考核", a):
            label = a.split()[0]
        elif a == "序号":
            in_table, items = True, []
        elif a == "合计" and in_table:
            out.append((label, row, items))
            in_table, label = False, None
        elif in_table:
            items.append(row)
        elif isinstance(a, str) and " 考核得分（" in a:
            final = row
    return out, final


@pytest.mark.parametrize("dept,period", CASES)
def test_formulas_give_perfpay_totals_to_the_cent(written, dept, period):
    path, s = written[(dept, period)]
    wb = openpyxl.load_workbook(path)
    ev = Evaluator(wb)
    people = s.scores.set_index("employee_id")
    summary = wb[excel.SUMMARY_SHEET]
    assert wb.sheetnames[0] == "汇总" and len(wb.sheetnames) == len(people) + 1
    seen = set()
    for row in range(4, 4 + len(people)):
        eid = summary.cell(row, 2).value
        seen.add(eid)
        person = people.loc[eid]
        total_cell = summary.cell(row, 7)
        assert total_cell.data_type == "f", total_cell.value
        expected = Decimal(int(person["total_c"])) / 100
        got = ev.cell(summary.title, total_cell.coordinate)
        assert got == expected, f"total {period} for {eid}: got {got}, expected {expected}"
        assert summary.cell(row, 8).value == person["grade"]

        sheet = total_cell.value[1:].rsplit("!", 1)[0].strip("'").replace("''", "'")
        ws = wb[sheet]
        assert ws["B2"].value == person["name"] and ws["D2"].value == eid
        found, final = blocks(ws)
        units = s.units[s.units["employee_id"] == eid].sort_values("period", key=lambda p: p.map(Period.parse))
        explain = s.explain[(s.explain["employee_id"] == eid) & (s.explain["indicator_key"] != "total")]
        assert len(found) == len(units)
        rolled = list(units["period"]) != [period]
        for (label, total_row, items), unit in zip(found, units.itertuples()):
            assert label == (unit.period if rolled else None)
            mine = explain[explain["period"] == unit.period]
            points = [ev.cell(ws.title, f"E{r}") for r in items]
            assert sorted(points) == sorted(Decimal(int(c)) / 100 for c in mine["points_c"])
            assert ws[f"E{total_row}"].data_type == "f"
            assert ws[f"E{total_row}"].value.startswith("=MAX(0,SUM(")
            assert ev.cell(ws.title, f"E{total_row}") == Decimal(int(unit.total_c)) / 100, (eid, unit.period)
            for r in items:
                assert ws[f"E{r}"].number_format == "0.00" and ws[f"D{r}"].number_format == "0.00"
        if rolled:
            assert final is not None and ws[f"E{final}"].value.startswith("=ROUND(AVERAGE(")
            assert total_cell.value.endswith(f"!E{final}")
        else:
            assert final is None and total_cell.value.endswith(f"!E{found[0][1]}")
    assert seen == set(people.index)


def test_layout_of_a_person_sheet(written):
    path, s = written[("大客户部", "2026-07")]
    wb = openpyxl.load_workbook(path)
    assert wb.properties.creator == "perfpay"
    eid = s.scores.sort_values("employee_id")["employee_id"].iloc[0]
    person = s.scores.set_index("employee_id").loc[eid]
    ws = next(wb[n] for n in wb.sheetnames if n.startswith(eid))
    assert ws.title == f"{eid} {person['name']}"
    assert ws["A1"].value == f"{person['role']}岗位绩效考核表"
    labels = [ws.cell(r, c).value for r in range(2, 5) for c in (1, 3)]
    assert labels == ["姓名", "工号：", "岗位", "部门：", "分部", "考核期间："]
    assert ws["D4"].value.startswith("2026-07（2026-07-01～2026-07-31）")
    assert [ws.cell(5, c).value for c in range(1, 7)] == ["序号", "考核项目", "考核内容/标准", "分值", "得分", "说明"]
    assert ws.freeze_panes == "A5"
    assert ws.page_setup.orientation == "portrait" and ws.sheet_properties.pageSetUpPr.fitToPage
    column_a = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
    for text in ("合计", "等级", "考核人签名：", "被考核人签名："):
        assert text in column_a
    dates = [ws.cell(r, 4).value for r in range(1, ws.max_row + 1)]
    assert dates.count("日期：") == 2
    # the standard of 销售任务 is built from its rule, as the seed words it
    text = next(ws.cell(r, 3).value for r in range(6, 20) if str(ws.cell(r, 3).value).startswith("销售任务"))
    assert "每低于目标5%扣3分" in text and "完成率低于50%不计分" in text and "每超过目标1%加2分" in text
    grade_row = column_a.index("等级") + 1
    assert ws.cell(grade_row, 5).value == person["grade"]
    # the table and the grade row in a thin grid, nothing above or below
    total_row = column_a.index("合计") + 1
    merged = {(r, c) for m in ws.merged_cells.ranges for r, c in m.cells}
    thin = [(ws.cell(r, c).border.left.style, ws.cell(r, c).border.bottom.style) for r in range(5, total_row + 1)
            for c in range(1, 7) if (r, c) not in merged]
    assert set(thin) == {("thin", "thin")} and ws.cell(grade_row, 6).border.right.style == "thin"
    assert ws["A4"].border.left.style is None and ws.cell(grade_row + 2, 1).border.left.style is None
    assert ws["E5"].font.bold and ws["E5"].fill.fgColor.rgb.endswith("DDEBF7"), "the grid keeps a cell's other styles"


def test_standard_texts(sample):
    params, _ = sample
    names = {k: e.name for k, e in params.catalog("2026-07").events.items()}

    def text(card, key, period="2026-07"):
        c = params.card(card, period)
        return standard_text(c.indicator(key), c, names)

    assert text("service_supervisor", "expense_budget", "2026Q3") == (
        "目标：个人目标（目标表）；不超过目标得满分；每超出目标1%扣2分；超出目标5%以上（不含）不得分")
    assert text("service_supervisor", "response_time", "2026Q3") == "响应超时投诉每次扣5分；累计3次及以上不得分；扣完为止"
    assert text("service_supervisor", "valid_complaints", "2026Q3") == "有效投诉每次扣5分；累计超过3次不得分；扣完为止"
    assert text("service_agent", "answer_rate") == "目标95%；每低于目标1个百分点扣1分；低于80%不计分"
    assert text("bd_merchant", "merchant_visits") == "每商家计0.4分；最高40分"
    assert text("bd_merchant", "meeting_conduct") == (
        "会议迟到每次扣2分；会议违规每次扣2分；会议无故缺席每次本项记-10分（倒扣）；扣完为止")
    assert text("bd_merchant", "merchant_certification_rate") == "目标98%，按完成比例得分；得分 = 20 × 实际 ÷ 目标，超额不加分"
    assert text("ka_manager", "new_customers") == "新客户每次加5分；加分不设上限"
    assert text("service_agent", "initiative").endswith("评分人：本人15%、上级60%、小组25%")
    assert text("bd_merchant", "special_contribution") == "视情况加扣分，范围 -5～+5 分；须注明原因并经批准"
    assert text("service_agent", "satisfaction") == "评分（满分5分）÷ 5 × 10分"


def test_sheet_names_are_safe_short_and_unique():
    assert sheet_name("E001", "张三") == "E001 张三"
    assert sheet_name("E1", "a[b]c:d*e?f/g\\h'i") == "E1 a_b_c_d_e_f_g_h_i"
    long = sheet_name("E0001", "很" * 40)
    assert len(long) == 31 and long.startswith("E0001 很")
    assert sheet_name("E001", "张三", {"e001 张三"}) == "E001 张三~2"
    assert len(sheet_name("E0001", "很" * 40, {long})) == 31


# made-up people: formula-looking names, a total floored at 0, a half-up mean -----------------
LEAD = {"employee_id": "H003", "name": "郑组长", "department": "BD组", "branch": "总部",
        "role": "BD商家维护组", "hire_date": "2018-01-01"}
TRICKY = {"E1": "=1+2", "E2": "@SUM(A1)", "E3": "+cmd|' /C calc'!A0", "E4": "-2+3"}


def merchant(eid, name, hire="2020-01-01"):
    return {"employee_id": eid, "name": name, "department": "BD组", "branch": "总部",
            "role": "BD商家维护组", "hire_date": hire, "manager_id": "H003"}


def month_rows(eid, month, visits=100):
    acts = {"merchant_visits": visits, "merchant_certification_rate": 98,
            "merchant_revival_rate": 90, "merchant_satisfaction": 10}
    return [{"period": month, "employee_id": eid, "indicator": k, "actual": v} for k, v in acts.items()]


@pytest.fixture(scope="module")
def made_up(tmp_path_factory):
    params = load_params(ROOT / "params")
    folder = tmp_path_factory.mktemp("in")
    actuals, adjustments, events = [], [], []
    for eid in ("H003", "E3", "E4"):
        for m in ("2026-07", "2026-08", "2026-09"):
            actuals += month_rows(eid, m)
    # E1 hired 10 August: 100.00 and 99.99 → mean 99.995 → 100.00 (half-up; a float mean is 99.99)
    actuals += month_rows("E1", "2026-08") + month_rows("E1", "2026-09")
    adjustments.append({"period": "2026-09", "employee_id": "E1", "indicator": "special_contribution",
                        "points": "-0.01", "reason": "=HYPERLINK(\"http://x\",\"y\")", "approved_by": "H003"})
    # E2 in July: no results, two meetings missed (−10 each, 倒扣) and −5: the sum is −9, the total 0
    actuals += month_rows("E2", "2026-08") + month_rows("E2", "2026-09")
    events.append({"date": "2026-07-15", "employee_id": "E2", "event": "meeting_absence", "count": 2,
                   "note": "=1+1"})
    adjustments.append({"period": "2026-07", "employee_id": "E2", "indicator": "special_contribution",
                        "points": "-5", "reason": "@bad", "approved_by": "H003"})
    roster = [LEAD, merchant("E1", TRICKY["E1"], hire="2026-08-10"), merchant("E2", TRICKY["E2"]),
              merchant("E3", TRICKY["E3"]), merchant("E4", TRICKY["E4"])]
    write_tables(folder, {"roster": roster, "actuals": actuals, "adjustments": adjustments,
                          "events": events})
    out = {}
    for period in ("2026-07", "2026Q3"):
        inputs = load_inputs(folder, params.catalog, period)
        assert not inputs.report.has_errors, inputs.report.format()
        s = score(params, inputs, period)
        path = write_scorecards(tmp_path_factory.mktemp("out") / "scorecards.xlsx", s, params, period)
        out[period] = (path, s)
    return out


def test_formula_looking_text_stays_text(made_up):
    path, s = made_up["2026Q3"]
    wb = openpyxl.load_workbook(path)
    summary = wb["汇总"]
    names = {summary.cell(r, 2).value: summary.cell(r, 3) for r in range(4, 4 + len(s.scores))}
    for eid, name in TRICKY.items():
        cell = names[eid]
        assert cell.value == name and cell.data_type == "s", (eid, cell.value, cell.data_type)
        ws = wb[sheet_name(eid, name)]
        assert ws["B2"].value == name and ws["B2"].data_type == "s"
    formulas = [c for ws in wb for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas and all(re.fullmatch(r"=(MAX\(0,SUM\(|SUM\(|ROUND\(AVERAGE\(|'[^']+'!E)[^\"@|]*", c.value)
                            for c in formulas), [c.value for c in formulas][:5]
    # a note that starts with '-' (an adjustment) or holds a formula is text
    notes = [c for ws in wb for row in ws.iter_rows(min_col=6, max_col=6) for c in row
             if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert notes and all(c.data_type == "s" for c in notes)
    assert any("HYPERLINK" in c.value for c in notes)


def test_floor_zero_and_half_up_mean_in_the_sheet(made_up):
    for period, path_s in made_up.items():
        path, s = path_s
        wb = openpyxl.load_workbook(path)
        ev = Evaluator(wb)
        summary = wb["汇总"]
        totals = {summary.cell(r, 2).value: ev.cell("汇总", f"G{r}") for r in range(4, 4 + len(s.scores))}
        expected = {e: Decimal(int(c)) / 100 for e, c in zip(s.scores["employee_id"], s.scores["total_c"])}
        assert totals == expected
    q3 = {e: Decimal(int(c)) / 100 for e, c in zip(made_up["2026Q3"][1].scores["employee_id"],
                                                   made_up["2026Q3"][1].scores["total_c"])}
    assert q3["E1"] == Decimal("100.00")                  # (100 + 99.99) / 2 = 99.995 → 100.00
    july = made_up["2026-07"][1]
    e2 = july.explain[(july.explain["employee_id"] == "E2") & (july.explain["indicator_key"] != "total")]
    assert e2["points_c"].sum() < 0                        # the sum is negative ...
    assert dict(zip(july.scores["employee_id"], july.scores["total_c"]))["E2"] == 0   # ... the total 0
    assert q3["E2"] == Decimal("66.67")                    # (0 + 100 + 100) / 3


def test_writes_atomically(made_up, tmp_path, monkeypatch):
    path, s = made_up["2026-07"]
    params = load_params(ROOT / "params")
    target = tmp_path / "scorecards.xlsx"
    target.write_bytes(b"old")

    def boom(self):                         # the zip begun, then the disk is full
        self._archive.writestr("partial", b"partial")
        self._archive.close()
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.writer.excel.ExcelWriter, "save", boom)
    with pytest.raises(OSError):
        write_scorecards(target, s, params, "2026-07")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scorecards.xlsx"]


def test_wrong_period_is_refused(made_up):
    _, s = made_up["2026-07"]
    with pytest.raises(ValueError, match="2026-07"):
        excel.scorecards_workbook(s, load_params(ROOT / "params"), "2026Q3")


# payroll -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def paid(sample):
    params, inputs = sample
    return {period: pay(params, inputs, period) for period in ("2026-07", "2026Q3")}


def _sum(table, column, where=None) -> Decimal:
    if table is None or column not in table:
        return Decimal("0.00")
    rows = table if where is None else table[where(table)]
    return sum((Decimal(str(v)) for v in rows[column] if v is not None and not pd.isna(v)), Decimal("0.00"))


@pytest.mark.parametrize("period", ["2026-07", "2026Q3"])
@pytest.mark.parametrize("dept", ["大客户部", "客户服务部"])
def test_payroll_totals_equal_the_pay_tables(paid, dept, period, tmp_path):
    result = paid[period]
    path = write_payroll(tmp_path / "payroll.xlsx", result, dept, period)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["工资单"] and wb.properties.creator == "perfpay"
    ws = wb["工资单"]
    ev = Evaluator(wb)
    headers = [c.value for c in ws[4]]
    assert headers[:8] == ["工号", "姓名", "月度绩效奖金", "季度提成", "扣发", "浮动工资", "奖励", "合计"]
    assert ws.freeze_panes == "C5" and ws.page_setup.orientation == "landscape"
    t = result.tables.get(dept, {})
    bonus = _sum(t.get("bonus.csv"), "bonus")
    comm = _sum(t.get("commission.csv"), "bonus")
    withheld = _sum(t.get("commission.csv"), "withheld")
    floating = _sum(t.get("commission.csv"), "floating_wage_amount")
    awards = _sum(t.get("awards.csv"), "award", lambda f: f["kind"] == "quarterly_award")
    total_row = next(r for r in range(5, ws.max_row + 1) if ws.cell(r, 1).value == "合计")
    got = [ev.cell("工资单", f"{col}{total_row}") for col in "CDEFGH"]
    assert got == [bonus, comm, withheld, floating, awards, bonus + comm - withheld + floating + awards]
    people = payroll_table(result, dept)
    assert total_row == 5 + max(len(people), 1)
    if (dept, period) != ("客户服务部", "2026-07"):     # no award is paid for a single month
        assert len(people) and bonus + comm + awards > 0
    for r, person in zip(range(5, total_row), people.itertuples()):
        assert ws.cell(r, 1).value == person.employee_id
        assert ws.cell(r, 8).data_type == "f"
        expected = (person.monthly_bonus + person.commission - person.withheld + person.floating_wage
                    + person.awards)
        assert ev.cell("工资单", f"H{r}") == expected
        for c in range(3, 9):
            assert ws.cell(r, c).number_format == "#,##0.00"


def test_payroll_of_a_made_up_result(tmp_path):
    # two months of bonus, one quarter of commission with a withheld amount, an award
    r = PayResult(Period.parse("2026Q3"))
    r.add("大客户部", "bonus.csv", pd.DataFrame({
        "period": ["2026-07", "2026-08", "2026-07"], "employee_id": ["E1", "E1", "E2"],
        "name": ["=1+2", "=1+2", "@x"], "bonus": [Decimal("4450.00"), Decimal("0.01"), None],
        "note": ["", "", "no monthly bonus base (月度绩效奖金) in the roster: add it to pay the bonus"]}))
    r.add("大客户部", "commission.csv", pd.DataFrame({
        "quarter": ["2026Q3", "2026Q3"], "employee_id": ["E1", "E3"], "name": ["=1+2", "-3"],
        "bonus": [Decimal("10701.45"), Decimal("0.00")], "withheld": [Decimal("0.00"), Decimal("600.00")],
        "floating_wage_paid": [True, False], "floating_wage_amount": [3000, 0]}))
    r.add("大客户部", "awards.csv", pd.DataFrame({
        "kind": ["quarterly_award", "bottom_three"], "period": ["2026Q3", "2026-07"],
        "employee_id": ["E3", "E1"], "name": ["-3", "=1+2"], "rank": [1, 9],
        "award": [Decimal("500.00"), None]}))
    table = payroll_table(r, "大客户部").set_index("employee_id")
    assert table.loc["E1", "monthly_bonus"] == Decimal("4450.01")
    assert table.loc["E1", "floating_wage"] == Decimal("3000.00")
    assert table.loc["E3", "awards"] == Decimal("500.00") and table.loc["E3", "withheld"] == Decimal("600.00")
    assert "no monthly bonus base" in table.loc["E2", "notes"]
    path = write_payroll(tmp_path / "p.xlsx", r, "大客户部", "2026Q3")
    wb = openpyxl.load_workbook(path)
    ws = wb["工资单"]
    ev = Evaluator(wb)
    rows = {ws.cell(i, 1).value: i for i in range(5, 8)}
    assert ws.cell(rows["E1"], 2).value == "=1+2" and ws.cell(rows["E1"], 2).data_type == "s"
    assert ws.cell(rows["E3"], 2).value == "-3" and ws.cell(rows["E3"], 2).data_type == "s"
    assert ws.cell(rows["E2"], 2).value == "@x" and ws.cell(rows["E2"], 2).data_type == "s"
    assert ev.cell("工资单", f"H{rows['E1']}") == Decimal("18151.46")
    assert ev.cell("工资单", f"H{rows['E3']}") == Decimal("-100.00")
    assert ev.cell("工资单", "H8") == Decimal("18051.46")
    with pytest.raises(ValueError, match="2026Q3"):
        write_payroll(tmp_path / "q.xlsx", r, "大客户部", "2026-07")


def test_payroll_of_a_department_without_pay(tmp_path):
    r = PayResult(Period.parse("2026-07"))
    wb = openpyxl.load_workbook(write_payroll(tmp_path / "p.xlsx", r, "BD组", "2026-07"))
    ws = wb["工资单"]
    assert ws["A5"].value == "本期无绩效工资记录"
    assert Evaluator(wb).cell("工资单", "H6") == 0


# a real spreadsheet, when there is one -------------------------------------------------------
def _soffice():
    return shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(_soffice() is None, reason="LibreOffice not installed (optional: apt-get install "
                                                  "libreoffice-calc); the Python evaluation above is the check")
def test_libreoffice_recalculates_the_same_numbers(written, made_up, paid, tmp_path):
    files = {"dk": written[("大客户部", "2026Q3")], "cs": written[("客户服务部", "2026Q3")],
             "mu": made_up["2026Q3"]}
    src = tmp_path / "src"
    src.mkdir()
    for key, (path, _) in files.items():
        shutil.copy(path, src / f"{key}.xlsx")
    write_payroll(src / "pay.xlsx", paid["2026Q3"], "大客户部", "2026Q3")
    out = tmp_path / "out"
    env = {**os.environ, "HOME": str(tmp_path)}
    subprocess.run([_soffice(), "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx", "--outdir", str(out), *sorted(map(str, src.glob("*.xlsx")))],
                   check=True, capture_output=True, timeout=300, env=env)
    for key, (_, s) in files.items():
        ws = openpyxl.load_workbook(out / f"{key}.xlsx", data_only=True)["汇总"]
        got = {ws.cell(r, 2).value: Decimal(repr(ws.cell(r, 7).value)).quantize(CENT)
               for r in range(4, 4 + len(s.scores))}
        expected = {e: Decimal(int(c)) / 100 for e, c in zip(s.scores["employee_id"], s.scores["total_c"])}
        assert got == expected, key
    ws = openpyxl.load_workbook(out / "pay.xlsx", data_only=True)["工资单"]
    wanted = openpyxl.load_workbook(src / "pay.xlsx")
    ev = Evaluator(wanted)
    for r in range(5, ws.max_row + 1):
        if wanted["工资单"].cell(r, 8).data_type == "f":
            assert Decimal(repr(ws.cell(r, 8).value)).quantize(CENT) == ev.cell("工资单", f"H{r}")


def test_standard_follows_the_params():
    # the text is built from the card it is given: a changed penalty shows in the standard
    params = load_params(ROOT / "params")
    card = params.card("ka_manager", "2026-07")
    ind = card.indicator("sales_task")
    changed = replace(ind, rule={**ind.rule, "penalty": Decimal(4)})
    assert "每低于目标5%扣4分" in standard_text(changed, card, {})


def test_a_new_sheet_takes_its_title_as_given_and_later_titles_are_checked():
    from perfpay.report.excel import _new_sheet, _workbook

    wb = _workbook("t")
    _new_sheet(wb, "E1 张三")
    later = _new_sheet(wb, "E2 李四")
    assert wb.sheetnames == ["Sheet", "E1 张三", "E2 李四"] and later.parent is wb
    later.title = "e1 张三"                   # a clash, case aside: openpyxl numbers it, as for any sheet
    assert later.title == "e1 张三1"
