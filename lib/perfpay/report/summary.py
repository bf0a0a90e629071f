"""The figures a report shows, computed from a ReportContext: tables a test can check.

Every number comes from the library's own tables (scores_table, explain, the pay tables);
this module only selects, sums and arranges them. Money and points stay Decimal; a mean
is rounded half-up (四舍五入) to 0.01 as everywhere in perfpay.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

import numpy as np
import pandas as pd

from ..distinct import slices
from ..periods import Period

ID = "employee_id"
CENT = Decimal("0.01")


# small helpers ---------------------------------------------------------------------------------
def dec(value) -> Decimal:
    """Any amount (Decimal, int, str, None, NaN) as a Decimal; missing → 0."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).replace(",", "")) if str(value).strip() else Decimal(0)
    except InvalidOperation:
        return Decimal(0)


def total(values) -> Decimal:
    return sum((dec(v) for v in values), Decimal(0))


def mean(values) -> Decimal | None:
    vals = [dec(v) for v in values if v is not None and not (isinstance(v, float) and v != v)]
    if not vals:
        return None
    return (sum(vals, Decimal(0)) / len(vals)).quantize(CENT, ROUND_HALF_UP)


def grades(ctx) -> list[str]:
    """The grade names of the period, best first (params/grades.yaml)."""
    return [b.grade for b in ctx.params.grading(ctx.period).bands]


def _roles(ctx) -> pd.Series:
    roster = ctx.inputs.roster.drop_duplicates(ID, keep="last").set_index(ID)
    return roster["role"]


# headline --------------------------------------------------------------------------------------
def grade_counts(ranking: pd.DataFrame, order, by: str | None = None) -> pd.DataFrame:
    """People per grade (columns in grade order), overall or per `by` (department, role, ...)."""
    if ranking.empty:
        return pd.DataFrame(columns=[by or "scope", *order])
    key = ranking[by] if by else pd.Series("全部", index=ranking.index)
    table = pd.crosstab(key, ranking["grade"]).reindex(columns=list(order), fill_value=0)
    table.columns.name = None
    return table.rename_axis(by or "scope").reset_index()


def headline(ctx) -> dict[str, object]:
    """The report's headline figures: people scored, mean total, grade counts, pay totals."""
    r = ctx.ranking
    out: dict[str, object] = {"考核人数": len(r), "平均分": mean(r["total"]) if len(r) else None}
    counts = grade_counts(r, grades(ctx))
    for g in grades(ctx):
        out[g] = int(counts[g].sum()) if len(counts) else 0
    pay = pay_totals(ctx)
    for label, amount in pay.items():
        out[label] = amount
    return out


# ranking ---------------------------------------------------------------------------------------
def ranking(ctx) -> pd.DataFrame:
    """The ranking table: scores_table's rows and totals, rank first, flags in words.

    Sections only where someone has them; `units` says how many months (quarters) were averaged.
    """
    r = ctx.ranking
    if r.empty:
        return r
    lead = ["rank", ID, "name", "branch", "role"]
    if ctx.department is None:
        lead.insert(3, "department")
    sections = [c for c in r.columns if c not in {"period", ID, "name", "department", "branch", "role",
                                                    "total", "grade", "rank", "units", "flags"}]
    sections = [c for c in sections if r[c].notna().any()]
    out = r[lead + sections + ["total", "grade", "units", "flags"]].copy()
    out["units"] = r["units"].map(units_text)
    names = indicator_names(ctx)
    out["flags"] = r["flags"].map(lambda f: readable_flags(ctx, f, names))
    return out


def rankings(ctx) -> dict[str, pd.DataFrame]:
    """`ranking` split by role (ranks are within a role's card), each with its own sections only."""
    r = ranking(ctx)
    if r.empty:
        return {}
    out = {}
    for role, part in r.groupby("role", sort=False):
        keep = [c for c in part.columns if c in ("flags",) or part[c].notna().any()]
        if not part["flags"].astype(str).str.strip().any():
            keep.remove("flags")
        out[role] = part[keep].drop(columns=["role"]).reset_index(drop=True)
    return out


def units_text(units) -> str:
    """'2026-07, 2026-08, 2026-09' → '3 个月'; '2026Q3' → '1 个季度'."""
    labels = [u.strip() for u in str(units or "").split(",") if u.strip()]
    if not labels:
        return ""
    try:
        kinds = {Period.parse(u).unit for u in labels}
    except Exception:
        return str(units)
    word = {"month": "个月", "quarter": "个季度"}.get(kinds.pop(), "期") if len(kinds) == 1 else "期"
    return f"{len(labels)} {word}"


