"""Excel workbooks to read, print and sign: `scorecards.xlsx` and `payroll.xlsx` of one department.

scorecards.xlsx: a first sheet 「汇总」 lists everyone with total (a formula pointing at the
person's sheet), grade and rank; then one sheet per person laid out like the seed's
岗位绩效考核表: title, 姓名/工号/岗位/部门/考核期间, the table 序号 | 考核项目 | 考核内容/标准 |
分值 | 得分 | 说明, 合计 as a live formula, 等级, and lines for the signatures.

A scored unit (a month of a monthly card, a quarter of a quarterly card) is one block with its
own 合计 = MAX(0, SUM(得分)) (the total's floor of 0, SPEC 3.3). A longer period (a quarter of
a monthly card, a year of a quarterly one) shows one block per unit in which the person was
scored, then 考核期得分 = ROUND(AVERAGE(the blocks' 合计), 2): the mean perfpay takes, rounded
half-up (Excel's ROUND rounds halves away from zero; totals are never negative). Every point
in the sheet is perfpay's own number, so the formulas give perfpay's totals to the cent.

payroll.xlsx: one sheet 「工资单」, one row per person with the pay of the period and 合计 as a
live formula, and a totals row of SUM formulas.

Text from the inputs (names, notes) is always written as text: a name such as '=1+1' is
shown, never run. Files are written to a temporary file beside the target and renamed into
place (see pay/statements.py, whose cell helpers are reused here).
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from ..cards import Indicator
from ..distinct import key_blocks
from ..exact import CENT
from ..periods import Period
from ..xlsx import display_width, merge, workbook
from ..pay.statements import MONEY_FORMAT, _heights, _money, _put, _save_atomic, _text

POINTS_FORMAT = "0.00"
TITLE_SUFFIX = "岗位绩效考核表"
SUMMARY_SHEET = "汇总"
PAYROLL_SHEET = "工资单"
CREATOR = "perfpay"

CARD_HEADERS = ["序号", "考核项目", "考核内容/标准", "分值", "得分", "说明"]
CARD_WIDTHS = {1: 7, 2: 14, 3: 46, 4: 9, 5: 9, 6: 46}
HEAD_ROWS = 4                       # title and the person's details, frozen and printed on every page
COL_MAX, COL_POINTS = 4, 5          # 分值 (D), 得分 (E)

PAYROLL_COLUMNS = [   # (header, key); 合计 = + every amount, − 扣发
    ("月度绩效奖金", "monthly_bonus"), ("季度提成", "commission"), ("扣发", "withheld"),
    ("浮动工资", "floating_wage"), ("奖励", "awards"), ("年度绩效工资", "pool"),
]
PAYROLL_SIGN = {"withheld": "-"}

UNIT_TEXT = {"percent": "%", "count": "个", "yuan": "元", "seconds": "秒"}
ROLE_CN = {"self": "本人", "superior": "上级", "peer": "小组"}

SHEET_SECONDS = 0.015               # a person's sheet takes about this to lay out and save here: orders the work

_BOLD = Font(bold=True)
_TITLE_FONT = Font(bold=True, size=16)
_NOTE_FONT = Font(size=9, color="666666")
_LINK_FONT = Font(color="0563C1", underline="single")
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_BLOCK_FILL = PatternFill("solid", fgColor="F2F2F2")
_TOTAL_FILL = PatternFill("solid", fgColor="FFF2CC")
_FLAG_FILL = PatternFill("solid", fgColor="FCE4D6")
_THIN = Side(style="thin", color="808080")
_GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_SIGN_LINE = Border(bottom=Side(style="thin", color="000000"))
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_RIGHT_TOP = Alignment(horizontal="right", vertical="top")
_RIGHT_MIDDLE = Alignment(horizontal="right", vertical="center")
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\']")


# scorecards ---------------------------------------------------------------------------------
def write_scorecards(path, scores, params, period) -> Path:
    """Write `scorecards.xlsx` of `scores` (one department, one period) to `path`, atomically.

    scores: `perfpay.scorecard.score(params, inputs, period, department)`.
    params: the Params the scores came from (for the standards text of each indicator).
    """
    return _save_atomic(scorecards_workbook(scores, params, period), Path(path))


def scorecards_workbook(scores, params, period) -> Workbook:
    """The scorecards as an openpyxl Workbook (not saved); arguments as write_scorecards."""
    period = Period.parse(period)
    if Period.parse(scores.period) != period:
        raise ValueError(f"scores are for {Period.parse(scores.period).label}, not {period.label}")
    wb = _workbook(f"{TITLE_SUFFIX} {period.label}")
    summary = wb.active
    summary.title = SUMMARY_SHEET
    people = _people(scores)
    explain = scores.explain
    units = scores.units
    names = SheetNames({SUMMARY_SHEET})
    order, blocks = key_blocks(explain, ["employee_id", "card"])
    records = list(explain.take(order).itertuples(index=False))      # each person's rows: records[a:b]
    grades: dict = {}
    for who, card, label, grade in zip(units["employee_id"], units["card"], units["period"], units["grade"]):
        grades.setdefault((who, card), {})[label] = grade
    standards: dict = {}        # (card, unit) -> {indicator: its standard}, made once for everyone
    links = []
    for _, person in people.iterrows():
        title = names.take(person["employee_id"], person["name"])
        ws = _new_sheet(wb, title)
        mine = (person["employee_id"], person["card"])
        a, b = blocks.get(mine, (0, 0))
        total_cell = _person_sheet(ws, person, records[a:b], grades.get(mine, {}), params, period, standards)
        links.append((person, f"{quote_sheet(title)}!{total_cell}"))
    _summary_sheet(summary, links, period, scores.notes)
    return wb


def _people(scores) -> pd.DataFrame:
    f = scores.scores
    if f is None or f.empty:
        return pd.DataFrame(columns=["employee_id", "name", "department", "branch", "role", "card",
                                     "total_c", "grade", "rank", "flags", "unit_periods"])
    return f.sort_values(["department", "role", "rank", "employee_id"], kind="stable").reset_index(drop=True)


def _person_sheet(ws, person, rows: list, grades: dict, params, period: Period, standards: dict) -> str:
    """Lay out one person's form from their explanation rows (records) and the grade of each unit;
    returns the address of the cell holding the period's total."""
    role = _text(person["role"]) or ""
    merge(ws, 1, 1, 1, 6)
    _put(ws, 1, 1, f"{role}{TITLE_SUFFIX}", font=_TITLE_FONT).alignment = _CENTER
    ws.row_dimensions[1].height = 28
    info = [   # (label, value) in A, B and (label, value) in C (right-aligned), D:F
        (("姓名", person["name"]), ("工号", person["employee_id"])),
        (("岗位", role), ("部门", person["department"])),
        (("分部", person.get("branch")),
         ("考核期间", f"{period.label}（{period.start:%Y-%m-%d}～{period.end:%Y-%m-%d}）")),
    ]
    for r, ((l1, v1), (l2, v2)) in enumerate(info, start=2):
        _put(ws, r, 1, l1, font=_BOLD)
        _put(ws, r, 2, v1)
        _put(ws, r, 3, f"{l2}：", font=_BOLD).alignment = _RIGHT_TOP
        merge(ws, r, 4, r, 6)
        _put(ws, r, 4, v2)

    items = [row for row in rows if row.indicator_key != "total"]
    labels = sorted({row.period for row in items}, key=Period.parse)
    rolled = labels != [period.label]
    r = HEAD_ROWS
    block_totals = []
    for label in labels:
        unit = Period.parse(label)
        card = params.card(person["card"], unit)
        names = {k: e.name for k, e in params.catalog(unit).events.items()}
        r += 1
        if rolled:
            merge(ws, r, 1, r, 6)
            what = "月度考核" if unit.unit == "month" else "季度考核"
            _put(ws, r, 1, f"{label} {what}", font=_BOLD).fill = _BLOCK_FILL
            r += 1
        r = _block(ws, r, card, [row for row in items if row.period == label], names, grades.get(label, ""),
                   standards.setdefault((person["card"], label), {}))
        block_totals.append(r)
        r += 1

    if not block_totals:                            # scored nowhere: say so, the total is 0
        _put(ws, r + 1, 1, "本期无考核记录")
        r += 2
        merge(ws, r, 1, r, 4)
        _put(ws, r, 1, "合计", font=_BOLD)
        _points(ws, r, COL_POINTS, Decimal(0))
        total_row = r
    elif rolled:
        r += 1
        refs = ",".join(f"E{t}" for t in block_totals)
        merge(ws, r, 1, r, 4)
        word = "月" if Period.parse(labels[0]).unit == "month" else "季度"
        _put(ws, r, 1, f"{period.label} 考核得分（{len(labels)}个{word}平均）", font=_BOLD).alignment = _CENTER
        cell = _formula(ws, r, COL_POINTS, f"=ROUND(AVERAGE({refs}),2)")
        cell.fill = _TOTAL_FILL
        _put(ws, r, 6, f"各{word}合计的平均，四舍五入保留两位小数", wrap=True)
        _box(ws, r, r)
        total_row = r
    else:
        total_row = block_totals[0]

    r = total_row + 1
    merge(ws, r, 1, r, 4)
    _put(ws, r, 1, "等级", font=_BOLD).alignment = _CENTER
    _put(ws, r, COL_POINTS, person["grade"], font=_BOLD).alignment = _CENTER
    _put(ws, r, 6, _grade_note(person), wrap=True)
    _box(ws, r, r)

    r += 2
    for left, right in (("考核人签名", "日期"), ("被考核人签名", "日期")):
        _put(ws, r, 1, f"{left}：", font=_BOLD)
        merge(ws, r, 1, r, 2)
        for c in (3,):
            ws.cell(r, c).border = _SIGN_LINE
        _put(ws, r, 4, f"{right}：", font=_BOLD)
        merge(ws, r, 5, r, 6)
        ws.cell(r, 5).border = _SIGN_LINE
        ws.row_dimensions[r].height = 30
        r += 1
    r += 1
    for note in ["备注：被考核人在接到该表确认后不签名则视为默认。",
                 "合计 = 各项得分之和（最低为0）；合计与考核得分为公式，在Excel中可重新计算核对。"]:
        merge(ws, r, 1, r, 6)
        _put(ws, r, 1, note, font=_NOTE_FONT)
        r += 1

    for col, width in CARD_WIDTHS.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    _row_heights(ws)
    ws.freeze_panes = f"A{HEAD_ROWS + 1}"
    _print_setup(ws, "portrait", f"$1:${HEAD_ROWS}")
    return f"E{total_row}"


