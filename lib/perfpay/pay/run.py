"""`perfpay pay`: every amount of a period, per department, from the inputs and the params.

Commission needs the ledger's history: the quarters are replayed from the first quarter
with sales data up to the period's last quarter, so a rerun gives the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..exact import obj, round_half_up
from ..periods import Period
from ..scorecard import score
from . import awards, bonus, pool

ID = "employee_id"


@dataclass
class PayResult:
    period: Period
    tables: dict[str, dict[str, pd.DataFrame]] = field(default_factory=dict)   # department -> file -> table
    statements: dict[str, list] = field(default_factory=dict)                  # department -> [statement args]
    notes: list[str] = field(default_factory=list)

    def add(self, department: str, name: str, table: pd.DataFrame) -> None:
        if table is None or table.empty:
            return
        have = self.tables.setdefault(department, {})
        have[name] = pd.concat([have[name], table], ignore_index=True) if name in have else table

    def merge(self, other: "PayResult") -> None:
        """Add `other`'s tables, statements and notes after this one's (as if computed into it)."""
        for department, tables in other.tables.items():
            for name, table in tables.items():
                self.add(department, name, table)
        for department, items in other.statements.items():
            self.statements.setdefault(department, []).extend(items)
        self.notes += other.notes


def _scores_by_year(params, inputs, period: Period, first: Period | None = None) -> dict:
    """Scores of every year from `first` (or the period's year) to the period's year."""
    years = range((first or period).year, period.year + 1)
    return {y: score(params, inputs, Period.parse(str(y))) for y in years}


def quarter_scores(units: pd.DataFrame) -> pd.DataFrame:
    """Each person's score per quarter: the quarterly card's total, or the mean of the months (exact)."""
    u = units.assign(quarter=units["period"].map({p: Period.parse(p).quarter.label
                                                  for p in units["period"].unique()}))
    g = u.groupby(["quarter", ID], sort=False)["total_c"].agg(["sum", "count"]).reset_index()
    g["total_c"] = round_half_up(obj(g["sum"].to_numpy()), obj(g["count"].to_numpy())).astype("int64")
    return g[["quarter", ID, "total_c"]]


def monthly_bonuses(result: PayResult, scored, inputs, period: Period) -> None:
    months = {m.label for m in period.months()}
    units = scored.units[scored.units["period"].isin(months)]
    table = bonus.monthly_bonus(units, inputs.roster)
    dept = inputs.roster.set_index(ID)["department"]
    for d, rows in table.groupby(table[ID].map(dept), sort=True):
        result.add(d, "bonus.csv", rows.reset_index(drop=True))


def ranking_awards(result: PayResult, params, scored, period: Period) -> None:
    if period.unit == "month":
        quarters = []
    else:
        quarters = period.quarters()
    for q in quarters:
        doc = params.document("awards", q)
        units = scored.units[scored.units["department"].isin(doc.get("departments", []))]
        if units.empty:
            continue
        table = awards.quarterly_awards(units, q, doc)
        table.insert(0, "kind", "quarterly_award")
        for d, rows in table.groupby("department"):
            result.add(d, "awards.csv", rows.reset_index(drop=True))
    for m in period.months():
        doc = params.document("awards", m)
        units = scored.units[scored.units["department"].isin(doc.get("departments", []))]
        if units.empty or m.label not in set(units["period"]):
            continue
        table = awards.bottom_three(units, scored.explain, m, doc)
        table.insert(0, "kind", "bottom_three")
        for d, rows in table.groupby("department"):
            result.add(d, "awards.csv", rows.reset_index(drop=True))


def annual_pool(result: PayResult, params, scored, inputs, period: Period) -> None:
    if period.unit != "year":
        result.notes.append(f"pool: the annual pool is paid for a year; run `perfpay pay --period {period.year}`")
        return
    budgets = inputs.pools[inputs.pools["year"].astype(str) == str(period.year)] \
        if getattr(inputs, "pools", None) is not None and len(inputs.pools) else None
    doc = params.document("pool", period)
    if budgets is None or budgets.empty:
        result.notes.append(f"pool: no budget for {period.year} in the pools table (绩效工资预算)")
        return
    wanted = {d: b for d, b in zip(budgets["department"], budgets["budget"]) if d in doc["departments"]}
    missing = [d for d in doc["departments"] if d not in wanted]
    for d in missing:
        result.notes.append(f"pool: no {period.year} budget for {d} in the pools table (绩效工资预算)")
    if not wanted:
        return
    scores = scored.scores[scored.scores["department"].isin(wanted)]
    table = pool.annual_pool(scores, inputs.roster, period.year, wanted, params)
    for d, rows in table.groupby("department"):
        result.add(d, "pool.csv", rows.reset_index(drop=True))


def commission_only(params, inputs, period) -> PayResult:
    """A PayResult with only the commission of `period` (ledger tables, statements, notes)."""
    from .commission import commission      # (and openpyxl, for the statements) only when needed

    result = PayResult(Period.parse(period))
    commission(result, params, inputs, result.period)
    return result


def pay(params, inputs, period, commissioned: PayResult | None = None) -> PayResult:
    """Every pay table of `period`: bonus, awards, pool and commission, per department.

    `commissioned`: `commission_only` of the period, already computed (perfpay run keeps it for
    the reports), merged in instead of running the ledger again."""
    period = Period.parse(period)
    result = PayResult(period)
    scored = score(params, inputs, period)
    if scored.units.empty:
        result.notes.append(f"nobody scored in {period}")
        return result
    monthly_bonuses(result, scored, inputs, period)
    ranking_awards(result, params, scored, period)
    annual_pool(result, params, scored, inputs, period)
    result.merge(commissioned if commissioned is not None else commission_only(params, inputs, period))
    return result