def indicator_names(ctx) -> dict:
    """{indicator key: its name} as the explanation gives them (the last row's, for a key that
    several cards name)."""
    e = ctx.scores.explain
    if not len(e):
        return {}
    last = e[["indicator_key", "indicator"]].drop_duplicates("indicator_key", keep="last")
    return dict(zip(last["indicator_key"], last["indicator"]))


def readable_flags(ctx, flags, names: dict | None = None) -> str:
    """A person's flags in words: '缺少评分人：本人 — 工作积极性 ×3、服务态度 ×3'.

    names: indicator_names(ctx), worked out once for a table of people (from the whole
    explanation, it took 3.6 ms a person: 22 s for a 6,032-person department)."""
    tokens = [t.strip() for t in str(flags or "").split(";") if t.strip()]
    if not tokens:
        return ""
    names = indicator_names(ctx) if names is None else names
    grouped: dict[str, dict[str, int]] = {}
    for t in tokens:
        flag, _, key = t.partition(" ")
        if flag.startswith("forced_distribution"):
            grouped.setdefault("强制分布" + flag.partition(":")[2].join(("：", "")), {})
            continue
        where = grouped.setdefault(flag_kind(flag), {})
        name = names.get(key, key)
        where[name] = where.get(name, 0) + 1
    parts = []
    for kind, items in grouped.items():
        listed = "、".join(f"{n} ×{c}" if c > 1 else n for n, c in items.items())
        parts.append(f"{kind} — {listed}" if listed else kind)
    return "; ".join(parts)


# heatmap ---------------------------------------------------------------------------------------
def indicator_shares(ctx) -> dict[str, pd.DataFrame]:
    """Per role: people × indicators, each cell the points earned as % of the indicator's points,
    exact (a Fraction; NaN where a person has no such indicator).

    A roll-up sums the units' points and maxima (so it is the mean %). Bonus-only items
    (maximum 0) are left out. Rows are labelled 'name (employee_id)' in ranking order.
    """
    e = ctx.scores.explain
    if e.empty:
        return {}
    e = e[(e["rule"] != "total") & (e["max_points_c"] > 0)]
    order = ctx.ranking
    out = {}
    for role, part in e.groupby("role", sort=True):
        g = part.groupby([ID, "name", "indicator"], sort=False).agg(
            pts=("points_c", "sum"), top=("max_points_c", "sum")).reset_index()
        g["pct"] = [Fraction(100 * int(p), int(t)) for p, t in zip(g["pts"], g["top"])]
        g["who"] = g["name"].astype(str) + " (" + g[ID].astype(str) + ")"
        matrix = g.pivot(index="who", columns="indicator", values="pct")
        matrix = matrix[list(dict.fromkeys(part["indicator"]))]          # the card's order
        if len(order):
            ids = order[order["role"] == role]
            labels = (ids["name"].astype(str) + " (" + ids[ID].astype(str) + ")").tolist()
            matrix = matrix.reindex([x for x in labels if x in matrix.index]
                                    + [x for x in matrix.index if x not in labels])
        matrix.index.name = None
        matrix.columns.name = None
        out[role] = matrix
    return out


# trend -----------------------------------------------------------------------------------------
def trend(ctx, by: str = "role", unit: str | None = None) -> pd.DataFrame:
    """Mean total per `by` (role, or department) for every scored unit of the year up to the period:
    months (quarters for quarterly cards), or with unit="quarter" every person's quarter score
    (the quarterly card's total or the mean of his months), so that cadences do not mix.

    Columns: period, end (last day covered), <by>, people, mean (Decimal), mean_value (float, for charts).
    """
    units = ctx.history.units
    if units.empty:
        return pd.DataFrame(columns=["period", "end", by, "people", "mean", "mean_value"])
    ends = {p: Period.parse(p).end for p in units["period"].unique()}
    u = units[units["period"].map(ends) <= ctx.period.end]
    if unit == "quarter":
        from ..pay.run import quarter_scores
        last = u.groupby(u["period"].map(lambda p: Period.parse(p).quarter.label))["period"] \
            .agg(lambda ps: max(ends[p] for p in ps))
        q = quarter_scores(u).rename(columns={"quarter": "period"})
        q[by] = q[ID].map(u.drop_duplicates(ID).set_index(ID)[by])
        ends = {label: last[label] for label in q["period"].unique()}
        u = q
    rows = []
    for (label, key), part in u.groupby(["period", by], sort=True):
        m = (Decimal(int(part["total_c"].sum())) / len(part) / 100).quantize(CENT, ROUND_HALF_UP)
        shown = label
        if unit == "quarter" and ends[label] < Period.parse(label).end:
            shown = f"{label}（截至 {Period.parse(ends[label]).label}）"
        rows.append({"period": shown, "end": ends[label], by: key, "people": len(part), "mean": m,
                     "mean_value": float(m)})
    out = pd.DataFrame(rows)
    return out.sort_values(["end", by], kind="stable").reset_index(drop=True)