def _block(ws, r: int, card, items: list, event_names: dict, grade: str, standards: dict) -> int:
    """Header, one row per indicator and the 合计 row of one scored unit; returns the 合计 row.
    standards: the standard of each indicator of this card and unit, as made so far."""
    for c, label in enumerate(CARD_HEADERS, start=1):
        cell = _put(ws, r, c, label, font=_BOLD)
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
    _box(ws, r, r)
    by_key = {row.indicator_key: row for row in items}
    first = r + 1
    n = 0
    for section in card.sections:
        start = r + 1
        for ind in section.indicators:
            row = by_key.pop(ind.key, None)
            if row is None:
                continue
            r += 1
            n += 1
            _number(ws, r, 1, n)
            if ind.key not in standards:
                standards[ind.key] = f"{ind.name}\n{standard_text(ind, card, event_names)}"
            _put(ws, r, 3, standards[ind.key], wrap=True)
            _points(ws, r, COL_MAX, row.max_points_c)
            _points(ws, r, COL_POINTS, row.points_c)
            _put(ws, r, 6, _explanation(row), wrap=True)
            if row.flag:
                for c in range(1, 7):
                    ws.cell(r, c).fill = _FLAG_FILL
        if r >= start:
            _put(ws, start, 2, section.name).alignment = _CENTER
            if r > start:
                merge(ws, start, 2, r, 2)
    for row in by_key.values():                     # an item the card no longer lists: still shown
        r += 1
        n += 1
        _number(ws, r, 1, n)
        _put(ws, r, 2, row.section).alignment = _CENTER
        _put(ws, r, 3, row.indicator, wrap=True)
        _points(ws, r, COL_MAX, row.max_points_c)
        _points(ws, r, COL_POINTS, row.points_c)
        _put(ws, r, 6, _explanation(row), wrap=True)
    last = max(r, first)
    if r < first:                                   # no indicator rows: keep the SUM ranges valid
        r = first
    r += 1
    merge(ws, r, 1, r, 3)
    _put(ws, r, 1, "合计", font=_BOLD).alignment = _CENTER
    _formula(ws, r, COL_MAX, f"=SUM(D{first}:D{last})")
    _formula(ws, r, COL_POINTS, f"=MAX(0,SUM(E{first}:E{last}))").fill = _TOTAL_FILL
    _put(ws, r, 6, "各项得分之和，最低为0" + (f"；等级 {grade}" if grade else ""), wrap=True)
    _box(ws, first - 1, r)
    return r


