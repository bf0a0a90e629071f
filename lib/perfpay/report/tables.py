"""Tables for managers: DataFrames as HTML with Chinese headers, formatted numbers, coloured grades.

    tables.table(ctx.ranking, name="ranking")        # IPython HTML, shown by the notebook
    tables.html(frame)                                # the same as a string

Hand-built HTML, so that every header, cell and caption goes through `html.escape`: a name
such as `<script>alert(1)</script>` shows as text. No index. Money: thousands separators and
two decimals, rounded half-up; points: two decimals; grades: one colour each.
"""

from __future__ import annotations

import html as _html
import math
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

import numpy as np
import pandas as pd

try:                                   # outside IPython the functions still return strings
    from IPython.display import HTML
except ImportError:                    # pragma: no cover
    class HTML(str):                   # type: ignore[no-redef]
        @property
        def data(self):
            return str(self)

# column labels ----------------------------------------------------------------------------------
LABELS: dict[str, str] = {
    # people and scores
    "period": "期间", "employee_id": "工号", "name": "姓名", "department": "部门", "branch": "分部",
    "role": "岗位", "card": "考核表", "total": "总分", "grade": "等级", "rank": "排名", "units": "考核期",
    "flags": "标记", "scope": "范围", "people": "人数", "mean": "平均分", "min": "最低分", "max": "最高分",
    "months": "月数", "end": "截止日",
    # explanation rows
    "section": "考核项目", "indicator": "指标", "indicator_key": "指标代码", "rule": "计分规则",
    "max_points": "满分", "inputs": "输入", "raw_points": "计算得分", "points": "得分", "note": "说明",
    "flag": "标记", "source": "来源", "reference": "依据",
    # awards and bottom three
    "kind": "类别", "score": "得分", "award": "奖金", "bottom_rank": "倒数名次", "group_size": "组内人数",
    "why": "主要失分指标", "bulletin_date": "通报日期", "plan_due": "整改方案截止",
    # bonus
    "base": "基数", "bonus": "奖金", "formula": "计算式",
    # commission
    "quarter": "季度", "credited": "计入任务额", "carry_in": "上季结转", "X": "本季核算额 X",
    "target": "目标 T", "case": "情形", "commission": "计提奖金", "backpay": "补发奖金",
    "service_commission": "服务类提成", "kpi_coefficient": "KPI系数", "floating_wage_paid": "发放浮动工资",
    "withheld": "扣发固定工资", "shortfall_after": "未补足任务", "carry_out": "结转下季", "filled": "补足记录",
    "floating_wage_amount": "浮动工资",
    "date": "日期", "deal_id": "项目编号", "crm_id": "CRM编号", "revenue_type": "收入类型", "amount": "金额",
    "cost": "成本", "standard_quote": "标准报价", "share": "分配比例", "stream": "计提类别",
    "reclassified": "划拨实施费", "reason": "原因", "refund": "退款",
    # pool
    "year": "年度", "tenure_years": "工龄（年）", "grade_coefficient": "等级系数",
    "tenure_coefficient": "工龄系数", "weight": "权重", "budget": "预算",
    # data quality
    "severity": "级别", "table": "表", "file": "文件", "sheet": "工作表", "row": "行", "column": "列",
    "value": "值", "message": "问题", "fix": "处理办法", "skipped": "已剔除", "rows": "行数",
    # summaries
    "item": "项目", "before": "调整前", "after": "调整后", "change": "变化", "key": "参数路径",
    "total_before": "总分（现行）", "total_after": "总分（调整后）", "total_change": "总分变化",
    "grade_before": "等级（现行）", "grade_after": "等级（调整后）", "grade_change": "等级变化",
    "pay_before": "绩效工资（现行）", "pay_after": "绩效工资（调整后）", "pay_change": "绩效工资变化",
    "pay_total": "绩效工资合计",
}

MONEY = {"base", "bonus", "commission", "backpay", "service_commission", "withheld", "credited", "carry_in",
         "X", "target", "shortfall_after", "carry_out", "floating_wage_amount", "award", "amount", "budget",
         "cost", "standard_quote", "reclassified", "before", "after", "pay_before", "pay_after", "pay_total",
         "月度绩效奖金", "提成奖金", "浮动工资", "扣发固定工资", "排名奖励", "年度绩效工资", "合计"}