def trend_table(ctx, by: str = "role", unit: str | None = None) -> pd.DataFrame:
    """The trend as a table: one row per period, one column per role (or `by`) with the mean total."""
    t = trend(ctx, by, unit)
    if t.empty:
        return t
    order = t.drop_duplicates("period").set_index("period")["end"]
    wide = t.pivot(index="period", columns=by, values="mean")
    size = {p: (Period.parse(p.split("（")[0]).size if p else 0) for p in wide.index}
    wide = wide.reindex(sorted(wide.index, key=lambda p: (order[p], size[p])))
    wide.columns.name = None
    return wide.reset_index()


# branches --------------------------------------------------------------------------------------
def by_branch(ctx, by=("department", "branch", "role")) -> pd.DataFrame:
    """People and mean total per department, branch and role (or the columns `by`)."""
    by = list(by)
    r = ctx.ranking
    if r.empty:
        return pd.DataFrame(columns=[*by, "people", "mean", "mean_value"])
    rows = []
    for keys, part in r.groupby(by, sort=True):
        keys = keys if isinstance(keys, tuple) else (keys,)
        m = mean(part["total"])
        rows.append({**dict(zip(by, keys)), "people": len(part), "mean": m, "mean_value": float(m)})
    return pd.DataFrame(rows)


def departments(ctx) -> pd.DataFrame:
    """One row per department: people, mean total, grade counts, pay total of the period."""
    r = ctx.ranking
    if r.empty:
        return pd.DataFrame()
    counts = grade_counts(r, grades(ctx), by="department").set_index("department")
    rows = []
    pay = person_pay(ctx)
    for d, part in r.groupby("department", sort=True):
        row = {"department": d, "people": len(part), "mean": mean(part["total"]),
               "min": min(part["total"]), "max": max(part["total"])}
        row.update({g: int(counts.loc[d, g]) for g in counts.columns})
        mine = pay[pay["department"] == d] if len(pay) else pay
        row["pay_total"] = total(mine["合计"]) if len(mine) else Decimal("0.00")
        rows.append(row)
    return pd.DataFrame(rows)


def branches(ctx) -> pd.DataFrame:
    """Departments side by side: branches as rows, each department's mean total as a column."""
    b = by_branch(ctx)
    if b.empty:
        return b
    rows = []
    for (d, br), part in ctx.ranking.groupby(["department", "branch"], sort=True):
        rows.append({"branch": br, "department": d, "mean": mean(part["total"]), "people": len(part)})
    t = pd.DataFrame(rows)
    wide = t.pivot(index="branch", columns="department", values="mean")
    people = t.pivot(index="branch", columns="department", values="people").fillna(0).astype(int)
    wide.columns = [f"{c} 平均分" for c in wide.columns]
    people.columns = [f"{c} 人数" for c in people.columns]
    out = pd.concat([people, wide], axis=1)
    cols = [c for d in sorted(t["department"].unique()) for c in (f"{d} 人数", f"{d} 平均分")]
    return out[cols].rename_axis("branch").reset_index()


