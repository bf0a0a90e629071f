"""The KPI frame: one row per (period, level, unit, kpi), numerator and denominator exact.

A KPI module reduces its records to *components*: one row per (employee, month, kpi, file)
with integer sums (`num`, `den`, `rows` = source rows counted, and any extra counters the
KPI's note uses). `build()` adds up the months of each period, then the people of each team,
branch and department: a higher level is the ratio of the sums of its people, never the
mean of their values. Months add up because every component is a sum over rows that each
belong to one month (a QA week to the month holding its Thursday), so a quarter computed
this way equals the quarter computed from its own records.

Values are truncated toward zero to 6 decimals: for a threshold T written with at most
6 decimals, x >= T exactly when trunc6(x) >= T (T is a multiple of 10**-6 and trunc6 is the
largest such multiple <= x), so the truncation never lifts a value onto a threshold and never
drops one below it. Rounding could lift 92.9999996 to 93.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Callable

import numpy as np
import pandas as pd

from ..inputs.values import share_value
from ..periods import Period

COLUMNS = ["period", "level", "unit", "department", "kpi", "name", "numerator", "denominator",
           "value", "measure", "source", "source_rows", "note"]
LEVELS = ("person", "team", "branch", "department")
HQ = "总部"                      # a blank branch is headquarters
PLACES = 6
FACTOR = {"percent": 100}       # rates are in percent, as scorecard actuals are


@dataclass(frozen=True)
class Kpi:
    key: str
    name: str                    # Chinese name, as the seed writes it
    measure: str                 # percent | seconds | hours | count | score
    source: str                  # tables, e.g. "calls" or "calls, tickets"
    empty: str                   # note when the denominator is 0, e.g. "no inbound calls offered"
    scale: int = 1               # `num` is in 1/scale units (milliseconds -> seconds: 1000)
    extras: tuple[str, ...] = ()               # extra counters that add up like num and den
    note: Callable[[dict], str] | None = None  # note from the summed extras (at every level)


# exact numbers ----------------------------------------------------------------------------
def exact(value) -> int | Decimal | Fraction:
    """A Fraction as an int, a Decimal when its decimal form ends, else the Fraction itself."""
    f = Fraction(value)
    if f.denominator == 1:
        return int(f)
    d = share_value(f)                    # a Decimal when the decimal form ends
    return f if isinstance(d, Fraction) else _plain(d)


def truncate(value, places: int = PLACES) -> Decimal:
    """value (Fraction, int, Decimal) truncated toward zero to `places` decimals."""
    f = Fraction(value) * 10**places
    q = abs(f.numerator) // f.denominator
    return _plain(Decimal(-q if f < 0 else q).scaleb(-places))


def _plain(d: Decimal) -> Decimal:
    """Without trailing zeros and without exponent notation: 93.700000 -> 93.7, 100 -> 100."""
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d.normalize()


def fmt_value(v) -> str:
    """Numerator, denominator or value as text: 1204, 93.7, 190.909090… for 2100/11."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, Fraction):
        e = exact(v)
        if not isinstance(e, Fraction):
            return fmt_value(e)
        return format(truncate(v).quantize(Decimal(1).scaleb(-PLACES)), "f") + "…"
    if isinstance(v, Decimal):
        return format(_plain(v), "f")
    return str(v)


def value_of(kpi: Kpi, num, den):
    """(value, why empty): the exact ratio in the KPI's measure, truncated; None when den is 0."""
    if kpi.measure == "count":
        return truncate(Fraction(num) / kpi.scale), ""
    if not den:
        return None, kpi.empty
    return truncate(Fraction(num) / kpi.scale / Fraction(den) * FACTOR.get(kpi.measure, 1)), ""