def _summary_sheet(ws, links, period: Period, notes) -> None:
    depts = sorted({_text(p["department"]) or "" for p, _ in links})
    merge(ws, 1, 1, 1, 9)
    _put(ws, 1, 1, f"{'、'.join(depts)} 绩效考核汇总 {period.label}", font=_TITLE_FONT).alignment = _CENTER
    ws.row_dimensions[1].height = 28
    _put(ws, 2, 1, f"考核期间：{period.start:%Y-%m-%d}～{period.end:%Y-%m-%d}；总分为公式，取自各人考核表",
         font=_NOTE_FONT)
    headers = ["序号", "工号", "姓名", "部门", "分部", "岗位", "总分", "等级", "名次", "考核表", "提示"]
    for c, label in enumerate(headers, start=1):
        cell = _put(ws, 3, c, label, font=_BOLD)
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
    r = 3
    for i, (p, ref) in enumerate(links, start=1):
        r += 1
        _number(ws, r, 1, i)
        for c, key in enumerate(["employee_id", "name", "department", "branch", "role"], start=2):
            _put(ws, r, c, p.get(key))
        _formula(ws, r, 7, f"={ref}", font=None)
        _put(ws, r, 8, p["grade"])
        _number(ws, r, 9, int(p["rank"]) if pd.notna(p["rank"]) else None)
        sheet = ref.rsplit("!", 1)[0]
        link = ws.cell(r, 10, value="查看")
        link.hyperlink = f"#{sheet}!A1"
        link.font = _LINK_FONT
        _put(ws, r, 11, p.get("flags"))
    if not links:
        r += 1
        _put(ws, r, 1, "本期无人考核")
    for text in notes or []:
        r += 1
        merge(ws, r, 1, r, len(headers))
        _put(ws, r, 1, text, font=_NOTE_FONT)
    _box(ws, 3, 3 + max(len(links), 1))
    widths = {1: 6, 2: 10, 3: 12, 4: 12, 5: 12, 6: 16, 7: 10, 8: 8, 9: 6, 10: 8, 11: 30}
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    _fit(ws, {2: 24, 3: 24, 4: 20, 5: 20, 6: 24}, min_row=3)
    ws.freeze_panes = "A4"
    ws.auto_filter.ref = f"A3:{get_column_letter(len(headers))}{3 + max(len(links), 1)}"
    _print_setup(ws, "landscape", "$3:$3")