# bottom three and awards -----------------------------------------------------------------------
def bottom_three(ctx) -> tuple[pd.DataFrame, str]:
    """The monthly bottom three of the period with why (weakest indicators) and the plan's due date.

    From awards.csv where params/awards.yaml applies to the department; elsewhere the same
    selection is shown for reference, without an improvement plan. Returns (table, note).
    """
    from ..pay import awards

    units = ctx.scores.units
    cols = ["period", "branch", ID, "name", "role", "score", "bottom_rank", "group_size", "why"]
    months = [m for m in ctx.period.months() if len(units) and m.label in set(units["period"])]
    if not months:
        return pd.DataFrame(), "本期没有月度考核结果，无后三名。"
    role = _roles(ctx)
    applies = ctx.department in ctx.params.document("awards", months[0]).get("departments", [])
    if applies:
        a = ctx.table("awards.csv")
        rows = a[a["kind"] == "bottom_three"].copy() if len(a) and "kind" in a else pd.DataFrame()
        if rows.empty:
            return rows, "本期没有后三名（各组人数不足）。"
        rows["role"] = rows[ID].map(role)
        for col in ("bottom_rank", "group_size"):
            rows[col] = pd.to_numeric(rows[col], errors="coerce").astype("Int64")
        return rows[cols + ["bulletin_date", "plan_due"]].reset_index(drop=True), ""
    parts = []
    for m in months:
        t = awards.bottom_three(units, ctx.scores.explain, m, ctx.params.document("awards", m))
        if len(t):
            t["role"] = t[ID].map(role)
            parts.append(t[cols])
    if not parts:
        return pd.DataFrame(), "本期没有后三名（各组人数不足）。"
    note = ("params/awards.yaml 的后三名整改规定不适用于本部门；下表按同一方法列出各月后三名，仅供参考，"
            "无整改方案截止日期。")
    return pd.concat(parts, ignore_index=True), note


def awards_table(ctx) -> pd.DataFrame:
    """Quarterly ranking awards paid in the period (ranks 1-3, ties each awarded)."""
    a = ctx.table("awards.csv")
    if a.empty or "kind" not in a or "award" not in a:
        return pd.DataFrame()
    rows = a[(a["kind"] == "quarterly_award")].copy()
    rows = rows[rows["award"].map(dec) > 0]
    if rows.empty:
        return rows
    rows["role"] = rows[ID].map(_roles(ctx))
    rows["months"] = pd.to_numeric(rows["months"], errors="coerce").astype("Int64")
    rows["rank"] = pd.to_numeric(rows["rank"], errors="coerce").astype("Int64")
    return rows[["period", "role", "branch", ID, "name", "months", "score", "rank", "award", "note"]] \
        .reset_index(drop=True)


# pay ---------------------------------------------------------------------------------------------
PAY_COLUMNS = ["月度绩效奖金", "提成奖金", "浮动工资", "扣发固定工资", "排名奖励", "年度绩效工资"]


def person_pay(ctx) -> pd.DataFrame:
    """Each person's pay of the period from the pay tables, and 合计 (withheld counts negative).

    月度绩效奖金 bonus.csv; 提成奖金 commission.csv bonus ((commission + back-pay + service) ×
    KPI factor); 浮动工资 commission.csv floating_wage_amount; 扣发固定工资 commission.csv
    withheld; 排名奖励 awards.csv; 年度绩效工资 pool.csv.
    """
    t = ctx.tables
    parts = []

    def add(name, column, table, sign=1):
        if table is None or table.empty or column not in table:
            return
        v = table[[ID, column]].copy()
        v["amount"] = v[column].map(dec) * sign
        parts.append(v.groupby(ID)["amount"].sum().rename(name))

    add("月度绩效奖金", "bonus", t.get("bonus.csv"))
    c = t.get("commission.csv")
    add("提成奖金", "bonus", c)
    add("浮动工资", "floating_wage_amount", c)
    add("扣发固定工资", "withheld", c)
    a = t.get("awards.csv")
    if a is not None and "kind" in a:
        add("排名奖励", "award", a[a["kind"] == "quarterly_award"])
    add("年度绩效工资", "amount", t.get("pool.csv"))
    if not parts:
        return pd.DataFrame(columns=[ID, "name", "department", "role", *PAY_COLUMNS, "合计"])
    out = pd.concat(parts, axis=1)
    for col in PAY_COLUMNS:
        if col not in out:
            out[col] = Decimal(0)
    out = out[PAY_COLUMNS].apply(lambda col: col.map(lambda v: dec(v).quantize(CENT)))
    out["合计"] = [(r["月度绩效奖金"] + r["提成奖金"] + r["浮动工资"] - r["扣发固定工资"] + r["排名奖励"]
                  + r["年度绩效工资"]) for _, r in out.iterrows()]
    roster = ctx.inputs.roster.drop_duplicates(ID, keep="last").set_index(ID)
    out = out.rename_axis(ID).reset_index()
    info = pd.DataFrame({c: out[ID].map(roster[c]) for c in ("name", "department", "role")})
    out = pd.concat([out[[ID]], info, out.drop(columns=[ID])], axis=1)
    return out.sort_values(["department", "role", ID], kind="stable").reset_index(drop=True)


