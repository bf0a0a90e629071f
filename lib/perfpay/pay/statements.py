"""Quarterly commission statements (结算单, SPEC 7): one xlsx per salesperson, for that person to read.

Three sheets: 「结算单」 the quarter's amounts, each beside its rule and the ledger's formula,
with the ledger before (期初) and after (期末); 「回款明细」 every deal line, credited or not, with
live SUM totals; 「台账」 the ledger rows of every quarter up to this one.

Money goes in as numbers (Decimal yuan, two places) formatted '#,##0.00'. Text from the
inputs is always written as text: a name such as '=HYPERLINK(...)' is shown, never run.
Each file is written to a temporary file beside it and renamed into place, so a statement
on disk is always whole.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..output import new_file_mode
from ..periods import Period
from ..xlsx import display_width, merge, save, workbook

TITLE = "大客户部销售人员季度奖金结算单"
SHEETS = ("结算单", "回款明细", "台账")
MONEY_FORMAT = "#,##0.00"
SHARE_FORMAT = "0.00%"
COEF_FORMAT = "0.00##"
DATE_FORMAT = "yyyy-mm-dd"
EXTRA_KEYS = ("floating_wage_amount", "fixed_wage", "kpi_score", "notes")

REVENUE_TYPES = {"software": "软件", "implementation": "实施", "secondary_dev": "二次开发",
                 "maintenance": "维护", "training": "培训"}
STREAMS = {"task": "任务", "service": "服务", "excluded": "不计入"}

# 「回款明细」: (header, lines column, kind); kinds: date, text, money, share
LINE_COLUMNS = [
    ("日期", "date", "date"), ("项目编号", "deal_id", "text"), ("CRM编号", "crm_id", "text"),
    ("收入类型", "revenue_type", "revenue_type"), ("税后净额", "amount", "money"),
    ("成本", "cost", "money"), ("标准报价", "standard_quote", "money"), ("贡献比例", "share", "share"),
    ("计入", "stream", "stream"), ("计入金额", "credited", "money"),
    ("划拨实施费", "reclassified", "money"), ("规则", "rule", "text"), ("公式", "formula", "text"),
    ("不计入原因", "reason", "text"), ("来源", "_file", "source"),
]
LINE_SUMS = ("amount", "cost", "credited", "reclassified")
LINE_WRAP = ("rule", "formula", "reason")

# 「台账」: (header, ledger column, kind)
LEDGER_COLUMNS = [
    ("季度", "quarter", "text"), ("工号", "employee_id", "text"), ("计入任务额", "credited", "money"),
    ("上季结转", "carry_in", "money"), ("完成额X", "X", "money"), ("任务基数B", "base", "money"),
    ("任务目标T", "target", "money"), ("情形", "case", "case"), ("计提奖金", "commission", "money"),
    ("补发奖金", "backpay", "money"), ("维护/培训提成", "service_commission", "money"),
    ("KPI系数", "kpi_coefficient", "coef"), ("实发奖金", "bonus", "money"),
    ("浮动工资", "floating_wage_paid", "yesno"), ("扣发固定工资", "withheld", "money"),
    ("待补基数余额", "shortfall_after", "money"), ("结转下季", "carry_out", "money"),
    ("公式", "formula", "text"), ("补足明细", "filled", "text"),
]

GLOSSARY = ("公式列为台账计算过程原文 (English): case = 情形, base = 基数B, target = 目标T, "
            "shortfall = 待补基数, back-pay = 补发, service = 维护/培训提成, carry = 结转, "
            "withheld = 扣发, floating wage = 浮动工资, bonus = 实发奖金")

_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=14)
_NOTE_FONT = Font(size=9, color="666666")
_WARN_FONT = Font(bold=True, color="C00000")
_GREY_FONT = Font(color="808080", italic=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
_GREY_FILL = PatternFill("solid", fgColor="EDEDED")
_CURRENT_FILL = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")
_TOP = Alignment(vertical="top")
_TITLE_ALIGN = Alignment(horizontal="center", vertical="center")
_HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
_RISKY = ("=", "+", "-", "@", "\t", "\r", "\n")
_SAFE_ID = re.compile(r"\w[\w.\-]*")
_NO_LINES = pd.DataFrame(columns=[c for _, c, _ in LINE_COLUMNS])


# public API ---------------------------------------------------------------------------------
def write_statement(path, person: dict, quarter: str, lines: pd.DataFrame, ledger: pd.DataFrame,
                    extra: dict | None = None, *, params=None) -> Path:
    """Write one salesperson's statement of `quarter` to `path` (.xlsx), atomically.

    person: employee_id, name, department, branch, role. lines: the person's credit lines
    of the quarter (the crediting table; rows of other people or quarters are left out).
    ledger: the person's ledger table (`run_ledger`) for every quarter up to `quarter`.
    extra: floating_wage_amount, fixed_wage, kpi_score, notes (list of text), all optional.
    params: the quarter's `LedgerParams`, to print the rates and amounts in the rules.
    """
    wb = statement_workbook(person, quarter, lines, ledger, extra, params=params)
    return _save_atomic(wb, Path(path))


def write_statements(folder, people: pd.DataFrame, quarter: str, lines: pd.DataFrame,
                     ledger: pd.DataFrame, extras: dict | None = None, *, params=None) -> list[Path]:
    """Everyone's statement: `folder/statements/<employee_id>.xlsx`, one per row of `people`.

    `lines` and `ledger` hold everybody; `extras` maps employee_id → extra (see
    write_statement). Every person is checked before any file is written.
    """
    q = _quarter(quarter)
    ids = [_text(v) or "" for v in people["employee_id"]] if "employee_id" in people else []
    problems = [] if "employee_id" in people else ["people: column 'employee_id' missing"]
    seen = set()
    for eid in ids:
        if not _SAFE_ID.fullmatch(eid):
            problems.append(f"employee_id {eid!r} cannot be a file name: "
                            "use letters, digits, '_', '-' or '.'")
        if eid in seen:
            problems.append(f"employee_id {eid!r} appears more than once in people")
        seen.add(eid)
    in_ledger = set()
    if {"employee_id", "quarter"} <= set(ledger.columns):
        now = ledger[[Period.parse(v) == q for v in ledger["quarter"]]]
        in_ledger = {_text(v) for v in now["employee_id"]}
    missing = [eid for eid in ids if eid and eid not in in_ledger]
    if missing:
        problems.append(f"no ledger row in {q.label} for {', '.join(missing)}: pass only the people "
                        "of the ledger (people[people.employee_id.isin(ledger.employee_id)])")
    unknown = sorted(set(extras or {}) - seen)
    if unknown:
        problems.append(f"extras for people not in people: {', '.join(map(str, unknown))}")
    if problems:
        raise ValueError(f"statements {q.label}: " + "; ".join(problems))

    lines_by = _by_person(lines)
    ledger_by = _by_person(ledger)
    out_dir = Path(folder) / "statements"
    paths = []
    for eid, (_, row) in zip(ids, people.iterrows()):
        person = {k: row[k] for k in people.columns}
        paths.append(write_statement(
            out_dir / f"{eid}.xlsx", person, q.label, lines_by.get(eid, _NO_LINES),
            ledger_by[eid], (extras or {}).get(eid), params=params))
    return paths


def statement_workbook(person: dict, quarter: str, lines: pd.DataFrame, ledger: pd.DataFrame,
                       extra: dict | None = None, *, params=None) -> Workbook:
    """The statement as an openpyxl Workbook (not saved); arguments as write_statement."""
    q = _quarter(quarter)
    eid = _text(person.get("employee_id"))
    if not eid:
        raise ValueError("person: employee_id missing")
    extra = {k: v for k, v in (extra or {}).items() if not _missing(v)}
    unknown = sorted(set(extra) - set(EXTRA_KEYS))
    if unknown:
        raise ValueError(f"extra for {eid}: unknown key(s) {', '.join(map(str, unknown))}; "
                         f"known: {', '.join(EXTRA_KEYS)}")
    history, current, previous = _ledger_rows(ledger, eid, q)
    lines = _person_lines(lines, eid, q)

    wb = workbook()
    wb.properties.creator = "perfpay"
    wb.properties.lastModifiedBy = "perfpay"
    wb.properties.title = f"{TITLE} {q.label} {eid}"
    wb.properties.subject = "大客户部销售人员绩效考核办法 (SPEC 7)"
    wb.calculation.fullCalcOnLoad = True          # the SUM cells are computed when the file opens
    summary = wb.active
    summary.title = SHEETS[0]
    _summary_sheet(summary, person, q, lines, current, previous, extra, _Rules(params))
    _lines_sheet(wb.create_sheet(SHEETS[1]), lines)
    _ledger_sheet(wb.create_sheet(SHEETS[2]), history, q)
    return wb


# the three sheets ---------------------------------------------------------------------------
def _summary_sheet(ws, person, q, lines, row, before, extra, rules) -> None:
    merge(ws, 1, 1, 1, 4)
    _put(ws, 1, 1, f"{TITLE} {q.label}", font=_TITLE_FONT)
    ws.cell(1, 1).alignment = _TITLE_ALIGN
    ws.row_dimensions[1].height = 24
    _put(ws, 2, 1, "金额单位：元", font=_NOTE_FONT)

    r = 3
    for label, key in (("工号", "employee_id"), ("姓名", "name"), ("部门", "department"),
                       ("分部", "branch"), ("岗位", "role")):
        _put(ws, r, 1, label, font=_BOLD)
        _put(ws, r, 2, _text(person.get(key)))
        merge(ws, r, 2, r, 4)
        r += 1
    _put(ws, r, 1, "季度", font=_BOLD)
    _put(ws, r, 2, q.label)
    merge(ws, r, 2, r, 4)

    r += 2
    _header(ws, r, ["项目", "金额", "规则", "公式"])
    parts = _formula_parts(row["formula"])
    case = _case_key(row["case"])
    reclassified = sum((_money(v) or Decimal(0) for v in lines.get("reclassified", [])), Decimal(0))
    floating = bool(row["floating_wage_paid"])
    items = [
        ("当季回款计入任务额", row["credited"], "money", rules.credited, ""),
        ("其中：按标准报价划拨实施费", reclassified, "money", rules.reclassified, ""),
        ("上季结转", row["carry_in"], "money", rules.carry_in, ""),
        ("当季实际完成额 X", row["X"], "money", rules.x, parts.get("X", "")),
        ("任务基数 B", row["base"], "money", rules.base, ""),
        ("任务目标 T", row["target"], "money", rules.target, ""),
        ("适用情形", rules.case_name(case), "text", rules.case_text(case), ""),
        ("计提奖金", row["commission"], "money", rules.commission(case), parts.get("commission", "")),
        ("补发奖金", row["backpay"], "money", rules.backpay, parts.get("backpay", "")),
        ("维护/培训提成", row["service_commission"], "money", rules.service,
         parts.get("service_commission", "")),
    ]
    if extra.get("kpi_score") is not None:
        items.append(("大客户专员季度考核得分", extra["kpi_score"], "coef", "季度考核表总分", ""))
    items += [
        ("KPI系数", row["kpi_coefficient"], "coef", rules.kpi, ""),
        ("实发奖金", row["bonus"], "money", rules.bonus, parts.get("bonus", "")),
        ("浮动工资", "发放" if floating else "不发放", "text", rules.floating(person),
         parts.get("floating", "")),
    ]
    if extra.get("floating_wage_amount") is not None:
        amount = _money(extra["floating_wage_amount"])
        items.append(("浮动工资金额", amount if floating else Decimal("0.00"), "money",
                      f"浮动工资标准 {_yuan_text(amount)} 元" + ("" if floating else "，本季不发放"), ""))
    if extra.get("fixed_wage") is not None:
        fixed = _money(extra["fixed_wage"])
        items.append(("固定工资", fixed, "money", "当季固定工资标准", ""))
    items.append(("扣发固定工资", row["withheld"], "money", rules.withheld, parts.get("withheld", "")))
    if extra.get("fixed_wage") is not None:
        items.append(("扣发后固定工资", fixed - _money(row["withheld"]), "money", "固定工资 − 扣发固定工资", ""))
    items += [
        ("待补基数余额", row["shortfall_after"], "money", rules.shortfall, parts.get("shortfall_after", "")),
        ("结转下季", row["carry_out"], "money", rules.carry_out, parts.get("carry_out", "")),
    ]
    for label, value, kind, rule, formula in items:
        r += 1
        _put(ws, r, 1, label, font=_BOLD)
        _put(ws, r, 2, value, kind)
        _put(ws, r, 3, rule, wrap=True)
        _put(ws, r, 4, formula, wrap=True)

    r += 2
    _header(ws, r, ["台账", "期初", "期末", "说明"])
    prev_short = before["shortfall_after"] if before is not None else Decimal("0.00")
    prev_carry = before["carry_out"] if before is not None else Decimal("0.00")
    since = f"期初 = {_text(before['quarter'])} 季末" if before is not None else "期初：此前无台账记录，按零计"
    for label, start, end in (("待补基数余额", prev_short, row["shortfall_after"]),
                              ("结转金额", prev_carry, row["carry_out"])):
        r += 1
        _put(ws, r, 1, label, font=_BOLD)
        _put(ws, r, 2, start, "money")
        _put(ws, r, 3, end, "money")
        _put(ws, r, 4, since, wrap=True)
    for label, text in (("补足明细", _text(row["filled"]) or "本季未补足待补基数"),
                        ("计算过程", _text(row["formula"]))):
        r += 1
        _put(ws, r, 1, label, font=_BOLD)
        _put(ws, r, 2, text, wrap=True)
        merge(ws, r, 2, r, 4)

    notes = [(n, None) for n in _notes(extra.get("notes"))]
    check = _task_check(lines, row["credited"])
    if check:
        notes.insert(0, (check, _WARN_FONT))
    notes.append((GLOSSARY, _NOTE_FONT))
    r += 1
    for text, font in notes:
        r += 1
        _put(ws, r, 1, "备注", font=_BOLD)
        _put(ws, r, 2, text, font=font, wrap=True)
        merge(ws, r, 2, r, 4)

    _widths(ws, {1: 26, 2: 16, 3: 48, 4: 56}, skip_rows={1})
    _heights(ws)
    _print_setup(ws)


def _lines_sheet(ws, lines: pd.DataFrame) -> None:
    _header(ws, 1, [h for h, _, _ in LINE_COLUMNS])
    col = {key: i + 1 for i, (_, key, _) in enumerate(LINE_COLUMNS)}
    r = 1
    for _, line in lines.iterrows():
        r += 1
        excluded = _text(line.get("stream")) == "excluded"
        for c, (_, key, kind) in enumerate(LINE_COLUMNS, start=1):
            value = _source(line) if kind == "source" else line.get(key)
            cell = _put(ws, r, c, value, kind, wrap=key in LINE_WRAP)
            if excluded:
                cell.font, cell.fill = _GREY_FONT, _GREY_FILL
    if r == 1:                                  # no lines: one row saying so, the sums stay valid
        r = 2
        _put(ws, r, 1, "本季无回款记录", font=_GREY_FONT)
    first, last = 2, r
    ws.auto_filter.ref = f"A1:{get_column_letter(len(LINE_COLUMNS))}{last}"

    def rng(key):
        letter = get_column_letter(col[key])
        return f"{letter}{first}:{letter}{last}"

    r += 1
    _put(ws, r, 1, "合计", font=_BOLD)
    for key in LINE_SUMS:
        _formula(ws, r, col[key], f"=SUM({rng(key)})")
    for label, stream, key in (("其中：计入任务", "任务", "credited"), ("其中：计入服务（维护/培训）", "服务", "credited"),
                               ("不计入（税后净额）", "不计入", "amount")):
        r += 1
        _put(ws, r, 1, label, font=_BOLD)
        merge(ws, r, 1, r, col["amount"] - 1)
        _formula(ws, r, col[key], f'=SUMIF({rng("stream")},"{stream}",{rng(key)})')
    for row in ws.iter_rows(min_row=last + 1, max_row=r):
        for cell in row:
            cell.fill = _SECTION_FILL
    ws.freeze_panes = "A2"
    widths = {i: 30 for i in range(1, len(LINE_COLUMNS) + 1)}
    widths.update({col[k]: 40 for k in LINE_WRAP})
    _widths(ws, widths, skip_rows=set(range(last + 1, r + 1)))
    _heights(ws)
    _print_setup(ws, title_rows="1:1")


def _ledger_sheet(ws, history: pd.DataFrame, q: Period) -> None:
    _header(ws, 1, [h for h, _, _ in LEDGER_COLUMNS])
    for r, (_, row) in enumerate(history.iterrows(), start=2):
        now = Period.parse(row["quarter"]) == q
        for c, (_, key, kind) in enumerate(LEDGER_COLUMNS, start=1):
            cell = _put(ws, r, c, row.get(key), kind, wrap=key in ("formula", "filled"))
            if now:
                cell.fill, cell.font = _CURRENT_FILL, _BOLD
    ws.freeze_panes = "C2"
    widths = {i: 30 for i in range(1, len(LEDGER_COLUMNS) + 1)}
    widths.update({len(LEDGER_COLUMNS) - 1: 60, len(LEDGER_COLUMNS): 40})
    _widths(ws, widths)
    _heights(ws)
    _print_setup(ws, title_rows="1:1")


# rules in short Chinese ----------------------------------------------------------------------
class _Rules:
    """The SPEC 7 rule beside each amount; with LedgerParams the rates and amounts are printed."""

    def __init__(self, p):
        if p is None:
            r, base, service, thr = "提成比例r", "任务基数比", "维护/培训提成比例", "全额计提线"
            withheld, weights, kpi = "规定金额", "(固定部分 + 浮动部分 × KPI系数)", "季度考核得分折算，限定在0～1之间"
        else:
            r, base, service = _pct(p.rate), _pct(p.base_ratio), _pct(p.service_rate)
            thr = _wan(p.full_threshold)
            withheld = f"{_yuan_text(Decimal(p.withholding) / 100, trim=True)}元"
            weights = f"({_pct(p.fixed_weight)} + {_pct(p.variable_weight)} × KPI系数)"
            kpi = (f"季度考核得分 ÷ {_num(p.score_divisor)}，限定在{_num(p.coefficient_min)}～"
                   f"{_num(p.coefficient_max)}之间")
        self.r, self.threshold = r, thr
        self.needs_both = True if p is None else p.manager_needs_both
        self.credited = ("仅计CRM内项目的回款税后净额，按贡献比例分摊；软件、实施计入，二次开发按毛利"
                         "（收入−成本）计入，维护/培训不计入任务；明细见「回款明细」")
        self.reclassified = f"实施低于标准报价时，差额从软件划拨为实施费，该部分按软件比例（{r}）计提"
        self.carry_in = "上季超出目标的部分转入本季核算"
        self.x = "X = 当季计入任务额 + 上季结转"
        self.base = f"B = 任务目标 × {base}"
        self.target = "季度任务目标 T"
        self.backpay = f"以前季度的待补基数被补足时，补发该季度的基数 × {r}"
        self.service = f"维护、培训收入全额按{service}计提，不计入任务、不受任务完成情况影响"
        self.kpi = f"KPI系数 = 大客户专员{kpi}"
        self.bonus = f"(计提奖金 + 补发奖金 + 维护/培训提成) × {weights}"
        self.withheld = f"完成额低于任务基数时，扣发当季固定工资{withheld}"
        self.shortfall = "低于基数的季度记入待补（基数 − 完成额）；以后季度超出基数的部分按季度先后补足"
        self.carry_out = f"完成额达到目标且低于{thr}：超出目标的部分转入下季核算"

    def case_name(self, case: str) -> str:
        return "新入职首季" if case == "new" else f"情形{case}"

    def case_text(self, case: str) -> str:
        thr = self.threshold
        return {
            "new": "新入职首季：不设任务，完成额全额计提；不发浮动工资、不扣发、不结转、不记待补",
            "1": "情形1：完成额低于任务基数，不计提奖金，扣发固定工资，差额记入待补基数",
            "2": "情形2：完成额介于基数与目标之间，无待补基数",
            "3": "情形3：完成额介于基数与目标之间，且有待补基数",
            "4": f"情形4：完成额达到目标（低于{thr}），无待补基数，超出目标部分结转下季",
            "5": f"情形5：完成额达到目标（低于{thr}），且有待补基数",
            "6": f"情形6：完成额达到{thr}及以上，全额计提，不结转",
        }.get(case, f"情形{case}")

    def commission(self, case: str) -> str:
        r = self.r
        return {
            "new": f"X × {r}",
            "1": "不计提",
            "2": f"X × {r}",
            "3": f"(max(0, E − S) + B) × {r}；E = X − B 先按季度先后补足待补基数 S",
            "4": f"T × {r}；X − T 结转下季",
            "5": f"(B + min(R, T − B)) × {r}；E = X − B 先补足待补基数 S，R = max(0, E − S)，"
                 "R 超出 T − B 的部分结转下季",
            "6": f"(X − 本季补足的待补基数) × {r}",
        }.get(case, "")

    def floating(self, person) -> str:
        text = "完成额达到任务目标才发放浮动工资"
        if self.needs_both and "经理" in (_text(person.get("role")) or ""):
            text += "；部门经理还须部门目标完成"
        return text


# values into cells ---------------------------------------------------------------------------
def _put(ws, row: int, col: int, value, kind: str = "text", *, font=None, wrap=False):
    """Write one value by kind; text is always text (never a formula), money a number."""
    cell = ws.cell(row=row, column=col)
    if kind == "money":
        cell.value = _money(value)
        cell.number_format = MONEY_FORMAT
    elif kind == "share":
        f = _fraction(value)
        cell.value = None if f is None else float(f)
        cell.number_format = SHARE_FORMAT
    elif kind == "coef":
        f = _fraction(value)
        cell.value = None if f is None else float(f)
        cell.number_format = COEF_FORMAT
    elif kind == "date":
        d = _date(value)
        if isinstance(d, date):
            cell.value = d
            cell.number_format = DATE_FORMAT
        else:
            _set_text(cell, d)
    else:
        text = {"revenue_type": lambda v: REVENUE_TYPES.get(v, v), "stream": lambda v: STREAMS.get(v, v),
                "case": lambda v: None if v is None else ("新入职" if v == "new" else v),
                "yesno": lambda v: None if v is None else ("是" if v in ("True", "true", "1") else "否"),
                }.get(kind, lambda v: v)(_text(value))
        _set_text(cell, text)
    if font is not None:
        cell.font = font
    cell.alignment = _WRAP if wrap else _TOP
    return cell


def _set_text(cell, text) -> None:
    cell.value = text
    if isinstance(text, str) and (cell.data_type == "f" or text.startswith(_RISKY)):
        cell.data_type = "s"                       # shown as typed, never evaluated
        cell.quotePrefix = True


def _formula(ws, row: int, col: int, formula: str):
    cell = ws.cell(row=row, column=col, value=formula)
    cell.number_format = MONEY_FORMAT
    cell.font = _BOLD
    return cell


def _header(ws, row: int, labels) -> None:
    for c, label in enumerate(labels, start=1):
        cell = _put(ws, row, c, label, font=_BOLD)
        cell.fill = _HEADER_FILL
        cell.alignment = _HEADER_ALIGN


def _widths(ws, caps: dict[int, int], skip_rows=frozenset()) -> None:
    """Each column as wide as its longest line (CJK counts double), at most its cap."""
    need: dict[int, int] = {}
    spanning = {(m.min_row, m.min_col) for m in ws.merged_cells.ranges if m.max_col > m.min_col}
    for row in ws.iter_rows():
        for cell in row:
            if cell.row in skip_rows or cell.value is None or (cell.row, cell.column) in spanning:
                continue
            width = max(display_width(part) for part in _shown(cell).split("\n"))
            need[cell.column] = max(need.get(cell.column, 0), width)
    for col, cap in caps.items():
        ws.column_dimensions[get_column_letter(col)].width = max(6, min(need.get(col, 0) + 2, cap))


def _heights(ws, default_width: float = 10, fill: float = 1.0, pad: int = 0) -> None:
    """Rows of wrapped text tall enough for their lines (merged cells span their columns).

    `fill`: the share of a column's width a line of text really uses; `pad`: points added.
    Each cell's alignment is read as its index among the workbook's alignments (openpyxl makes an
    object to hand back cell.alignment: a fifth of the time of a big scorecards.xlsx).
    """
    spans = {(m.min_row, m.min_col): range(m.min_col, m.max_col + 1) for m in ws.merged_cells.ranges}
    wrapped = {i for i, a in enumerate(ws.parent._alignments) if a.wrap_text}
    widths: dict[int, float] = {}

    def width(col: int) -> float:
        if col not in widths:
            widths[col] = ws.column_dimensions[get_column_letter(col)].width or default_width
        return widths[col]

    for row in ws.iter_rows():
        lines = 1
        for cell in row:
            style = cell._style
            if cell._value is None or style is None or style.alignmentId not in wrapped:
                continue
            cols = spans.get((cell.row, cell.column), (cell.column,))
            per_line = max(1, int(sum(width(c) for c in cols) * fill) - 1)
            n = sum(max(1, math.ceil(display_width(part) / per_line)) for part in str(cell._value).split("\n"))
            lines = max(lines, n)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = 15 * lines + pad


def _print_setup(ws, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


# input rows ----------------------------------------------------------------------------------
def _ledger_rows(ledger: pd.DataFrame, eid: str, q: Period):
    """(history up to q in order, the row of q, the last row before q or None)."""
    if "params" in ledger.columns:                      # exact rows carry the quarter's terms
        raise ValueError("ledger: these are the exact rows (fen); pass the statement table, "
                         "run_ledger(...) without exact=True")
    missing = [c for _, c, _ in LEDGER_COLUMNS if c not in ledger.columns]
    if missing:
        raise ValueError(f"ledger: column(s) {', '.join(missing)} missing; "
                         f"columns present: {', '.join(map(str, ledger.columns))}")
    mine = ledger[[_text(v) == eid for v in ledger["employee_id"]]]
    periods = [Period.parse(v) for v in mine["quarter"]]
    keep = [p <= q for p in periods]
    history = mine[keep].assign(_period=[p for p, k in zip(periods, keep) if k])
    history = history.sort_values("_period", kind="stable").reset_index(drop=True)
    now = history[history["_period"] == q]
    if len(now) != 1:
        found = ", ".join(sorted({p.label for p in periods})) or "none"
        raise ValueError(f"ledger: {len(now)} rows for {eid} in {q.label}, expected one; "
                         f"quarters of {eid} in the ledger: {found}")
    if history["_period"].duplicated().any():
        twice = sorted({p.label for p in history.loc[history["_period"].duplicated(), "_period"]})
        raise ValueError(f"ledger: {eid} has more than one row in {', '.join(twice)}")
    earlier = history[history["_period"] < q]
    before = earlier.iloc[-1] if len(earlier) else None
    return history.drop(columns="_period"), now.iloc[0], before


def _person_lines(lines: pd.DataFrame | None, eid: str, q: Period) -> pd.DataFrame:
    if lines is None:
        return _NO_LINES
    out = lines
    if "employee_id" in out.columns:
        out = out[[_text(v) == eid for v in out["employee_id"]]]
    if "quarter" in out.columns:
        out = out[[v is None or v != v or Period.parse(v) == q for v in out["quarter"]]]
    return out.reset_index(drop=True)


def _by_person(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if frame is None or "employee_id" not in frame.columns or frame.empty:
        return {}
    key = frame["employee_id"].map(lambda v: _text(v) or "")
    return {eid: part for eid, part in frame.groupby(key.to_numpy(), sort=False)}


def _formula_parts(formula) -> dict[str, str]:
    """The ledger's formula text split into the parts that explain each amount."""
    parts: dict[str, list[str]] = {}
    for part in (_text(formula) or "").split("; "):
        if not part:
            continue
        if part.startswith("X = "):
            key = "X"
        elif part.startswith("back-pay"):
            key = "backpay"
        elif part.startswith("service "):
            key = "service_commission"
        elif part.startswith("bonus "):
            key = "bonus"
        elif "floating wage" in part:
            key = "floating"
        elif part.endswith(" withheld"):
            key = "withheld"
        elif "paid out" in part:
            key = "commission"                   # carry paid out is commissioned
        elif part.startswith("shortfall ") or ("shortfall" in part and "lapses" in part):
            key = "shortfall_after"
        elif part.startswith("carry ") or part == "no carry" or ("carry" in part and "lapses" in part):
            key = "carry_out"
        else:                                    # case N / new hire, and anything unforeseen
            key = "commission"
        parts.setdefault(key, []).append(part)
    return {k: "; ".join(v) for k, v in parts.items()}