def _explanation(row) -> str:
    """The scorer's note, with the inputs when they add something, and a data flag."""
    note = _text(row.note) or ""
    inputs = _text(row.inputs) or ""
    parts = [note]
    if inputs and inputs not in note and inputs not in ("no events", "no adjustment", "no ratings"):
        parts.append(f"依据：{inputs}")
    if _text(row.flag):
        parts.append(f"提示：{row.flag}")
    return "\n".join(p for p in parts if p)


def _grade_note(person) -> str:
    flags = _text(person.get("flags")) or ""
    forced = [f for f in flags.split("; ") if f.startswith("forced_distribution")]
    return "；".join(["按总分定级"] + forced)


# the standard of an indicator, from its rule ------------------------------------------------
def standard_text(ind: Indicator, card=None, event_names: dict | None = None) -> str:
    """A short Chinese standard built from the rule's parameters, e.g.
    '每低于目标5%扣3分；低于50%不计分；每超过目标1%加2分'."""
    r = ind.rule
    names = event_names or {}
    kind = ind.rule_type
    parts: list[str] = []
    if kind == "step":
        parts = _step_text(ind)
    elif kind == "proportional":
        unit = _unit(r.get("unit"))
        t = r.get("target")
        parts.append(f"目标{_n(t)}{unit}，按完成比例得分" if t is not None else "按个人目标的完成比例得分")
        cap = Fraction(Decimal(str(r.get("cap", 1))))
        parts.append(f"得分 = {_n(ind.points)} × 实际 ÷ 目标" +
                     ("，超额不加分" if cap == 1 else f"，最高按{_n(cap * 100)}%计"))
    elif kind == "per_unit":
        unit = r.get("unit")
        parts.append(f"每{_count_unit(unit)}计{_n(r['unit_points'])}分")
    elif kind == "deduction":
        for e in r.get("events", []):
            name = names.get(e["event"], e["event"])
            if "penalty" in e:
                parts.append(f"{name}每次扣{_n(e['penalty'])}分")
            else:
                parts.append(f"{name}每次本项记{_n(e['fixed'])}分（倒扣）")
        if r.get("zero_after") is not None:
            parts.append(f"累计超过{_n(r['zero_after'])}次不得分")
        if r.get("zero_at") is not None:
            parts.append(f"累计{_n(r['zero_at'])}次及以上不得分")
        if ind.min_points is not None and ind.min_points == 0:
            parts.append("扣完为止")
    elif kind == "bonus_events":
        for e in r.get("events", []):
            parts.append(f"{names.get(e['event'], e['event'])}每次加{_n(e['bonus'])}分")
    elif kind == "levels":
        levels = "；".join(f"{lv['level']} {lv.get('name', '')} {_n(lv['points'])}分".replace("  ", " ")
                          for lv in r.get("levels", []))
        parts.append(f"评定等级：{levels}")
        weights = r.get("raters") or (card.raters if card is not None else {})
        if weights:
            parts.append("评分人：" + "、".join(f"{ROLE_CN.get(k, k)}{_n(v)}%" for k, v in weights.items()))
    elif kind == "scaled_rating":
        m = r["rating_max"]
        parts.append(f"评分（满分{_n(m)}分）÷ {_n(m)} × {_n(ind.points)}分")
    elif kind == "adjustment":
        lo, hi = ind.min_points, ind.max_points
        span = f"，范围 {_n(lo)}～+{_n(hi)} 分" if lo is not None and hi is not None else ""
        parts.append(f"视情况加扣分{span}；须注明原因并经批准")
    if kind not in ("adjustment", "deduction"):
        parts.extend(_cap_text(ind))
    return "；".join(p for p in parts if p)