def pay_table(ctx) -> pd.DataFrame:
    """`person_pay` for display: the people paid something, the kinds of pay the period has."""
    p = person_pay(ctx)
    if p.empty:
        return p
    keep = [c for c in PAY_COLUMNS if any(dec(v) != 0 for v in p[c])]
    paid = p[[any(dec(r[c]) != 0 for c in keep) for _, r in p.iterrows()]] if keep else p.iloc[0:0]
    cols = [ID, "name", "role", *keep, "合计"]
    if ctx.department is None:
        cols.insert(2, "department")
    return paid[cols].reset_index(drop=True)


def pay_totals(ctx) -> dict[str, Decimal]:
    """The period's pay totals of the department, by kind (only the kinds it has)."""
    p = person_pay(ctx)
    if p.empty:
        return {}
    out = {f"{col}合计": total(p[col]) for col in PAY_COLUMNS if any(dec(v) != 0 for v in p[col])}
    if out:
        out["绩效工资合计"] = total(p["合计"])
    return out


def pay_details(ctx) -> list[tuple[str, pd.DataFrame, dict]]:
    """(caption, table, labels) of the department's pay tables other than the awards."""
    out = []
    b = ctx.table("bonus.csv")
    if len(b):
        out.append(("月度绩效奖金 = 当月总分 / 100 × 月度绩效奖金基数", b,
                    {"total": "当月总分", "base": "月度绩效奖金基数", "bonus": "当月绩效奖金"}))
    c = ctx.table("commission.csv")
    if len(c):
        cols = ["quarter", ID, "name", "X", "case", "commission", "backpay", "service_commission",
                "kpi_coefficient", "bonus", "floating_wage_amount", "withheld"]
        out.append(("季度提成（明细见提成结算报告）", ledger(ctx)[[x for x in cols if x in c]], LEDGER_LABELS))
    p = ctx.table("pool.csv")
    if len(p):
        out.append(("年度绩效工资", p.drop(columns=["year", "formula"]), {}))
    return out


def pay_by_department(ctx) -> pd.DataFrame:
    """Pay of the period per department and kind, with the total."""
    p = person_pay(ctx)
    if p.empty:
        return p
    rows = []
    for d, part in p.groupby("department", sort=True):
        rows.append({"department": d, "people": len(part),
                     **{c: total(part[c]).quantize(CENT) for c in [*PAY_COLUMNS, "合计"]}})
    out = pd.DataFrame(rows)
    keep = [c for c in PAY_COLUMNS if any(v != 0 for v in out[c])]
    out = out[["department", "people", *keep, "合计"]]
    sums = {"department": "合计", "people": int(out["people"].sum()),
            **{c: total(out[c]).quantize(CENT) for c in [*keep, "合计"]}}
    return pd.concat([out, pd.DataFrame([sums])], ignore_index=True)


# commission ------------------------------------------------------------------------------------
CASES = {"new": "新人首季"}


def ledger(ctx) -> pd.DataFrame:
    """commission.csv without its long text columns (the statements show the formulas)."""
    c = ctx.table("commission.csv")
    if c.empty:
        return c
    out = c.drop(columns=[x for x in ("formula", "filled") if x in c]).copy()
    out["case"] = out["case"].map(lambda v: CASES.get(str(v), v))
    return out


LEDGER_LABELS = {"base": "任务基数 B", "bonus": "实发奖金", "case": "情形"}
REVENUE_TYPES = {"software": "软件", "implementation": "实施", "secondary_dev": "二次开发",
                 "maintenance": "维护", "training": "培训"}
STREAMS = {"task": "任务（计入任务额）", "service": "服务（6% 全额）", "excluded": "不计入"}


def deal_lines(lines: pd.DataFrame) -> pd.DataFrame:
    """Deal lines (credited or excluded) with revenue types and streams in Chinese."""
    if lines is None or lines.empty:
        return pd.DataFrame() if lines is None else lines
    out = lines.drop(columns=[c for c in ("_file", "_row") if c in lines]).copy()
    if "revenue_type" in out:
        out["revenue_type"] = out["revenue_type"].map(lambda v: REVENUE_TYPES.get(v, v))
    if "stream" in out:
        out["stream"] = out["stream"].map(lambda v: STREAMS.get(v, v))
    return out.reset_index(drop=True)