# building the frame ---------------------------------------------------------------------------
def build(components: pd.DataFrame, kpis: dict[str, Kpi], roster: pd.DataFrame, periods,
          people: pd.DataFrame | None = None, notes: pd.DataFrame | None = None) -> pd.DataFrame:
    """The KPI frame of `periods` at every level.

    components: employee_id, month ('2026-07'), kpi, file, num, den, rows (+ extras), Python
      ints or Fractions (object) or int64.
    people: (employee_id, month) pairs that get a row for every KPI even without records
      (then with a denominator of 0 and the KPI's `empty` note).
    notes: (period, employee_id, kpi, note) added to the person rows.
    roster: employee_id, department, branch, manager_id (levels above the person).
    """
    comp = _with_people(components, kpis, people)
    units = _units(roster)
    spans = pd.DataFrame([(Period.parse(p).label, m.label) for p in periods for m in Period.parse(p).months()],
                         columns=["period", "month"]).drop_duplicates()
    part = comp.merge(spans, on="month")            # a month may feed several periods (2026-07, 2026Q3)
    if part.empty:
        return empty()
    out = _levels(part, kpis, units)
    if notes is not None and len(notes):
        out = _add_notes(out, notes)
    order = {p: i for i, p in enumerate(spans["period"].unique())}
    out = out.sort_values(["period", "level", "unit", "kpi"], key=lambda c: c.map(order) if c.name == "period"
                          else c.map(LEVELS.index) if c.name == "level" else c, kind="stable")
    return out[COLUMNS].reset_index(drop=True)


def empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def _with_people(components, kpis, people):
    extras = sorted({e for k in kpis.values() for e in k.extras})
    comp = components.copy()
    for e in extras:
        comp[e] = comp[e] if e in comp else 0
    if people is not None and len(people):
        grid = people[["employee_id", "month"]].drop_duplicates().merge(
            pd.DataFrame({"kpi": list(kpis)}), how="cross")
        grid = grid.assign(file=None, num=0, den=0, rows=0, **{e: 0 for e in extras})
        comp = pd.concat([comp, grid[comp.columns]], ignore_index=True)
    for c in ["num", "den", "rows", *extras]:        # int64 adds up fast; Fractions stay objects
        if comp[c].dtype.kind == "f":
            raise TypeError(f"KPI component column {c} holds floats; give Python ints or Fractions")
        exotic = comp[c].map(type).isin([Fraction]).any() if comp[c].dtype == object else False
        comp[c] = comp[c].astype(object) if exotic else comp[c].astype(np.int64)
    comp["employee_id"] = comp["employee_id"].astype(str)
    comp["month"] = comp["month"].astype(str)
    return comp


def _units(roster: pd.DataFrame) -> pd.DataFrame:
    r = roster[["employee_id", "department", "branch", "manager_id"]].copy()
    for c in r.columns:
        r[c] = r[c].astype(object).where(r[c].notna(), "").astype(str).str.strip()
    r["branch"] = r["branch"].where(r["branch"] != "", HQ)
    return r.drop_duplicates("employee_id").set_index("employee_id")


def _levels(part: pd.DataFrame, kpis, units: pd.DataFrame) -> pd.DataFrame:
    sums = [c for c in part.columns if c not in ("period", "employee_id", "month", "kpi", "file")]
    person = part.groupby(["period", "employee_id", "kpi"], sort=False)[sums].sum().reset_index()
    files = (part[part["file"].notna() & part["rows"].ne(0)]
             .groupby(["period", "employee_id", "kpi", "file"], sort=False)["rows"].sum().reset_index())
    known = person["employee_id"].isin(units.index)
    person["department"] = person["employee_id"].map(units["department"]).fillna("")
    out = [_rows(person.rename(columns={"employee_id": "unit"}), files.rename(columns={"employee_id": "unit"}),
                 kpis, "person")]
    person, files = person[known], files[files["employee_id"].isin(units.index)]
    for level, key in (("team", "manager_id"), ("branch", "branch"), ("department", "department")):
        unit = person["employee_id"].map(units[key])
        grouped = (person.assign(unit=unit)[unit.ne("")]
                   .groupby(["period", "department", "unit", "kpi"], sort=False)[sums].sum().reset_index())
        funit = files["employee_id"].map(units[key])
        fgrouped = (files.assign(unit=funit, department=files["employee_id"].map(units["department"]))[funit.ne("")]
                    .groupby(["period", "department", "unit", "kpi", "file"], sort=False)["rows"].sum()
                    .reset_index())
        out.append(_rows(grouped, fgrouped, kpis, level))
    return pd.concat(out, ignore_index=True)