def _step_text(ind: Indicator) -> list[str]:
    r = ind.rule
    ratio = r.get("basis", "ratio") == "ratio"
    lower = r.get("direction", "higher_is_better") == "lower_is_better"
    unit = _unit(r.get("unit"))
    t = r.get("target")
    parts = []
    if t is None:
        parts.append("目标：个人目标（目标表）")
    else:
        parts.append(f"目标{_n(t)}{unit}")
    if ratio:
        size = f"{_n(r['step'])}%"
        worse, better = ("超出", "低于") if lower else ("低于", "超过")
        if lower:
            parts.append("不超过目标得满分")
        parts.append(f"每{worse}目标{size}扣{_n(r['penalty'])}分")
        if r.get("bonus") is not None:
            parts.append(f"每{better}目标{_n(r['bonus_step'])}%加{_n(r['bonus'])}分")
        if r.get("zero_below") is not None and not lower:
            parts.append(f"完成率低于{_n(r['zero_below'])}%不计分")
        if r.get("zero_above") is not None and lower:
            parts.append(f"超出目标{_n(r['zero_above'])}%以上（不含）不得分")
    else:
        step_unit = "个百分点" if r.get("unit") == "percent" else unit
        worse, better = ("高于", "低于") if lower else ("低于", "高于")
        parts.append(f"每{worse}目标{_n(r['step'])}{step_unit}扣{_n(r['penalty'])}分")
        if r.get("bonus") is not None:
            parts.append(f"每{better}目标{_n(r['bonus_step'])}{step_unit}加{_n(r['bonus'])}分")
        if r.get("zero_below") is not None:
            parts.append(f"低于{_n(r['zero_below'])}{unit}不计分")
        if r.get("zero_above") is not None:
            parts.append(f"高于{_n(r['zero_above'])}{unit}不计分")
    rounding = r.get("rounding", "floor")
    if rounding == "ceil":
        parts.append("不足一档按一档计")
    elif rounding == "proportional":
        parts.append("不足一档按比例计")
    return parts