def excluded_deals(ctx) -> pd.DataFrame:
    return deal_lines(ctx.table("excluded_deals.csv"))


def commission_cost(ctx) -> pd.DataFrame:
    """Cost of the quarter(s): the ledger's amounts summed, and what the company pays.

    计提合计 = commission + back-pay + service commission; 实发奖金 = that × KPI factor
    (the ledger's bonus, rounded per person); cost = 实发奖金 + 浮动工资 − 扣发固定工资.
    """
    c = ctx.table("commission.csv")
    if c.empty:
        return pd.DataFrame(columns=["item", "amount", "note"])
    commission, backpay, service = total(c["commission"]), total(c["backpay"]), total(c["service_commission"])
    gross = commission + backpay + service
    bonus = total(c["bonus"])
    floating = total(c["floating_wage_amount"]) if "floating_wage_amount" in c else Decimal(0)
    withheld = total(c["withheld"])
    cost = bonus + floating - withheld
    rows = [
        ("计提奖金", commission, "台账各情形（SPEC 7 情形 1–6、新人首季）计提的奖金"),
        ("补发奖金", backpay, "补足以前季度任务基数后补发的奖金"),
        ("服务类提成", service, "维护、培训收入按服务提成比例全额计提，不受任务约束"),
        ("计提合计", gross, "计提奖金 + 补发奖金 + 服务类提成"),
        ("KPI 调整", bonus - gross, "× (80% + 20% × KPI 系数)，每人四舍五入到分"),
        ("实发奖金", bonus, "台账的实发奖金合计"),
        ("浮动工资", floating, "达成目标发放的浮动工资"),
        ("扣发固定工资", -withheld, "本季核算额低于任务基数，扣发固定工资"),
        ("本季成本", cost, "实发奖金 + 浮动工资 − 扣发固定工资"),
    ]
    return pd.DataFrame([{"item": a, "amount": b.quantize(CENT), "note": n} for a, b, n in rows])


def statements(ctx) -> list[dict]:
    """Per salesperson and quarter: person, the quarter's ledger row, its credited and excluded lines."""
    out = []
    for name, args in ctx.statements:
        q = args["quarter"]
        led = args["ledger"]
        row = led[led["quarter"] == q].copy()
        row["case"] = row["case"].map(lambda v: CASES.get(str(v), v))
        lines = args["lines"]
        out.append({
            "file": name,
            "person": args["person"],
            "quarter": q,
            "row": row.iloc[0] if len(row) else None,
            "history": led.reset_index(drop=True),
            "lines": deal_lines(lines.drop(columns=[c for c in (ID, "quarter") if c in lines])),
            "kpi_score": args.get("extra", {}).get("kpi_score"),
            "notes": list(args.get("extra", {}).get("notes", [])),
        })
    return out


# pool ------------------------------------------------------------------------------------------------
def pool_year(ctx) -> Period:
    return ctx.period.year_period


def pool_weights(ctx) -> pd.DataFrame:
    """Grade × tenure: the weight (grade coefficient × tenure coefficient) and people in each cell."""
    year = pool_year(ctx)
    doc = ctx.params.document("pool", year)
    bands = sorted(doc["tenure_coefficients"], key=lambda b: b["min_years"])
    labels = []
    for i, b in enumerate(bands):
        lo = int(b["min_years"])
        hi = int(bands[i + 1]["min_years"]) if i + 1 < len(bands) else None
        labels.append(f"{lo}–{hi} 年" if hi is not None else f"≥ {lo} 年")
    p = ctx.table("pool.csv")
    rows = []
    for g, gc in doc["grade_coefficients"].items():
        row = {"grade": g, "grade_coefficient": dec(gc)}
        for i, b in enumerate(bands):
            w = (dec(gc) * dec(b["coefficient"])).normalize()
            lo = int(b["min_years"])
            hi = int(bands[i + 1]["min_years"]) if i + 1 < len(bands) else None
            n = 0
            if len(p):
                yrs = pd.to_numeric(p["tenure_years"], errors="coerce")
                hit = (p["grade"] == g) & (yrs >= lo) & ((yrs < hi) if hi is not None else True)
                n = int(hit.sum())
            row[f"{labels[i]} (×{dec(b['coefficient'])})"] = f"{w:f} · {n} 人"
        rows.append(row)
    return pd.DataFrame(rows)