def _task_check(lines: pd.DataFrame, credited) -> str:
    """A warning when the lines credited to the task do not add up to the ledger's credited."""
    if "stream" not in lines.columns or "credited" not in lines.columns:
        total = Decimal(0)
    else:
        total = sum((_money(v) or Decimal(0) for s, v in zip(lines["stream"], lines["credited"])
                     if _text(s) == "task"), Decimal(0))
    ledger = _money(credited) or Decimal(0)
    if total == ledger:
        return ""
    return (f"注意：「回款明细」计入任务额合计 {_yuan_text(total)} 元与台账当季计入任务额 "
            f"{_yuan_text(ledger)} 元不一致，请核对。")


def _notes(notes) -> list[str]:
    if notes is None:
        return []
    if isinstance(notes, str):
        return [notes]
    return [t for t in (_text(n) for n in notes) if t]


def _source(line) -> str | None:
    file, row = _text(line.get("_file")), _text(line.get("_row"))
    if not file:
        return None
    return f"{Path(file).name} 第{row}行" if row else Path(file).name


# value conversion ----------------------------------------------------------------------------
def _missing(value) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and value != value


def _text(value) -> str | None:
    """Any value as text for a cell ('' and missing → None); characters xlsx cannot hold → '\ufffd'."""
    if _missing(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    return text or None


def _fraction(value) -> Fraction | None:
    if _missing(value):
        return None
    if isinstance(value, bool):
        raise TypeError(f"{value!r} is not a number")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, Decimal):
        return Fraction(value) if value.is_finite() else None
    try:
        return Fraction(Decimal(str(value).strip().replace(",", "")))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{value!r} is not a number") from exc