def _cap_text(ind: Indicator) -> list[str]:
    bonus = ind.rule_type == "bonus_events" or ind.rule.get("bonus") is not None
    if ind.max_points is None:
        return ["加分不设上限"] if bonus else []
    if ind.max_points > ind.points:
        return [f"最高{_n(ind.max_points)}分"]
    if ind.rule_type == "per_unit":
        return [f"最高{_n(ind.max_points)}分"]
    return []


def _unit(unit) -> str:
    if unit is None:
        return ""
    return UNIT_TEXT.get(unit, str(unit))


def _count_unit(unit) -> str:
    if unit in (None, "count"):
        return "个"
    return f"1{_unit(unit)}" if unit in UNIT_TEXT else str(unit)


def _n(value) -> str:
    """A parameter as short text: 3, 0.4, -100."""
    if value is None:
        return ""
    f = value if isinstance(value, Fraction) else Fraction(Decimal(str(value)))
    d = (Decimal(f.numerator) / Decimal(f.denominator)).normalize()
    return format(d, "f")


# payroll -----------------------------------------------------------------------------------
def payroll_table(pay_result, department: str) -> pd.DataFrame:
    """One row per person of `department`: the amounts of payroll.xlsx (Decimal yuan) and notes.

    monthly_bonus: Σ bonus.csv over the months; commission: Σ commission.csv bonus (实发奖金);
    withheld and floating_wage: Σ commission.csv withheld and floating_wage_amount;
    awards: Σ awards.csv award of the quarterly awards; pool: Σ pool.csv amount.
    """
    tables = pay_result.tables.get(department, {})
    cols = ["employee_id", "name"] + [k for _, k in PAYROLL_COLUMNS] + ["notes"]
    rows: dict[str, dict] = {}

    def add(eid, name, key, amount, note=None):
        eid = _text(eid)
        if eid is None:
            return
        row = rows.setdefault(eid, {"employee_id": eid, "name": None, "notes": [],
                                    **{k: Decimal("0.00") for _, k in PAYROLL_COLUMNS}})
        row["name"] = row["name"] or _text(name)
        row[key] += _money(amount) or Decimal("0.00")
        if note and note not in row["notes"]:
            row["notes"].append(note)

    bonus = tables.get("bonus.csv")
    if bonus is not None:
        for b in bonus.itertuples(index=False):
            add(b.employee_id, b.name, "monthly_bonus", b.bonus, _text(getattr(b, "note", None)))
    comm = tables.get("commission.csv")
    if comm is not None:
        for c in comm.itertuples(index=False):
            add(c.employee_id, c.name, "commission", c.bonus)
            add(c.employee_id, c.name, "withheld", c.withheld)
            amount = getattr(c, "floating_wage_amount", None)
            missing = bool(c.floating_wage_paid) and _money(amount) is None
            add(c.employee_id, c.name, "floating_wage", amount,
                f"{c.quarter} 浮动工资应发但工资表无标准金额" if missing else None)
    awards = tables.get("awards.csv")
    if awards is not None and "award" in awards:
        got = awards[awards["kind"] == "quarterly_award"] if "kind" in awards else awards
        for a in got.itertuples(index=False):
            if _money(a.award):
                add(a.employee_id, a.name, "awards", a.award, f"{a.period} 第{a.rank}名奖励")
    pool = tables.get("pool.csv")
    if pool is not None:
        for p in pool.itertuples(index=False):
            add(p.employee_id, p.name, "pool", p.amount)
    out = pd.DataFrame([rows[k] for k in sorted(rows)], columns=cols)
    out["notes"] = out["notes"].map(lambda n: "；".join(n) if isinstance(n, list) else "")
    return out.reset_index(drop=True)