def pool_allocation(ctx) -> tuple[pd.DataFrame, Decimal | None, Decimal]:
    """(pool.csv of the department with a 合计 row, the budget, the sum allocated)."""
    p = ctx.table("pool.csv")
    year = pool_year(ctx)
    budgets = ctx.inputs.pools
    budget = None
    if budgets is not None and len(budgets):
        mine = budgets[(budgets["year"].astype(str) == str(year.year))
                       & ((budgets["department"] == ctx.department) if ctx.department else True)]
        if len(mine):
            budget = total(mine["budget"]).quantize(CENT)
    if p.empty:
        return p, budget, Decimal("0.00")
    allocated = total(p["amount"]).quantize(CENT)
    show = p.drop(columns=["year"] + (["department"] if ctx.department else [])).copy()
    sum_row = {c: "" for c in show.columns}
    sum_row.update({"name": "合计", "weight": total(p["weight"]), "amount": allocated})
    show = pd.concat([show, pd.DataFrame([sum_row])], ignore_index=True)
    return show, budget, allocated


# data quality ------------------------------------------------------------------------------------
FLAG_TEXT = {
    "missing_actual": "缺少实际值（实绩）",
    "missing_target": "缺少目标值",
    "missing_rating": "无人评分",
    "missing_rater": "缺少评分人",
}


def flag_kind(flag: str) -> str:
    head = str(flag).split(":", 1)[0]
    text = FLAG_TEXT.get(head, head)
    return f"{text}：{flag.split(':', 1)[1]}" if ":" in str(flag) and head in FLAG_TEXT else text


def input_summary(ctx) -> str:
    """One line on the inputs' check, in Chinese."""
    rep = ctx.inputs.report
    if not len(rep):
        return "输入检查：没有发现问题。"
    left_out = len({(p.file, p.sheet, p.row) for p in rep.problems if p.skipped})
    return (f"输入检查：{len(rep.errors)} 个错误、{len(rep.warnings)} 个警告；{left_out} 行（或文件）被剔除，"
            "其余数据照常计算，详见“数据质量”。")


def data_quality(ctx) -> dict[str, object]:
    """What the reader should know about the data behind the numbers.

    rejected: input rows left out (errors); flagged: input warnings (rows kept);
    indicator_flags: scored indicators flagged (missing raters, ratings, actuals, targets);
    flag_counts: those per kind; notes: what the scoring and the pay said; summary: one line.
    """
    rep = ctx.inputs.report
    frame = rep.to_frame()
    cols = ["file", "sheet", "row", "column", "value", "message", "fix"]
    frame["severity"] = frame["severity"].map(lambda v: {"error": "错误", "warning": "警告"}.get(v, v))
    rejected = frame[frame["skipped"]][["severity", *cols]].reset_index(drop=True)
    flagged = frame[~frame["skipped"]][["severity", *cols]].reset_index(drop=True)
    f = ctx.flagged
    if len(f):
        ind = f[["period", ID, "name", "role", "indicator", "flag", "note"]].copy()
        ind["kind"] = ind["flag"].map(flag_kind)
        counts = ind.groupby("kind").agg(rows=("flag", "size"), people=(ID, "nunique")).reset_index()
        ind = ind.drop(columns=["kind"]).sort_values(["flag", "period", ID], kind="stable").reset_index(drop=True)
    else:
        ind = pd.DataFrame(columns=["period", ID, "name", "role", "indicator", "flag", "note"])
        counts = pd.DataFrame(columns=["kind", "rows", "people"])
    person_flags = ctx.ranking[ctx.ranking["flags"].astype(str).str.contains("forced_distribution")] \
        if len(ctx.ranking) else pd.DataFrame()
    return {"summary": input_summary(ctx), "rejected": rejected, "flagged": flagged,
            "indicator_flags": ind, "flag_counts": counts, "forced": person_flags, "notes": ctx.notes}


# per person ------------------------------------------------------------------------------------------
def scorecards(ctx) -> list[dict]:
    """One entry per person in ranking order: the ranking row and the explanation rows."""
    r, e = ranking(ctx), ctx.explanations
    if r.empty:
        return []
    cols = ["period", "section", "indicator", "rule", "max_points", "inputs", "points", "note", "flag"]
    groups = slices(e, ID, cols)
    out = []
    for _, row in r.iterrows():
        rows = groups.get(row[ID])
        out.append({"row": row, "explain": rows if rows is not None else pd.DataFrame(columns=cols)})
    return out