POINTS = {"total", "score", "points", "max_points", "raw_points", "mean", "min", "max", "total_before",
          "total_after"}
DELTA_POINTS = {"total_change"}
DELTA_MONEY = {"pay_change", "change"}
RAW = {"kpi_coefficient", "grade_coefficient", "tenure_coefficient", "weight", "share", "year", "quarter",
       "period", "rank", "bottom_rank", "group_size", "months", "tenure_years", "row", "case", "people",
       "rows", "employee_id", "units"}
GRADE_STYLE = {
    "优秀": "background:#d8f3dc;color:#1b4332",
    "良好": "background:#dbeafe;color:#1e3a8a",
    "合格": "background:#fef3c7;color:#7c4a03",
    "不合格": "background:#fde2e1;color:#8b1a1a",
}
WRAP = {"note", "why", "formula", "message", "fix", "flags", "reference", "inputs", "filled", "reason",
        "source", "value", "rule", "units"}
# `table.pp-table.pp-table` outranks the notebook's own table rules (JupyterLab / nbconvert)
CSS = """<style>
table.pp-table.pp-table{border-collapse:collapse;font-size:13px;margin:4px 0 14px;table-layout:auto;width:auto}
table.pp-table.pp-table caption{caption-side:top;text-align:left;font-weight:600;padding:4px 0}
table.pp-table.pp-table th{background:#f3f4f6;border-bottom:2px solid #9ca3af;padding:4px 8px;text-align:left;
  white-space:nowrap;vertical-align:bottom}
table.pp-table.pp-table td{border:none;border-bottom:1px solid #e5e7eb;padding:3px 8px;vertical-align:top;
  text-align:left;white-space:nowrap}
table.pp-table.pp-table td.wrap{white-space:normal;min-width:12em;max-width:42em}
table.pp-table.pp-table td.num,table.pp-table.pp-table th.num{text-align:right;font-variant-numeric:tabular-nums}
table.pp-table.pp-table td.grade{text-align:center;font-weight:600}
table.pp-table.pp-table tr.total td{font-weight:600;border-top:2px solid #9ca3af}
table.pp-table.pp-table th.heat{white-space:normal;min-width:4em;max-width:7em;text-align:center}
table.pp-table.pp-table td.heat{text-align:center;font-variant-numeric:tabular-nums;min-width:3em;
  border-bottom:1px solid #fff;-webkit-print-color-adjust:exact;print-color-adjust:exact}
.pp-legend{display:inline-block;width:12em;height:.8em;vertical-align:middle;margin:0 .4em;
  -webkit-print-color-adjust:exact;print-color-adjust:exact}
div.pp-scroll{overflow-x:auto;max-width:100%}
.pp-figures{display:flex;flex-wrap:wrap;gap:10px;margin:6px 0 14px}
.pp-figure{border:1px solid #d1d5db;border-radius:6px;padding:6px 12px;min-width:96px}
.pp-figure .label{font-size:12px;color:#4b5563}.pp-figure .value{font-size:20px;font-weight:600}
p.pp-note{color:#374151;margin:4px 0 10px;text-align:left}
details.pp-details{margin:2px 0;border-bottom:1px solid #e5e7eb;padding:2px 0;text-align:left}
details.pp-details>summary{cursor:pointer;padding:3px 0}
</style>"""
CENT = Decimal("0.01")


def esc(value) -> str:
    """Text with &, <, >, " and ' escaped."""
    return _html.escape("" if value is None else str(value), quote=True)


# values ------------------------------------------------------------------------------------------
def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if isinstance(v, Decimal) and v.is_nan():
        return True
    return False


def _decimal(v) -> Decimal | None:
    if isinstance(v, Decimal):
        return v
    if isinstance(v, (int, np.integer)) and not isinstance(v, bool):
        return Decimal(int(v))
    if isinstance(v, (float, np.floating)):
        return Decimal(repr(float(v)))
    if isinstance(v, str):
        try:
            return Decimal(v.replace(",", "").strip())
        except InvalidOperation:
            return None
    return None


def _two(v, sign: bool = False) -> str:
    d = _decimal(v)
    if d is None:
        return str(v)
    q = d.quantize(CENT, ROUND_HALF_UP)
    if q == 0:
        q = abs(q)                     # never "-0.00"
    text = f"{q:,.2f}"
    return ("+" + text) if sign and q > 0 else text