def write_payroll(path, pay_result, department: str, period) -> Path:
    """Write `payroll.xlsx` of `department` for `period` from `pay(params, inputs, period)`."""
    return _save_atomic(payroll_workbook(pay_result, department, period), Path(path))


def payroll_workbook(pay_result, department: str, period) -> Workbook:
    period = Period.parse(period)
    if Period.parse(pay_result.period) != period:
        raise ValueError(f"pay result is for {Period.parse(pay_result.period).label}, not {period.label}")
    table = payroll_table(pay_result, department)
    columns = [(h, k) for h, k in PAYROLL_COLUMNS if k != "pool" or (table["pool"] != 0).any()
               or "pool.csv" in pay_result.tables.get(department, {})]
    headers = ["工号", "姓名"] + [h for h, _ in columns] + ["合计", "备注"]
    letter = {k: get_column_letter(3 + i) for i, (_, k) in enumerate(columns)}
    total_col = 3 + len(columns)

    wb = _workbook(f"绩效工资单 {department} {period.label}")
    ws = wb.active
    ws.title = PAYROLL_SHEET
    merge(ws, 1, 1, 1, len(headers))
    _put(ws, 1, 1, f"{department} 绩效工资单 {period.label}", font=_TITLE_FONT).alignment = _CENTER
    ws.row_dimensions[1].height = 28
    sign = " ".join(("− " if PAYROLL_SIGN.get(k) == "-" else "+ ") + h for h, k in columns).lstrip("+ ")
    _put(ws, 2, 1, f"金额单位：元；考核期间 {period.start:%Y-%m-%d}～{period.end:%Y-%m-%d}；合计 = {sign}",
         font=_NOTE_FONT)
    header_row = 4
    for c, label in enumerate(headers, start=1):
        cell = _put(ws, header_row, c, label, font=_BOLD)
        cell.fill = _HEADER_FILL
        cell.alignment = _CENTER
    r = header_row
    for row in table.itertuples(index=False):
        r += 1
        _put(ws, r, 1, row.employee_id)
        _put(ws, r, 2, row.name)
        for i, (_, key) in enumerate(columns):
            _put(ws, r, 3 + i, getattr(row, key), "money")
        terms = "".join(f"{PAYROLL_SIGN.get(k, '+')}{letter[k]}{r}" for _, k in columns).lstrip("+")
        _formula(ws, r, total_col, f"={terms}", number_format=MONEY_FORMAT)
        _put(ws, r, total_col + 1, row.notes or None, wrap=True)
    if r == header_row:
        r += 1
        _put(ws, r, 1, "本期无绩效工资记录")
    first, last = header_row + 1, r
    r += 1
    _put(ws, r, 1, "合计", font=_BOLD)
    _put(ws, r, 2, f"{len(table)}人")
    for c in range(3, total_col + 1):
        col = get_column_letter(c)
        _formula(ws, r, c, f"=SUM({col}{first}:{col}{last})", number_format=MONEY_FORMAT)
    for c in range(1, len(headers) + 1):
        ws.cell(r, c).fill = _TOTAL_FILL
    _box(ws, header_row, r, width=len(headers))
    for note in pay_result.notes or []:
        r += 1
        merge(ws, r, 1, r, len(headers))
        _put(ws, r, 1, note, font=_NOTE_FONT)
    r += 2
    for label in ("制表", "审核", "批准"):
        _put(ws, r, 1, f"{label}：", font=_BOLD)
        ws.cell(r, 2).border = _SIGN_LINE
        r += 1
    widths = {1: 10, 2: 12, **{c: 14 for c in range(3, total_col + 1)}, total_col + 1: 40}
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = width
    _fit(ws, {1: 20, 2: 24}, min_row=header_row)
    _row_heights(ws)
    ws.freeze_panes = ws.cell(header_row + 1, 3).coordinate
    _print_setup(ws, "landscape", f"${header_row}:${header_row}")
    return wb


# sheets and cells ---------------------------------------------------------------------------
def sheet_name(employee_id, name, taken=frozenset()) -> str:
    """'E001 张三': employee id and name, at most 31 characters, without []:*?/\\ or quotes,
    unique among `taken` (a suffix ~2, ~3 ... when needed)."""
    return SheetNames(taken).take(employee_id, name)