# scenario ---------------------------------------------------------------------------------------------
def scenario(base, alt) -> dict[str, object]:
    """Per-person change of total, grade and pay from `base` to `alt` (same period, department).

    Returns people (one row per person; *_before / *_after / delta), gains and losses (people
    whose pay or total moves), cost (pay totals by kind, before, after, change) and grades
    (grade counts before and after).
    """
    b, a = base.ranking, alt.ranking
    keys = [ID, "name", "department", "role"]
    people = b[keys + ["total", "grade"]].merge(a[[ID, "total", "grade"]], on=ID, how="outer",
                                               suffixes=("_before", "_after"))
    pb, pa = person_pay(base), person_pay(alt)
    pay = pd.DataFrame({ID: pd.Index(pb[ID]).union(pd.Index(pa[ID]))})
    pay["pay_before"] = pay[ID].map(pb.set_index(ID)["合计"]) if len(pb) else None
    pay["pay_after"] = pay[ID].map(pa.set_index(ID)["合计"]) if len(pa) else None
    people = people.merge(pay, on=ID, how="outer")
    roster = base.inputs.roster.drop_duplicates(ID, keep="last").set_index(ID)
    for col in ("name", "department", "role"):
        people[col] = people[col].where(people[col].notna(), people[ID].map(roster[col]))
    for col in ("total_before", "total_after", "pay_before", "pay_after"):
        people[col] = people[col].map(lambda v: dec(v).quantize(CENT))
    people["total_change"] = people["total_after"] - people["total_before"]
    people["pay_change"] = people["pay_after"] - people["pay_before"]
    people["grade_change"] = np.where(people["grade_before"].fillna("") == people["grade_after"].fillna(""),
                                      "", people["grade_before"].fillna("—") + " → " + people["grade_after"].fillna("—"))
    people = people[[ID, "name", "role", "total_before", "total_after", "total_change", "grade_before",
                     "grade_after", "grade_change", "pay_before", "pay_after", "pay_change"]]
    people = people.sort_values(["pay_change", "total_change", ID], ascending=[False, False, True],
                                kind="stable").reset_index(drop=True)
    moved = (people["pay_change"] != 0) | (people["total_change"] != 0) | (people["grade_change"] != "")
    gains = people[moved & ((people["pay_change"] > 0) | ((people["pay_change"] == 0) & (people["total_change"] > 0)))]
    losses = people[moved & ((people["pay_change"] < 0) | ((people["pay_change"] == 0) & (people["total_change"] < 0)))]
    losses = losses.iloc[::-1].reset_index(drop=True)
    rows = []
    for col in [*PAY_COLUMNS, "合计"]:
        before = total(pb[col]) if len(pb) else Decimal(0)
        after = total(pa[col]) if len(pa) else Decimal(0)
        if before == 0 and after == 0 and col != "合计":
            continue
        sign = -1 if col == "扣发固定工资" else 1
        rows.append({"item": col if col != "合计" else "总成本", "before": (sign * before).quantize(CENT),
                     "after": (sign * after).quantize(CENT), "change": (sign * (after - before)).quantize(CENT)})
    cost = pd.DataFrame(rows, columns=["item", "before", "after", "change"])
    g_before = grade_counts(b, grades(base)).assign(scope="现行参数")
    g_after = grade_counts(a, grades(alt)).assign(scope="调整后")
    return {"people": people, "gains": gains.reset_index(drop=True), "losses": losses,
            "cost": cost, "grades": pd.concat([g_before, g_after], ignore_index=True)}


def overlay_lines(overlay: dict) -> pd.DataFrame:
    """The overlay as rows: file, key path, new value (for the notebook to show what changed)."""
    rows = []

    def walk(rel, prefix, value):
        if isinstance(value, dict) and value and not all(_is_date(k) for k in value):
            for k, v in value.items():
                walk(rel, f"{prefix}.{k}" if prefix else str(k), v)
        else:
            rows.append({"file": rel, "key": prefix, "value": str(value) if not isinstance(value, dict)
                         else ", ".join(f"{k}: {v}" for k, v in value.items())})

    for rel, changes in (overlay or {}).items():
        walk(str(rel), "", changes)
    return pd.DataFrame(rows, columns=["file", "key", "value"])


def _is_date(key) -> bool:
    return isinstance(key, date) or bool(re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", str(key)))
