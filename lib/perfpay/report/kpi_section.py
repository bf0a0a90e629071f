"""The report's KPI section: operational KPIs computed from the raw records (ctx.kpis).

    kpi_section.headline(ctx)      # {KPI name: value text} of the department for the period
    kpi_section.by_unit(ctx)       # KPI × (department, branches) for the period
    kpi_section.people(ctx)        # person × KPI for the period, with names
    kpi_section.chart(ctx)         # spread of the people's rate KPIs, by branch
    kpi_section.key_accounts(ctx)  # classes, retention, lost accounts, visits blocking reimbursement

Values are shown rounded half-up for reading; kpis.csv holds the exact numerators and
denominators each value comes from.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pandas as pd

from .charts import PALETTE, _empty, _figure, _order

UNIT_TEXT = {"percent": "%", "seconds": " 秒", "hours": " 小时", "score": "", "count": ""}
PLACES = {"percent": "0.01", "seconds": "0.1", "hours": "0.01", "score": "0.01", "count": "1"}
HEADLINE = ("answer_rate", "first_contact_resolution", "satisfaction", "handling_time", "qa_score",
            "followup_rate", "feedback_on_time", "complaint_within_sla", "retention", "visit_summary_rate")


def show(value, measure: str) -> str:
    """A KPI value for reading: 95.79%, 291.9 秒, 4.31, 1,257; '—' when there is none."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    d = Decimal(str(value)).quantize(Decimal(PLACES.get(measure, "0.01")), ROUND_HALF_UP)
    text = f"{d:,}" if measure == "count" else f"{d:,.{max(0, -d.as_tuple().exponent)}f}"
    return text + UNIT_TEXT.get(measure, "")


def _period_rows(ctx, level: str) -> pd.DataFrame:
    k = ctx.kpis.kpis
    if k.empty:
        return k
    return k[(k["period"] == ctx.period.label) & (k["level"] == level)]


def _shown(rows: pd.DataFrame) -> pd.Series:
    return pd.Series([show(v, m) for v, m in zip(rows["value"], rows["measure"])], index=rows.index, dtype=object)


def headline(ctx) -> dict[str, str]:
    rows = _period_rows(ctx, "department")
    if rows.empty:
        return {}
    rows = rows[rows["kpi"].isin(HEADLINE)].assign(order=lambda d: d["kpi"].map(HEADLINE.index))
    rows = rows.sort_values("order")
    return dict(zip(rows["name"], _shown(rows)))


def by_unit(ctx) -> pd.DataFrame:
    """One row per KPI: the department's value (with numerator / denominator), then each branch's."""
    dept, branch = _period_rows(ctx, "department"), _period_rows(ctx, "branch")
    if dept.empty:
        return pd.DataFrame()
    out = pd.DataFrame({"KPI": dept["name"].to_numpy(), "部门": _shown(dept).to_numpy(),
                        "分子 / 分母": [_ratio(n, d, m) for n, d, m in
                                      zip(dept["numerator"], dept["denominator"], dept["measure"])],
                        "说明": dept["note"].fillna("").to_numpy()}, index=dept["kpi"].to_numpy())
    if len(branch):
        wide = branch.assign(text=_shown(branch)).pivot(index="kpi", columns="unit", values="text")
        out = out.join(wide)
    cols = [c for c in out.columns if c != "说明"] + ["说明"]
    return out[cols].reset_index(drop=True)


def _ratio(numerator, denominator, measure: str) -> str:
    """'98,073 / 102,381'; a count shows its number alone; a fraction is shown to 0.01 (≈)."""
    if measure == "count" or denominator is None:
        return _number(numerator)
    return f"{_number(numerator)} / {_number(denominator)}"


def _number(v) -> str:
    if v is None:
        return ""
    if isinstance(v, Fraction) and v.denominator != 1:
        d = (Decimal(v.numerator) / Decimal(v.denominator)).quantize(Decimal("0.01"), ROUND_HALF_UP)
        return f"≈{d:,}"
    d = Decimal(str(v))
    return f"{d:,}"