def _rows(sums: pd.DataFrame, files: pd.DataFrame, kpis, level: str) -> pd.DataFrame:
    """Frame rows from summed components, one KPI at a time, whole columns at once."""
    keys = ["period", "unit", "kpi"] if level == "person" else ["period", "department", "unit", "kpi"]
    parts = []
    for key, g in sums.groupby("kpi", sort=False):
        k = kpis[key]
        nums, dens = g["num"].to_numpy(dtype=object), g["den"].to_numpy(dtype=object)
        values, empty = _values(k, nums, dens)
        notes = np.where(empty, k.empty, "").astype(object)
        if k.note:
            extra = g[list(k.extras)].to_numpy(dtype=object)
            for i in np.flatnonzero(extra.any(axis=1)):
                text = k.note(dict(zip(k.extras, extra[i])))
                notes[i] = f"{notes[i]}; {text}" if notes[i] and text else notes[i] or text
        parts.append(pd.DataFrame({
            "period": g["period"].to_numpy(), "unit": g["unit"].to_numpy(), "department": g["department"].to_numpy(), "kpi": key, "name": k.name,
            "numerator": _scaled(nums, k.scale), "value": values,
            "denominator": np.full(len(g), None, dtype=object) if k.measure == "count" else _scaled(dens, 1),
            "measure": k.measure, "source": k.source, "note": notes}))
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "level", level)
    trace = _source_rows(files, keys)
    out["source_rows"] = trace.reindex(pd.MultiIndex.from_frame(out[keys])).fillna("").to_numpy() \
        if len(trace) else ""
    return out


def _values(k: Kpi, nums, dens) -> tuple[np.ndarray, np.ndarray]:
    """(values, empty) of one KPI: num / scale / den × factor truncated to PLACES, in integers."""
    n = len(nums)
    if k.measure == "count":
        dens = np.ones(n, dtype=object)
    empty = np.array([not d for d in dens], dtype=bool)
    values = np.full(n, None, dtype=object)
    full = ~empty
    if not full.any():
        return values, empty
    if any(isinstance(d, Fraction) for d in dens[full]):   # prorated denominators: exact, row by row
        factor = FACTOR.get(k.measure, 1)
        values[full] = [truncate(Fraction(a) / k.scale / Fraction(b) * factor) for a, b in zip(nums[full], dens[full])]
        return values, empty
    top = nums[full] * (FACTOR.get(k.measure, 1) * 10**PLACES)
    bottom = dens[full] * k.scale
    q = abs(top) // bottom                                # Python ints: exact, truncated toward zero
    q = np.where(top < 0, -q, q)
    values[full] = _decimals(q, PLACES)
    return values, empty


def _scaled(ints_, scale: int) -> np.ndarray:
    """Integers in 1/scale units as exact numbers: ints, Decimals, or Fractions when needed."""
    if scale == 1 and all(type(v) is int for v in ints_):
        return np.asarray(ints_, dtype=object)
    places = len(str(scale)) - 1
    if scale == 10**places and all(type(v) is int for v in ints_):
        return _decimals(ints_, places)
    return np.array([exact(Fraction(v) / scale) for v in ints_], dtype=object)


def _decimals(q, places: int) -> np.ndarray:
    """Integers q as the Decimals q × 10**-places, plain (no trailing zeros)."""
    unit, out, seen = 10**places, [], {}
    for v in q:
        v = int(v)
        d = seen.get(v)
        if d is None:
            whole, frac = divmod(abs(v), unit)
            text = f"{whole}.{frac:0{places}d}".rstrip("0").rstrip(".") if frac else str(whole)
            d = seen[v] = Decimal("-" + text if v < 0 else text)
        out.append(d)
    return np.array(out, dtype=object)


def _source_rows(files: pd.DataFrame, keys) -> pd.Series:
    """(keys) -> 'calls.parquet: 1,204 rows; calls_b.csv: 3 rows'."""
    if files.empty:
        return pd.Series(dtype=object)
    rows = files["rows"].to_numpy(dtype=object)
    text = files["file"].astype(str).to_numpy(dtype=object) + ": " + np.array(
        [f"{int(n):,} row" + ("" if n == 1 else "s") for n in rows], dtype=object)
    text = pd.Series(text, index=pd.MultiIndex.from_frame(files[keys]))
    if not text.index.has_duplicates:
        return text
    return text.groupby(level=list(range(len(keys))), sort=False).agg("; ".join)


def _add_notes(out: pd.DataFrame, notes: pd.DataFrame) -> pd.DataFrame:
    n = notes.groupby(["period", "employee_id", "kpi"], sort=False)["note"].agg("; ".join)
    key = pd.MultiIndex.from_arrays([out["period"], out["unit"], out["kpi"]])
    extra = pd.Series(key.map(n.to_dict().get), index=out.index)
    extra = extra.where(out["level"].eq("person"))
    has = extra.notna()
    out.loc[has, "note"] = [f"{a}; {b}" if a else b for a, b in zip(out.loc[has, "note"], extra[has])]
    return out