def _money(value) -> Decimal | None:
    """Any amount in yuan as a Decimal with two places, halves up."""
    f = _fraction(value)
    if f is None:
        return None
    return (Decimal(f.numerator) / Decimal(f.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP) \
        if f.denominator != 1 else Decimal(f.numerator).quantize(Decimal("0.01"))


def _decimal(f: Fraction) -> Decimal:
    return Decimal(f.numerator) / Decimal(f.denominator)


def _date(value):
    if _missing(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10]) if re.fullmatch(r"\d{4}-\d{2}-\d{2}([ T].*)?", text) else text
    except ValueError:
        return text


def _case_key(case) -> str:
    text = _text(case) or ""
    return text[:-2] if text.endswith(".0") else text


def _quarter(label) -> Period:
    q = Period.parse(label)
    if q.unit != "quarter":
        raise ValueError(f"a statement is for a quarter such as 2026Q3, got {label!r}")
    return q


def _yuan_text(amount, trim: bool = False) -> str:
    """'3,000.00', or with trim '3,000' (cents kept when there are any)."""
    text = f"{_money(amount) or Decimal(0):,.2f}"
    return text[:-3] if trim and text.endswith(".00") else text


def _num(value) -> str:
    return format(_decimal(Fraction(value)).normalize(), "f")


def _pct(value) -> str:
    return _num(Fraction(value) * 100) + "%"


def _wan(fen: int) -> str:
    """Fen → '30万元' (or '12,345.67元')."""
    if fen % 1_000_000 == 0:
        return f"{fen // 1_000_000}万元"
    return f"{_yuan_text(Decimal(fen) / 100, trim=True)}元"


def _shown(cell) -> str:
    v = cell.value
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        if cell.number_format == MONEY_FORMAT:
            return f"{v:,.2f}"
        if cell.number_format == SHARE_FORMAT:
            return f"{float(v):.2%}"
    if isinstance(v, date):
        return "2026-01-01"
    return str(v)


# writing -------------------------------------------------------------------------------------
def _save_atomic(wb: Workbook, path: Path) -> Path:
    """Save to a temporary file in the target folder, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        save(wb, tmp)
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