def people(ctx) -> pd.DataFrame:
    """Person × KPI values of the period (people with any value), sorted by branch and id."""
    rows = _period_rows(ctx, "person")
    if rows.empty:
        return pd.DataFrame()
    roster = ctx.inputs.roster.set_index("employee_id")
    wide = rows.assign(text=_shown(rows)).pivot(index="unit", columns="name", values="text")
    order = rows.drop_duplicates("name")["name"].tolist()
    wide = wide[[c for c in order if c in wide.columns]]
    names = pd.DataFrame({"工号": wide.index, "姓名": roster["name"].reindex(wide.index).to_numpy(),
                          "分部": roster["branch"].reindex(wide.index).fillna("").to_numpy()}, index=wide.index)
    out = names.join(wide).sort_values(["分部", "工号"])
    return out.reset_index(drop=True)


def chart(ctx, title: str = "个人运营指标分布（按分部）"):
    """Box-and-points of the people's percent KPIs, one colour per branch."""
    import numpy as np
    from matplotlib.patches import Patch

    rows = _period_rows(ctx, "person")
    rows = rows[(rows["measure"] == "percent") & rows["value"].notna()] if len(rows) else rows
    if rows.empty:
        return _empty(title)
    branch = ctx.inputs.roster.set_index("employee_id")["branch"].fillna("总部")
    data = pd.DataFrame({"KPI": rows["name"].to_numpy(), "值": rows["value"].astype(float).to_numpy(),
                         "分部": rows["unit"].map(branch).fillna("").to_numpy()})
    kpis, branches = _order(data["KPI"]), _order(data["分部"])
    n = len(kpis)
    fig, ax = _figure(max(7.5, 1.1 * n + 3), 4.2)
    width = 0.8 / len(branches)
    jitter = np.random.default_rng(0)               # the same dots on every run
    line = {"color": ".25", "linewidth": 0.8}
    for b, unit in enumerate(branches):             # one box per KPI the branch has values for
        part = data[data["分部"] == unit]
        values = [v.to_numpy() for _, v in part.groupby("KPI", sort=False)["值"]]
        at = np.array([kpis.index(k) for k in _order(part["KPI"])]) + (b - (len(branches) - 1) / 2) * width
        colour = PALETTE[b % len(PALETTE)]
        ax.boxplot(values, positions=at, widths=width * 0.9, showfliers=False, patch_artist=True,
                   manage_ticks=False, boxprops={"facecolor": colour, "edgecolor": ".25", "linewidth": 0.8},
                   medianprops=line, whiskerprops=line, capprops=line)
        x = np.concatenate([np.full(len(v), a) for v, a in zip(values, at)])
        ax.scatter(x + jitter.uniform(-width * 0.3, width * 0.3, len(x)), np.concatenate(values), s=2.5 ** 2,
                   color="#374151", alpha=0.6, linewidths=0, zorder=3)
    ax.set_xticks(range(n), kpis)
    ax.set_xlim(-0.5, n - 0.5)
    ax.grid(False, axis="x")
    ax.set_ylabel("%")
    ax.set_xlabel("")
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=30, labelsize=9)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    handles = [Patch(facecolor=PALETTE[i % len(PALETTE)], edgecolor=".25", label=str(b))
               for i, b in enumerate(branches)]
    ax.legend(handles=handles, title="分部", frameon=False, fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1))
    return fig


def key_accounts(ctx) -> dict[str, pd.DataFrame]:
    """Tables of the key-account part (empty dict for a department without orders or visits)."""
    r = ctx.kpis
    out: dict[str, pd.DataFrame] = {}
    if len(r.accounts):
        counts = r.accounts.groupby("class").size()
        out[f"大客户分类（截至 {ctx.period.end.isoformat()}，可重叠）"] = pd.DataFrame(
            {"类别": counts.index, "客户数": counts.to_numpy()})
    if len(r.churn):
        lost = r.churn[r.churn["lost"].astype(bool)]
        out["本期流失的大客户"] = lost[["customer_id", "customer_name", "employee_id", "classes", "reason"]] \
            .rename(columns={"customer_id": "客户编号", "customer_name": "客户名称", "employee_id": "销售",
                             "classes": "类别", "reason": "原因"})
    if len(r.visits):
        blocked = r.visits[r.visits["blocks_reimbursement"].astype(bool)]
        out["无拜访总结、不得报销的拜访"] = blocked[["visit_id", "employee_id", "customer_id", "visit_date",
                                             "expense", "reason"]].assign(
            expense=lambda d: d["expense"].map(lambda f: None if f is None or f != f else Decimal(int(f)) / 100)
        ).rename(columns={"visit_id": "拜访编号", "employee_id": "工号", "customer_id": "客户编号",
                          "visit_date": "拜访日期", "expense": "报销金额", "reason": "原因"})
    return out
