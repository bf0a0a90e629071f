"""Annual performance-pay pool (客户服务部绩效工资分配方案, SPEC 4).

weight = grade coefficient × tenure coefficient; pay = B × weight / Σ weight per department.
Everything is an integer: the budget in fen, coefficients in 1/10⁴, weights in 1/10⁸.
Each share is floored to the fen; the fen left over go one each to the largest
remainders, so the amounts add up to B exactly. Ties in the remainder go to the larger
weight, then to the smaller employee_id (a fixed, reproducible order).

Tenure is the whole years of service completed on the year's last day (31 December):
the pool year minus the hire year. Coefficients and tenure bands are in params/pool.yaml.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from ..errors import ParamsError
from ..exact import CENT, cents, fraction, obj, round_half_up, to_decimal
from .bonus import yuan_text

ID = "employee_id"
COEF = 10**4            # coefficients kept to four decimals
COLUMNS = ["year", "department", ID, "name", "grade", "tenure_years", "grade_coefficient",
           "tenure_coefficient", "weight", "share", "amount", "formula", "note"]


def pool_people(scores: pd.DataFrame, roster: pd.DataFrame) -> pd.DataFrame:
    """Annual `Scores.scores` (employee_id, name, department, grade) with the roster's dates."""
    cols = [c for c in ("hire_date", "leave_date") if c in roster]
    dates = roster.drop_duplicates(ID, keep="last")[[ID, *cols]]
    return scores[[ID, "name", "department", "grade"]].merge(dates, on=ID, how="left")


def tenure_years(hire_date: pd.Series, year: int) -> pd.Series:
    """Whole years of service on 31 December of `year` (the year minus the hire year)."""
    return (year - pd.to_datetime(hire_date, errors="coerce").dt.year).astype("Int64")


def tenure_coefficient(years: pd.Series, doc: dict) -> np.ndarray:
    """Coefficient (in 1/10⁴) of the band each tenure falls in: from min_years, inclusive."""
    bands = sorted(doc["tenure_coefficients"], key=lambda b: b["min_years"])
    mins = np.array([int(b["min_years"]) for b in bands])
    coefs = np.array([_scaled(b["coefficient"], "tenure_coefficients") for b in bands], dtype=object)
    at = np.searchsorted(mins, years.fillna(-1).to_numpy(dtype="int64"), side="right") - 1
    return np.where(at >= 0, coefs[np.maximum(at, 0)], 0).astype(object)