class SheetNames:
    """The sheet titles of a workbook, told apart as Excel does (case aside)."""

    def __init__(self, taken=()):
        self.lowered = {t.lower() for t in taken}

    def take(self, employee_id, name) -> str:
        """sheet_name of the person, among the titles taken; it is taken from then on."""
        base = f"{_text(employee_id) or ''} {_text(name) or ''}".strip()
        base = _BAD_SHEET_CHARS.sub("_", base).strip() or "sheet"
        base = base[:31]
        title, k = base, 1
        while title.lower() in self.lowered:
            k += 1
            suffix = f"~{k}"
            title = base[:31 - len(suffix)] + suffix
        self.lowered.add(title.lower())
        return title


class _Sheet(Worksheet):
    """A worksheet whose first title is taken as given: openpyxl checks a new sheet's title
    against every other sheet's (Workbook.sheetnames, then each lowered), so that a workbook's
    sheets take time growing with their square: 8,000 sheets took 65 s to create, 5 s this way.
    perfpay's titles are unique already (SheetNames); a title set later is checked as usual."""

    _WorkbookChild__title = None        # openpyxl's default ""; None: no title yet, nothing to check


def _new_sheet(wb: Workbook, title: str) -> Worksheet:
    """wb.create_sheet(title), for a title unique among the workbook's (case aside)."""
    ws = _Sheet(parent=wb, title=title)
    wb._add_sheet(ws)
    return ws


def quote_sheet(title: str) -> str:
    return "'" + title.replace("'", "''") + "'"


def _workbook(title: str) -> Workbook:
    wb = workbook()
    wb.properties.creator = CREATOR
    wb.properties.lastModifiedBy = CREATOR
    wb.properties.title = title
    wb.calculation.fullCalcOnLoad = True          # formulas are computed when the file opens
    return wb


def _number(ws, row: int, col: int, value) -> None:
    cell = ws.cell(row=row, column=col, value=value)
    cell.alignment = _CENTER


def _points(ws, row: int, col: int, centipoints) -> None:
    cell = ws.cell(row=row, column=col)
    cell.value = Decimal(int(centipoints)) / CENT
    cell.number_format = POINTS_FORMAT
    cell.alignment = _RIGHT_TOP


def _formula(ws, row: int, col: int, formula: str, *, number_format: str = POINTS_FORMAT, font=_BOLD):
    """A formula this module built (never text from the inputs)."""
    cell = ws.cell(row=row, column=col)
    cell.value = formula
    cell.data_type = "f"
    cell.number_format = number_format
    if font is not None:
        cell.font = font
    cell.alignment = _RIGHT_MIDDLE
    return cell


def _row_heights(ws) -> None:
    """Wrapped rows tall enough: spreadsheet fonts run wider than the character count."""
    _heights(ws, default_width=8.43, fill=0.85, pad=2)


def _box(ws, top: int, bottom: int, width: int = 6) -> None:
    """A thin grid around every cell of the rows top..bottom, columns 1..width (the workbook finds
    _GRID among its borders without hashing it again: xlsx.KnownStyles)."""
    for row in ws.iter_rows(min_row=top, max_row=bottom, min_col=1, max_col=width):
        for cell in row:
            cell.border = _GRID


def _fit(ws, caps: dict[int, int], min_row: int = 1) -> None:
    """Widen columns to their longest text (CJK counts double), up to a cap."""
    for col, cap in caps.items():
        need = 0
        for (cell,) in ws.iter_rows(min_row=min_row, min_col=col, max_col=col):
            if cell.value is not None and cell.data_type != "f":
                need = max(need, max(display_width(line) for line in str(cell.value).split("\n")))
        letter = get_column_letter(col)
        current = ws.column_dimensions[letter].width or 8
        ws.column_dimensions[letter].width = max(current, min(need + 2, cap))


def _print_setup(ws, orientation: str, title_rows: str | None = None) -> None:
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5
    if title_rows:
        ws.print_title_rows = title_rows


__all__ = ["write_scorecards", "scorecards_workbook", "write_payroll", "payroll_workbook",
           "payroll_table", "standard_text", "sheet_name"]
