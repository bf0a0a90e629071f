"""Quarterly commission of 大客户部 salespeople: credit the deals, replay the ledger, write statements.

The ledger is replayed from the first quarter with sales data up to the period's last
quarter, so the state a quarter starts from is always computed from the inputs.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from ..distinct import slices
from ..exact import CENT, ints
from ..inputs import effective_wages
from ..periods import Period
from . import crediting
from .ledger import LedgerParams, LedgerState, run_quarter
from .ledger_text import table as ledger_table
from .statements import write_statement

ID = "employee_id"


def _quarters(inputs, period: Period) -> list[Period]:
    last = period.quarter if period.unit == "month" else period.quarters()[-1]
    labels = set(inputs.quotas["quarter"]) | set(inputs.deals["quarter"])
    if not labels:
        return []
    q = min(Period.parse(x) for x in labels)
    out = []
    while q <= last:
        out.append(q)
        q = q.next()
    return out


def _fen(values) -> np.ndarray:
    return ints(pd.Series(values, dtype=object).to_numpy(dtype=object), CENT).astype("int64")


def _quarter_frame(q: Period, credit: pd.DataFrame, inputs, scores: pd.DataFrame, lp: LedgerParams):
    """One row per salesperson of quarter q, as run_quarter wants it."""
    quotas = inputs.quotas[inputs.quotas["quarter"] == q.label]
    got = credit[credit["quarter"] == q.label]
    roster = inputs.roster.set_index(ID)
    people = pd.Index(quotas[ID]).union(pd.Index(got[ID])).unique()
    f = pd.DataFrame({ID: people})
    f = f.merge(got[[ID, "credited_fen", "service_fen"]], on=ID, how="left")
    f = f.merge(quotas[[ID, "target", "department_target"]], on=ID, how="left")
    f["credited"] = f["credited_fen"].fillna(0).astype("int64")
    f["service_revenue"] = f["service_fen"].fillna(0).astype("int64")
    f["target"] = _fen(f["target"].where(f["target"].notna(), None))
    hire = pd.to_datetime(f[ID].map(roster["hire_date"]))
    leave = pd.to_datetime(f[ID].map(roster["leave_date"]))
    start, end = pd.Timestamp(q.start), pd.Timestamp(q.end)
    f["is_new_hire_quarter"] = ((hire >= start) & (hire <= end)).to_numpy()
    f["left"] = (leave.notna() & (leave >= start) & (leave <= end)).to_numpy()
    mine = scores[scores["quarter"] == q.label].set_index(ID)["total_c"]
    total = f[ID].map(mine)
    # score / 100 clipped, one Fraction per distinct score (shared: the ledger converts each once)
    codes, distinct = pd.factorize(total)
    lo, hi = lp.coefficient_min, lp.coefficient_max
    coef = np.empty(len(distinct) + 1, dtype=object)
    coef[:] = [min(max(Fraction(int(c), CENT * 100), lo), hi) for c in distinct] + [lo]
    f["kpi_missing"] = codes < 0
    f["kpi_coefficient"] = coef[codes]             # no score (code -1): the minimum
    f["kpi_score_c"] = total
    # the manager carries the department target: his floating wage needs it met too
    dept = f[ID].map(roster["department"])
    dept_sum = pd.Series(f["credited"].to_numpy(), index=dept.to_numpy()).groupby(level=0).sum()
    has_dt = f["department_target"].notna()
    dt = pd.Series(_fen(f["department_target"].where(has_dt, None)), index=f.index)
    met = pd.Series(dept.map(dept_sum).to_numpy(), index=f.index) >= dt
    f["manager_department_met"] = met.astype(object).where(has_dt, None)
    return f


def commission(result, params, inputs, period: Period) -> None:
    """Credit lines, ledger rows and statements of every quarter of `period`."""
    if inputs.deals.empty and inputs.quotas.empty:
        result.notes.append("commission: no deals (回款) and no quotas (季度任务) in the inputs")
        return
    from .run import quarter_scores, _scores_by_year
    quarters = _quarters(inputs, period)
    if not quarters:
        return
    years = _scores_by_year(params, inputs, quarters[-1], quarters[0])
    scores = pd.concat([quarter_scores(s.units) for s in years.values() if not s.units.empty],
                       ignore_index=True)
    state, rows, lines_all, frames = LedgerState(), [], [], {}
    wanted = {q.label for q in (period.quarters() if period.unit != "month" else [])}
    for q in quarters:                       # the ledger is sequential in time, not in people
        lp = LedgerParams.load(params, q)
        credited = crediting.credit(inputs.deals[inputs.deals["quarter"] == q.label], lp)
        if q.label in wanted:                # the lines (with their texts) of the quarters paid
            lines_all.append(credited.lines)
        frame = _quarter_frame(q, credited.per_person(), inputs, scores, lp)
        frames[q.label] = frame
        out, state = run_quarter(state, q, frame, lp, exact=True)
        rows.append(out)
    exact = pd.concat(rows, ignore_index=True)
    if not wanted:
        result.notes.append("commission: quarterly; run a quarter, a half or a year to see it")
        return
    lines = pd.concat(lines_all, ignore_index=True)      # the period's last quarter is always among them
    # the statement table (Decimal yuan, formulas) of the people paid now, every quarter of theirs
    paid = exact[ID].isin(exact.loc[exact["quarter"].isin(wanted), ID])
    ledger = ledger_table(exact[paid])
    roster = inputs.roster.set_index(ID)
    this = ledger[ledger["quarter"].isin(wanted)].copy()
    this = _with_wages(this, inputs)
    this.insert(2, "name", this[ID].map(roster["name"]))
    for d, part in this.groupby(this[ID].map(roster["department"])):
        result.add(d, "commission.csv", part.reset_index(drop=True))
        excluded = lines[(lines["stream"] == "excluded") & lines["quarter"].isin(wanted)
                         & lines[ID].map(roster["department"]).eq(d)]
        result.add(d, "excluded_deals.csv", excluded.reset_index(drop=True))
    _statements(result, params, inputs, ledger, lines, frames, sorted(wanted), roster)


def _with_wages(table: pd.DataFrame, inputs) -> pd.DataFrame:
    """The floating wage paid, in yuan: the wages in force for the quarter (inputs.effective_wages)."""
    wages = effective_wages(inputs.wages, list(table["quarter"].unique()))
    got = table[["quarter", ID]].merge(wages[["quarter", ID, "floating_wage"]], on=["quarter", ID], how="left")
    paid = table["floating_wage_paid"].astype(bool).to_numpy()
    table["floating_wage_amount"] = got["floating_wage"].where(paid, 0).to_numpy()
    return table


def _statements(result, params, inputs, ledger, lines, frames, quarters, roster) -> None:
    ledger_of, lines_of = slices(ledger, ID), slices(lines, [ID, "quarter"])     # each person's rows, once
    for q in quarters:
        lp = LedgerParams.load(params, q)
        people = ledger[ledger["quarter"] == q][ID]
        by_person = frames[q].set_index(ID)
        for eid in people:                    # one file per salesperson
            info = roster.loc[eid]
            person = {ID: eid, "name": info["name"], "department": info["department"],
                      "branch": info["branch"], "role": info["role"]}
            f = by_person.loc[eid]
            extra = {"kpi_score": None if pd.isna(f["kpi_score_c"]) else int(f["kpi_score_c"]) / 100}
            if f["kpi_missing"]:
                extra["notes"] = ["no quarterly score: KPI coefficient taken as its minimum"]
            name = f"statements/{eid}.xlsx" if len(quarters) == 1 else f"statements/{q}/{eid}.xlsx"
            args = dict(person=person, quarter=q, lines=lines_of.get((eid, q), lines.iloc[:0]),
                        ledger=ledger_of[eid], extra=extra, params=lp)
            result.statements.setdefault(info["department"], []).append((name, args))


def statement_writer(args: dict):
    return lambda path: write_statement(path, **args)