def allocate_pool(people: pd.DataFrame, year: int, budget, doc: dict) -> pd.DataFrame:
    """Split `budget` (yuan; or {department: yuan}) over `people` of each department.

    people: employee_id, name, department, grade, hire_date, optionally leave_date
    (see `pool_people`). doc: `params.document("pool", year)`.
    """
    d = people.reset_index(drop=True).copy()
    budgets = _budgets(budget, d["department"])
    grade_coef = _grade_coefficients(d["grade"], doc)
    d["tenure_years"] = tenure_years(d["hire_date"], year)
    tenure_coef = tenure_coefficient(d["tenure_years"], doc)
    note = pd.Series("", index=d.index, dtype=object)
    note[d["grade"].isna()] = "no annual grade: no share"
    note[d["tenure_years"].isna()] = "no hire date: no share"
    note[(d["tenure_years"] < 0).fillna(False).astype(bool)] = "hired after the year: no share"
    left = _left_before(d, year, doc.get("leavers", "exclude"))
    note[left] = "left before the year's last day: no share"
    w = grade_coef * tenure_coef
    w = np.where(d["grade"].notna() & d["tenure_years"].notna() & ~left, w, 0).astype(object)
    note[(w == 0) & (note == "") & d["grade"].notna()] = "coefficient 0: no share"
    d["w"] = w.astype("int64")                                  # ≤ a few 10⁸ each
    d["B"] = d["department"].map(budgets).astype("int64")
    W = d.groupby("department")["w"].transform("sum").astype("int64")
    num = obj(d["B"]) * obj(d["w"])
    den = obj(np.maximum(W, 1))
    d["floor"], d["rem"] = (num // den).astype("int64"), (num % den).astype("int64")
    d["extra"] = _largest_remainder(d)
    fen = d["floor"] + d["extra"]
    zero = W == 0
    note[zero] = "all weights are 0 in " + d["department"] + ": nobody is paid, the budget stays unallocated"

    out = pd.DataFrame({"year": year, "department": d["department"], ID: d[ID], "name": d["name"],
                        "grade": d["grade"], "tenure_years": d["tenure_years"]})
    out["grade_coefficient"] = _decimals(grade_coef, COEF)
    out["tenure_coefficient"] = _decimals(tenure_coef, COEF)
    out["weight"] = _decimals(w, COEF * COEF)
    out["share"] = to_decimal(round_half_up(obj(d["w"]) * 10**6, den), 10**6)
    out["amount"] = to_decimal(fen)
    out["formula"] = _formula(d, W, fen).where(~zero, "")
    out["note"] = note
    return out[COLUMNS].sort_values(["department", "amount", ID], ascending=[True, False, True],
                                    kind="stable").reset_index(drop=True)


def annual_pool(scores: pd.DataFrame, roster: pd.DataFrame, year: int, budget, params) -> pd.DataFrame:
    """The pool of every department of pool.yaml, from the year's scores and the roster."""
    doc = params.document("pool", str(year))
    scores = scores[scores["department"].isin(doc["departments"])]
    return allocate_pool(pool_people(scores, roster), year, budget, doc)


# helpers -------------------------------------------------------------------------------------
def _largest_remainder(d: pd.DataFrame) -> pd.Series:
    """1 fen for the largest remainders of each department until it adds up to its budget."""
    by = d.groupby("department")
    leftover = (d["B"] - by["floor"].transform("sum")).where(by["w"].transform("sum") > 0, 0)
    order = d.sort_values(["department", "rem", "w", ID], ascending=[True, False, False, True])
    position = order.groupby("department").cumcount()
    return (position < leftover[order.index]).astype("int64").reindex(d.index)


def _budgets(budget, departments: pd.Series) -> dict:
    names = list(departments.unique())
    if not isinstance(budget, dict):
        if len(names) > 1:
            raise ValueError(f"one budget for several departments ({', '.join(names)}); "
                             "give a budget per department: {department: yuan}")
        budget = {n: budget for n in names}
    missing = [n for n in names if n not in budget]
    if missing:
        raise ValueError(f"no pool budget for {', '.join(missing)}; give one per department")
    out = {n: cents(budget[n]) for n in names}
    bad = [n for n, b in out.items() if b < 0]
    if bad:
        raise ValueError(f"negative pool budget for {', '.join(bad)}")
    return out


def _grade_coefficients(grades: pd.Series, doc: dict) -> np.ndarray:
    table = {g: _scaled(c, f"grade_coefficients.{g}") for g, c in doc["grade_coefficients"].items()}
    unknown = sorted(set(grades.dropna()) - set(table))
    if unknown:
        raise ParamsError([f"pool.yaml: grade_coefficients: no coefficient for grade {g!r}; "
                           f"grades with one: {', '.join(table)}" for g in unknown])
    return grades.map(table).fillna(0).to_numpy(dtype=object)


def _scaled(value, where: str) -> int:
    f = fraction(value) * COEF
    if f.denominator != 1 or f < 0:
        raise ParamsError([f"pool.yaml: {where}: {value} must be 0 or more with at most four decimals"])
    return int(f)


def _left_before(d: pd.DataFrame, year: int, leavers: str) -> pd.Series:
    if leavers not in ("exclude", "include"):
        raise ParamsError([f"pool.yaml: leavers: {leavers!r} is neither exclude nor include"])
    if leavers == "include" or "leave_date" not in d:
        return pd.Series(False, index=d.index)
    leave = pd.to_datetime(d["leave_date"], errors="coerce")
    return (leave < pd.Timestamp(year, 12, 31)).fillna(False).astype(bool)


def _decimals(values, scale: int) -> list[Decimal]:
    """Integers at `scale` → Decimals with two decimals, or more when needed (1.65, 1.5625)."""
    return [d.quantize(Decimal("0.01")) if d == d.quantize(Decimal("0.01")) else d.normalize()
            for d in to_decimal(values, scale)]


def _formula(d: pd.DataFrame, W: pd.Series, fen: pd.Series) -> pd.Series:
    """'90.00 × 1.50 / 3.00 = 45.00', or '100.00 × 1.00 / 3.00 ≈ 33.3333 → 33.34 (+0.01 largest remainder)'."""
    num = obj(d["B"]) * obj(d["w"]) * CENT
    quota = pd.Series([f"{q:,}" for q in to_decimal(round_half_up(num, obj(np.maximum(W, 1))), CENT * CENT)])
    weights = pd.Series([str(x) for x in _decimals(d["w"], COEF * COEF)])
    totals = pd.Series([str(x) for x in _decimals(W, COEF * COEF)])
    head = yuan_text(d["B"]) + " × " + weights + " / " + totals
    paid = yuan_text(fen)
    inexact = head + " ≈ " + quota + " → " + paid + np.where(d["extra"] > 0, " (+0.01 largest remainder)", "")
    exact = pd.Series(d["rem"].to_numpy() == 0)
    return (head + " = " + paid).where(exact, inexact).set_axis(d.index)
