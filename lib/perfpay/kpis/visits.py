"""Visit management of SPEC 6 (大客户拜访): KPIs per person and the visits to act on.

    visit_kpis(visits, period, settings)       # visits, visit_summary_rate, visit_followup_rate
    blocked_visits(visits, period, settings)   # visits without a summary (no reimbursement) or
                                               # without a follow-up within the week

A visit belongs to the period of its visit_date. It has a summary when summary_date is filled
(无拜访总结不得报销费用). It is followed up in time when follow_up_date falls 0 to
`follow_up_days` days after the visit, both ends included: a visit on 07-01 followed up on
07-08 (7 days) is in time, on 07-09 (8 days) late. A follow-up dated before the visit is no
follow-up. The rates are per person and, as a ratio of sums, for the department.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..exact import CENT, fmt
from ..periods import Period
from .accounts import DEPARTMENT, join_texts, kpi_rows, source_trace     # KPI rows and traces: shared until frame.py

BLOCKED_COLUMNS = ["visit_id", "employee_id", "customer_id", "visit_date", "summary_date",
                   "follow_up_date", "follow_up_due", "expense", "blocks_reimbursement",
                   "follow_up_late", "reason", "source_rows"]


@dataclass(frozen=True)
class VisitSettings:
    """SPEC 6 defaults; params/kpis.yaml `visits` uses the same names."""

    summary_required: bool = True      # a visit without a summary may not be reimbursed
    follow_up_days: int = 7            # a follow-up is due within this many days (the last one included)


def visit_kpis(visits: pd.DataFrame, period, settings: VisitSettings = VisitSettings(),
               department: str = DEPARTMENT) -> pd.DataFrame:
    """Per person with visits in `period`, and for the department: visits (count),
    visit_summary_rate and visit_followup_rate (percent of the visits). KPI_COLUMNS."""
    p = Period.parse(period)
    v = _visits(visits, p, settings)
    people = v.groupby("employee_id", sort=True) \
        .agg(visits=("visit_id", "size"), summary=("has_summary", "sum"), followed=("in_time", "sum"))
    units = pd.concat([
        people.assign(level="person").rename_axis("unit").reset_index(),
        pd.DataFrame({"unit": [department], "visits": [len(v)], "summary": [int(v["has_summary"].sum())],
                      "followed": [int(v["in_time"].sum())], "level": ["department"]}),
    ], ignore_index=True)
    units["note"] = "" if len(v) else "no visits in the period"

    traced = source_trace(pd.concat([v.assign(unit=v["employee_id"]), v.assign(unit=department)]), ["unit"])
    trace = units["unit"].map(traced.set_index("unit")["source_rows"])
    days = settings.follow_up_days
    return pd.concat([
        kpi_rows(p, units, department, "visits", "拜访次数", units["visits"], None, "count", "visits",
                 trace, units["note"]),
        kpi_rows(p, units, department, "visit_summary_rate", "拜访总结率", units["summary"], units["visits"],
                 "percent", "visits", trace, units["note"]),
        kpi_rows(p, units, department, "visit_followup_rate", f"拜访后{days}天内跟进率", units["followed"],
                 units["visits"], "percent", "visits", trace, units["note"]),
    ], ignore_index=True)


def blocked_visits(visits: pd.DataFrame, period, settings: VisitSettings = VisitSettings()) -> pd.DataFrame:
    """The visits of `period` to act on: BLOCKED_COLUMNS, those that block reimbursement first.

    blocks_reimbursement: no summary (when summaries are required); follow_up_late: no
    follow-up within the days allowed (listed, not blocking). `expense` is in fen."""
    p = Period.parse(period)
    v = _visits(visits, p, settings)
    v["blocks_reimbursement"] = ~v["has_summary"] & settings.summary_required
    v["follow_up_late"] = ~v["in_time"]
    v = v[v["blocks_reimbursement"] | v["follow_up_late"]].copy()

    claimed = v["expense"].notna()
    yuan = pd.Series(fmt(v["expense"].fillna(0).astype("int64").to_numpy(), CENT, 2, trim=False).to_numpy(),
                     index=v.index)
    no_summary = "无拜访总结，不得报销费用" + ("（报销 " + yuan + " 元）").where(claimed, "")
    due = v["follow_up_due"].dt.strftime("%Y-%m-%d")
    done = v["follow_up_date"].dt.strftime("%Y-%m-%d")
    late = ("跟进日期 " + done + " 晚于 " + due + "（拜访后 " + v["follow_up_after"].astype("Int64").astype(str)
            + " 天）").where(v["follow_up_after"] > settings.follow_up_days,
                            "跟进日期 " + done + " 早于拜访日期")
    late = late.where(v["follow_up_date"].notna(), "未记录跟进，应不晚于 " + due)
    v["reason"] = join_texts(no_summary.where(v["blocks_reimbursement"]), late.where(v["follow_up_late"]))
    v["n"] = range(len(v))                                  # a visit id may repeat across files
    v = v.merge(source_trace(v, ["n"]), on="n", how="left")
    v = v.sort_values(["blocks_reimbursement", "employee_id", "visit_date", "visit_id"],
                      ascending=[False, True, True, True], kind="stable")
    v["expense"] = pd.Series([None if pd.isna(x) else int(x) for x in v["expense"]], index=v.index, dtype=object)
    return v[BLOCKED_COLUMNS].reset_index(drop=True)


def _visits(visits: pd.DataFrame, p: Period, settings: VisitSettings) -> pd.DataFrame:
    """The visits dated in `p`, with has_summary, follow_up_after (days), in_time, follow_up_due."""
    v = visits.copy()
    for name in ("visit_date", "summary_date", "follow_up_date"):
        v[name] = pd.to_datetime(v[name]).dt.normalize()
    for name in ("customer_id", "expense", "_file", "_sheet"):
        if name not in v:
            v[name] = None
    if "_row" not in v:
        v["_row"] = range(2, len(v) + 2)
    v = v[(v["visit_date"] >= pd.Timestamp(p.start)) & (v["visit_date"] <= pd.Timestamp(p.end))].copy()
    v["visit_id"] = v["visit_id"].astype(str)
    v["expense"] = pd.to_numeric(v["expense"], errors="coerce").astype("Int64")
    v["has_summary"] = v["summary_date"].notna()
    v["follow_up_after"] = (v["follow_up_date"] - v["visit_date"]).dt.days
    v["in_time"] = v["follow_up_after"].between(0, settings.follow_up_days).fillna(False).astype(bool)
    v["follow_up_due"] = v["visit_date"] + pd.Timedelta(days=settings.follow_up_days)
    return v.reset_index(drop=True)