def fmt(value, kind: str | None = None) -> str:
    """One value as text (not escaped). kind: money | points | delta | raw | int | percent | text."""
    if _missing(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "是" if value else "否"
    if kind in ("money", "points"):
        return _two(value)
    if kind == "delta":
        return _two(value, sign=True)
    if kind == "percent":
        d = _decimal(value)
        return "" if d is None else f"{d.quantize(Decimal('0.1'), ROUND_HALF_UP)}%"
    if kind == "int":
        d = _decimal(value)
        return str(value) if d is None else f"{int(d):,}"
    if isinstance(value, datetime):          # pandas Timestamps too
        midnight = (value.hour, value.minute, value.second) == (0, 0, 0)
        return value.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if kind in ("raw", "text"):
        return str(value)
    if isinstance(value, (Decimal, float, np.floating)):
        return _two(value)
    if isinstance(value, (list, tuple, set)):
        return "; ".join(str(v) for v in value)
    return str(value)


def kind_of(column: str) -> str | None:
    """The format of a column by its name: money | points | delta | raw, or None (by value)."""
    if column in MONEY:
        return "money"
    if column in POINTS:
        return "points"
    if column in DELTA_POINTS or column in DELTA_MONEY:
        return "delta"
    if column in RAW:
        return "raw"
    return None


def _numeric(values) -> bool:
    sample = [v for v in values if not _missing(v)]
    return bool(sample) and all(isinstance(v, (int, float, Decimal, np.integer, np.floating))
                                and not isinstance(v, (bool, np.bool_)) for v in sample)


_SHOWN: dict = {}           # (kind, type, value) -> esc(fmt(value, kind)), for the values cached
_ALIKE = ("money", "points", "delta", "int", None)      # kinds that print equal Decimals and floats alike


def shown(values, kind: str | None = None) -> list[str]:
    """esc(fmt(v, kind)) of each value, each distinct value formatted once across every table
    made (a department's 6,000 score cards repeat their indicators, rules and points person after
    person). Cached by type and value where equal values always print alike: text, flags, ints,
    and Decimals and floats in a kind that rounds them (Decimal("1.1") and Decimal("1.10") show
    as written with "raw", and -0.0 as "-0.0%" with "percent")."""
    if len(_SHOWN) > 200_000:
        _SHOWN.clear()
    out = []
    for v in values:
        t = type(v)
        if t is str or t is int or t is bool or ((t is Decimal or t is float) and kind in _ALIKE):
            key = (kind, t, v)
            try:
                text = _SHOWN[key]
            except KeyError:
                text = _SHOWN[key] = esc(fmt(v, kind))
            except TypeError:                   # a value that cannot be hashed (a signalling NaN)
                text = esc(fmt(v, kind))
        else:
            text = esc(fmt(v, kind))
        out.append(text)
    return out


def _is_grade_column(column: str) -> bool:
    return str(column).startswith("grade") and column not in ("grade_coefficient", "grade_change")


# tables ------------------------------------------------------------------------------------------
def html(frame: pd.DataFrame, *, labels: dict | None = None, kinds: dict | None = None,
         name: str | None = None, caption: str | None = None, total_rows: int = 0,
         max_rows: int | None = None, empty: str = "（无）", css: bool = True) -> str:
    """The frame as an HTML table string; every value escaped; no index.

    labels: extra or overriding column labels (English → Chinese); kinds: column → money |
    points | delta | raw | int | percent | text; name: a data-table attribute (for tests and
    styling); total_rows: the last n rows are totals (bold); max_rows: cut with a note; css:
    the style sheet first (False inside a block that has it once: a 6,000-person department's
    score cards carried 6,000 copies, 11 MB of a 61 MB report).
    """
    if frame is None or len(frame.columns) == 0 or frame.empty:
        return f'<p class="pp-note" data-table="{esc(name or "")}">{esc(empty)}</p>'
    names = {**LABELS, **(labels or {})}
    kinds = kinds or {}
    cols = list(frame.columns)
    values = frame.to_numpy(dtype=object).T.tolist()          # by position (names may repeat), Python values
    col_kind = [kinds.get(c, kind_of(str(c))) for c in cols]
    numeric = [k in ("money", "points", "delta", "int", "percent") or (k in (None, "raw") and _numeric(v))
               for k, v in zip(col_kind, values)]
    if max_rows is not None:
        values = [v[:max_rows] for v in values]
    out = [CSS if css else "", '<div class="pp-scroll">', f'<table class="pp-table" data-table="{esc(name or "")}">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    head = []
    for c, num in zip(cols, numeric):
        style = f' style="{GRADE_STYLE[str(c)]}"' if str(c) in GRADE_STYLE else ""
        cls = ' class="num"' if num else ""
        head.append(f"<th{cls}{style}>{esc(names.get(str(c), str(c)))}</th>")
    out.append("<thead><tr>" + "".join(head) + "</tr></thead><tbody>")
    cells = [_cells(str(c), v, k, num) for c, v, k, num in zip(cols, values, col_kind, numeric)]
    shown = len(values[0]) if values else 0
    first_total = shown - total_rows if total_rows and max_rows is None else None
    for i, row in enumerate(zip(*cells)):
        tr = ' class="total"' if first_total is not None and i >= first_total else ""
        out.append(f"<tr{tr}>" + "".join(row) + "</tr>")
    out.append("</tbody></table></div>")
    if max_rows is not None and len(frame) > max_rows:
        out.append(f'<p class="pp-note">{esc(f"仅显示前 {max_rows} 行，共 {len(frame)} 行。")}</p>')
    return "".join(out)


def _cells(column: str, values: list, kind: str | None, numeric: bool) -> list[str]:
    """The <td> of one column: a grade in its colour, numbers right-aligned, long text wrapped."""
    texts = shown(values, kind)
    plain = '<td class="num">' if numeric else '<td class="wrap">' if column in WRAP else "<td>"
    if _is_grade_column(column):
        return [f'<td class="grade" style="{GRADE_STYLE[str(v)]}">{t}</td>' if str(v) in GRADE_STYLE
                else f"{plain}{t}</td>" for v, t in zip(values, texts)]
    return [f"{plain}{t}</td>" for t in texts]


def table(frame: pd.DataFrame, **kwargs) -> HTML:
    """`html(frame, ...)` as an IPython HTML object (displayed by the notebook)."""
    return HTML(html(frame, **kwargs))


def tables(frames: dict, empty: str = "（无）", **kwargs) -> HTML:
    """Several tables in one output, each captioned with its key ({caption: frame})."""
    if not frames:
        return HTML(f'<p class="pp-note">{esc(empty)}</p>')
    return HTML("".join(html(f, caption=str(k), **kwargs) for k, f in frames.items()))


# other pieces ------------------------------------------------------------------------------------
def figures_html(figures: dict) -> str:
    boxes = []
    for label, value in figures.items():
        style = f' style="{GRADE_STYLE[str(label)]}"' if str(label) in GRADE_STYLE else ""
        text = "—" if _missing(value) else fmt(value)
        boxes.append(f'<div class="pp-figure"{style}><div class="label">{esc(label)}</div>'
                     f'<div class="value">{esc(text)}</div></div>')
    return CSS + '<div class="pp-figures">' + "".join(boxes) + "</div>"


def figures(items: dict) -> HTML:
    """Headline figures as boxes: {label: value}; grade labels take the grade's colour."""
    return HTML(figures_html(items) if items else "")


def text(message: str) -> HTML:
    """A paragraph of (escaped) text."""
    return HTML(f'<p class="pp-note">{esc(message)}</p>')


def notes(lines, empty: str | None = None) -> HTML:
    """A bulleted list of (escaped) lines, or `empty` when there are none."""
    lines = [str(x) for x in lines if str(x).strip()]
    if not lines:
        return HTML(f'<p class="pp-note">{esc(empty)}</p>' if empty else "")
    return HTML("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in lines) + "</ul>")


def _part(part) -> str:
    if part is None:
        return ""
    if isinstance(part, pd.DataFrame):
        return html(part)
    if hasattr(part, "data") and isinstance(getattr(part, "data"), str) and not isinstance(part, str):
        return part.data               # an HTML object made here: already escaped
    return f'<p class="pp-note">{esc(part)}</p>'


def details(summary: str, *parts, open: bool = False, grade: str | None = None) -> str:
    """A collapsible block (<details>) as a string: summary text, then tables / HTML / text.

    grade: shown as a coloured badge after the summary.
    """
    body = "".join(_part(p) for p in parts)
    badge = ""
    if grade:
        style = GRADE_STYLE.get(str(grade), "background:#e5e7eb")
        badge = f' <span style="{style};padding:0 6px;border-radius:4px;font-weight:600">{esc(grade)}</span>'
    return (f'<details class="pp-details"{" open" if open else ""}><summary>{esc(summary)}{badge}</summary>'
            f'{body}</details>')


def collapsible(items) -> HTML:
    """Several (summary, part, part, ...) tuples as one HTML output of <details> blocks."""
    return HTML(CSS + "".join(details(summary, *parts) for summary, *parts in items))


# heatmaps ----------------------------------------------------------------------------------------
HEAT_COLOURS = "RdYlGn"                # matplotlib's colormap, the one charts.indicator_heatmap uses


def heat_colours(shares) -> tuple[list[str], list[str]]:
    """Background and text colours of % values (0 red, 50 yellow, 100 green; clipped to 0 … 100):
    dark text on a light cell, white on a dark one (seaborn's rule: relative luminance > .408)."""
    from matplotlib import colormaps

    rgba = colormaps[HEAT_COLOURS](np.clip(np.asarray(shares, dtype=float), 0, 100) / 100)
    rgb = rgba[:, :3]
    linear = np.where(rgb <= .03928, rgb / 12.92, ((rgb + .055) / 1.055) ** 2.4)
    light = linear @ [.2126, .7152, .0722] > .408
    hexes = ["#%02x%02x%02x" % tuple(c) for c in np.rint(rgb * 255).astype(int)]
    return hexes, ["#262626" if x else "#ffffff" for x in light]


def percent_text(share) -> str:
    """An exact % value (Fraction, int or Decimal) as a whole number, half away from zero (87.5 → 88)."""
    share = Fraction(share)
    whole = (2 * abs(share.numerator) + share.denominator) // (2 * share.denominator)
    return str(-whole if share < 0 and whole else whole)


def heatmap_html(matrix: pd.DataFrame, caption: str | None = None) -> str:
    """People × indicators (`summary.indicator_shares`) as a coloured table: each cell the points
    earned as % of the indicator's points, its colour from red (0) through yellow to green (100);
    a blank cell: no such indicator for that person. Text stays text (searchable, sharp in print)."""
    if matrix is None or matrix.empty:
        return f'<p class="pp-note" data-table="heatmap">{esc("本期没有指标得分。")}</p>'
    exact = matrix.to_numpy(dtype=object)
    shown = ~pd.isna(exact)
    backgrounds, texts = heat_colours(exact[shown].astype(float))
    colours = iter(zip(backgrounds, texts, exact[shown]))
    out = [CSS, '<div class="pp-scroll">', '<table class="pp-table" data-table="heatmap">']
    if caption:
        out.append(f"<caption>{esc(caption)}</caption>")
    out.append("<thead><tr><th>姓名</th>" + "".join(f'<th class="heat">{esc(c)}</th>' for c in matrix.columns)
               + "</tr></thead><tbody>")
    for who, row in zip(matrix.index, shown):
        cells = []
        for has in row:
            if has:
                background, colour, share = next(colours)
                cells.append(f'<td class="heat" style="background:{background};color:{colour}">'
                             f"{percent_text(share)}</td>")
            else:
                cells.append('<td class="heat"></td>')
        out.append(f"<tr><td>{esc(who)}</td>{''.join(cells)}</tr>")
    out.append("</tbody></table></div>")
    return "".join(out)


def heatmaps(shares: dict) -> HTML:
    """One coloured table per role of `summary.indicator_shares`, under a legend of the colours."""
    if not shares:
        return text("本期没有考核结果。")
    stops, _ = heat_colours(np.linspace(0, 100, 11))
    legend = (f'<p class="pp-note">得分率（% 满分）：0<span class="pp-legend" role="img" aria-label="红 0，黄 50，绿 100" '
              f'style="background:linear-gradient(to right,{",".join(stops)})"></span>100</p>')
    return HTML(CSS + legend + "".join(heatmap_html(m, f"{role}：指标得分率（% 满分）") for role, m in shares.items()))


# report sections ---------------------------------------------------------------------------------
EXPLAIN_LABELS = {"period": "考核期", "points": "得分", "raw_points": "计算得分"}


def scorecards(cards) -> HTML:
    """Each person's scorecard (`summary.scorecards`) as a collapsible block of explanation rows."""
    if not cards:
        return text("本期没有考核结果。")
    blocks = []
    for card in cards:
        r = card["row"]
        head = (f"{r['rank']}. {r['name']}（{r['employee_id']}） · {r['role']} · {r['branch']} · "
                f"总分 {fmt(r['total'], 'points')}")
        flags = f"标记：{r['flags']}" if str(r.get("flags", "") or "").strip() else None
        table = html(card["explain"], labels=EXPLAIN_LABELS, name="scorecard", css=False)
        blocks.append(details(head, flags, HTML(table), grade=r["grade"]))
    return HTML(CSS + "".join(blocks))


LEDGER_ITEMS = [("credited", "本季计入任务额"), ("carry_in", "上季结转"), ("X", "本季核算额 X"),
                ("base", "任务基数 B"), ("target", "目标 T"), ("case", "情形"), ("commission", "计提奖金"),
                ("backpay", "补发奖金"), ("service_commission", "服务类提成"), ("kpi_coefficient", "KPI系数"),
                ("bonus", "实发奖金"), ("floating_wage_paid", "发放浮动工资"), ("withheld", "扣发固定工资"),
                ("shortfall_after", "未补足任务"), ("carry_out", "结转下季"), ("formula", "计算式"),
                ("filled", "补足记录")]
MONEY_ITEMS = {"credited", "carry_in", "X", "base", "target", "commission", "backpay", "service_commission",
               "bonus", "withheld", "shortfall_after", "carry_out"}


def statements(items) -> HTML:
    """Each salesperson's statement (`summary.statements`): the quarter's ledger, deal lines, history."""
    if not items:
        return text("本期没有提成结算单。")
    blocks = []
    for s in items:
        p, row = s["person"], s["row"]
        head = f"{p['name']}（{p['employee_id']}） · {p['branch']} · {p['role']} · {s['quarter']}"
        parts = []
        if row is not None:
            head += f" · 情形 {row['case']} · 实发奖金 {fmt(row['bonus'], 'money')}"
            items_ = pd.DataFrame([{"item": label, "amount": row[k] if k in MONEY_ITEMS else None,
                                    "value": None if k in MONEY_ITEMS else fmt(row[k], "raw")}
                                   for k, label in LEDGER_ITEMS if k in row.index])
            parts.append(HTML(html(items_, labels={"amount": "金额", "value": "内容"}, kinds={"value": "text"},
                                   name="statement", css=False)))
        score = s.get("kpi_score")
        parts.append(f"KPI 得分：{fmt(score, 'points') if score is not None else '无季度得分（KPI 系数取最低值）'}")
        for n in s.get("notes", []):
            parts.append(n)
        parts.append(HTML(html(s["lines"], caption="本季回款明细", name="statement_lines",
                               empty="本季没有回款。", css=False)))
        parts.append(HTML(html(s["history"].drop(columns=["employee_id"], errors="ignore"),
                               caption="台账历史", name="statement_history",
                               labels={"base": "任务基数 B", "bonus": "实发奖金"}, css=False)))
        blocks.append(details(head, *parts))
    return HTML(CSS + "".join(blocks))


def quality(dq: dict) -> HTML:
    """The data-quality section (`summary.data_quality`): rows left out, rows flagged, indicator flags, notes."""
    out = [CSS, f'<p class="pp-note">{esc(dq["summary"])}</p>']
    out.append("<p><b>被剔除的输入行（错误）</b></p>")
    out.append(html(dq["rejected"], name="rejected", empty="没有被剔除的输入行。"))
    out.append("<p><b>被标记的输入行（警告，已保留）</b></p>")
    out.append(html(dq["flagged"], name="flagged", empty="没有警告。"))
    out.append("<p><b>指标标记（缺少评分人、评分、实际值或目标）</b></p>")
    counts = dq["flag_counts"]
    out.append(html(counts, labels={"kind": "标记", "rows": "指标行数", "people": "人数"}, name="flag_counts",
                    empty="没有指标标记。"))
    if len(dq["indicator_flags"]):
        out.append(details(f"标记明细（{len(dq['indicator_flags'])} 行）",
                           HTML(html(dq["indicator_flags"], name="indicator_flags"))))
    if len(dq.get("forced", [])):
        out.append("<p><b>强制分布调整</b></p>")
        out.append(html(dq["forced"][["employee_id", "name", "role", "total", "grade", "flags"]], name="forced"))
    if dq["notes"]:
        out.append("<p><b>计算说明</b></p>")
        out.append(notes(dq["notes"]).data)
    return HTML("".join(out))
