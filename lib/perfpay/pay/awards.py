"""Ranking awards and the monthly bottom three (考核结果的运用, SPEC 4).

The units ranked within a group are people (default group: department and card) or
branch service departments (default group: department; a branch scores the mean of its
people's totals). Scores are exact fractions of points; a rank is a competition rank
(1, 1, 3) on them. Quarter: rank on the mean of the months' totals; ranks 1/2/3 get the
awards of params/awards.yaml, ties each get the award of the rank they share. Month: the
bottom three by competition rank from the bottom (ties included) owe an improvement plan
a few days after the monthly bulletin; the weakest indicators say why.
"""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import numpy as np
import pandas as pd

from ..exact import CENT, cents, fmt, obj, round_half_up, to_decimal
from ..periods import Period

ID = "employee_id"
GROUPS = {"person": ["department", "card"], "branch": ["department"]}


# ranking ---------------------------------------------------------------------------------
def competition_rank(values: pd.Series, by: list | None = None, lowest_first: bool = False) -> pd.Series:
    """Competition rank (1, 1, 3) of exact values (int, Decimal, Fraction) within groups `by`.

    The best (highest) value ranks 1; with lowest_first the lowest does (rank from the bottom).
    Values are replaced by their exact sorted position first, so no float decides a tie.
    """
    uniq = sorted(set(values))
    key = values.map({v: i for i, v in enumerate(uniq)}).astype("int64")
    grouped = key.groupby(by, sort=False, dropna=False) if by else key
    return grouped.rank(method="min", ascending=lowest_first).astype("int64")


def unit_scores(units: pd.DataFrame, period, level: str = "person", by: list | None = None) -> pd.DataFrame:
    """One row per unit and group: its exact mean score over the scored periods inside `period`.

    units: `Scores.units` (period, employee_id, name, department, branch, card, total_c).
    Returns the group columns, the unit's columns (employee_id, name, branch | branch, people),
    months (months covered by its scored periods) and score (a Fraction of points).
    """
    by = list(GROUPS[level] if by is None else by)
    span = Period.parse(period)
    labels = [p for p in units["period"].unique() if span.contains(Period.parse(p))]
    rows = units[units["period"].isin(labels)]
    size = {p: Period.parse(p).size for p in labels}
    if level == "person":
        keys = [*by, *[c for c in ("branch", ID, "name") if c not in by]]
        per = rows[keys + ["period"]].copy()
        per["score"] = _fractions(rows["total_c"], CENT)
    elif level == "branch":            # monthly scores only: a quarterly card has no month
        keys = [*by, "branch"] if "branch" not in by else by
        rows = rows[rows["period"].map(size) == 1]
        per = rows.groupby(keys + ["period"], dropna=False)["total_c"].agg(["sum", "count"]).reset_index()
        per["score"] = _fractions(per["sum"], per["count"] * CENT)
    else:
        raise ValueError(f"level {level!r}: rank 'person' or 'branch'")
    per["months"] = per["period"].map(size)
    out = per.groupby(keys, dropna=False, sort=False).agg(
        total=("score", "sum"), n=("score", "size"), months=("months", "sum")).reset_index()
    out["score"] = out["total"] / out["n"]
    if level == "branch":
        people = rows.groupby(keys, dropna=False)[ID].nunique().rename("people").reset_index()
        out = out.merge(people, on=keys, how="left")
    return out.drop(columns=["total", "n"])


# quarterly awards ----------------------------------------------------------------------------
def quarterly_awards(units: pd.DataFrame, quarter, doc: dict, level: str = "person",
                     by: list | None = None) -> pd.DataFrame:
    """Every unit of the quarter with its mean score, rank and award (0 below rank 3).

    doc: `params.document("awards", quarter)`. A unit scored in fewer than `min_months`
    months of the quarter is listed unranked, with a note.
    """
    by = list(GROUPS[level] if by is None else by)
    cfg = doc["quarterly"]
    need = int(cfg.get("min_months", 0))
    span = Period.parse(quarter)
    s = unit_scores(units, span, level, by)
    ok = s["months"] >= need
    s["rank"] = pd.Series(pd.NA, index=s.index, dtype="Int64")
    if ok.any():
        s.loc[ok, "rank"] = competition_rank(s.loc[ok, "score"], [s.loc[ok, c] for c in by])
    amounts = {int(a["rank"]): cents(a["amount"]) for a in cfg["awards"]}
    fen = s["rank"].map(amounts).fillna(0).astype("int64")
    tied = s.groupby(by + ["rank"], dropna=False)["rank"].transform("size") > 1
    short = "scored in " + s["months"].astype(str) + f" of {span.size} months: not ranked (min_months {need})"
    note = np.where(~ok, short, np.where(tied & ok, "tied at rank " + s["rank"].astype(str), ""))
    out = s.assign(period=span.label, score=_points(s["score"]), award=to_decimal(fen), note=note)
    out = _ordered(out, by, ["months", "score", "rank", "award", "note"])
    return out.sort_values(by + ["rank"], na_position="last", kind="stable").reset_index(drop=True)


# monthly bottom three ------------------------------------------------------------------------
def bulletin_date(month, doc: dict) -> date:
    """The monthly bulletin's date: `bulletin_day` of the next month (its last day if shorter)."""
    nxt = Period.parse(month).next()
    return nxt.start.replace(day=min(int(doc["monthly_bottom"]["bulletin_day"]), nxt.end.day))


def plan_due(bulletin: date, doc: dict) -> date:
    """Improvement plan (整改方案) due `plan_due_days` calendar days after the bulletin."""
    return bulletin + timedelta(days=int(doc["monthly_bottom"]["plan_due_days"]))


def bottom_three(units: pd.DataFrame, explain: pd.DataFrame, month, doc: dict, level: str = "person",
                 by: list | None = None, bulletin: date | None = None) -> pd.DataFrame:
    """The units ranked in the bottom `count` of their group in `month`, ties included.

    explain: `Scores.explain` (period, employee_id, department, branch, indicator_key,
    indicator, points_c, max_points_c) gives `why`. bulletin: the bulletin's date when it
    is not the default day of the next month. doc: `params.document("awards", month)`.
    """
    by = list(GROUPS[level] if by is None else by)
    cfg = doc["monthly_bottom"]
    m = Period.parse(month)
    if m.unit != "month":
        raise ValueError(f"the bottom three are of a month, got {m}")
    s = unit_scores(units, m, level, by)
    groups = [s[c] for c in by]
    s["group_size"] = s.groupby(by, dropna=False)["score"].transform("size")
    s["rank"] = competition_rank(s["score"], groups)
    s["bottom_rank"] = competition_rank(s["score"], groups, lowest_first=True)
    s = s[(s["bottom_rank"] <= int(cfg["count"])) & (s["group_size"] >= int(cfg["min_group_size"]))].copy()
    keys = [ID] if level == "person" else [c for c in (*by, "branch") if c in explain]
    listed = pd.MultiIndex.from_frame(explain[keys]).isin(pd.MultiIndex.from_frame(s[keys])) \
        if len(s) else np.zeros(len(explain), dtype=bool)      # only the units listed need a why
    why = weakest(explain[listed], m, keys, int(cfg["why_indicators"])).rename("why").reset_index()
    s = s.merge(why, on=keys, how="left").fillna({"why": ""})
    on = bulletin or bulletin_date(m, doc)
    s = s.assign(period=m.label, score=_points(s["score"]), bulletin_date=on, plan_due=plan_due(on, doc))
    s = _ordered(s, by, ["score", "rank", "bottom_rank", "group_size", "why", "bulletin_date", "plan_due"])
    return s.sort_values(by + ["bottom_rank"], kind="stable").reset_index(drop=True)


def weakest(explain: pd.DataFrame, month, keys: list[str], k: int) -> pd.Series:
    """'indicator points/max (pct%)' of the k lowest indicators (points as % of max) per unit.

    Indicators of one name are summed (a branch's people on several cards); bonus-only items
    (max 0) are left out; ties go to more points lost, then the indicator's name.
    """
    e = explain[(explain["period"] == Period.parse(month).label) & (explain["max_points_c"] > 0)]
    if "rule" in e:
        e = e[e["rule"] != "total"]          # the explanation's total rows are not indicators
    g = e.groupby(keys + ["indicator"], dropna=False).agg(
        pts=("points_c", "sum"), top=("max_points_c", "sum")).reset_index()
    if g.empty:
        return pd.Series(dtype=object, index=pd.MultiIndex.from_tuples([], names=keys))
    g["order"] = competition_rank(_fractions(g["pts"], g["top"]), lowest_first=True)
    g["lost"] = g["top"] - g["pts"]
    g = g.sort_values(keys + ["order", "lost", "indicator"], ascending=[True] * len(keys) + [True, False, True])
    g = g.groupby(keys, dropna=False).head(k)
    pct = fmt(round_half_up(obj(g["pts"]) * 1000, obj(g["top"])), scale=10, places=1).to_numpy()
    text = (g["indicator"] + " " + fmt(g["pts"]).to_numpy() + "/" + fmt(g["top"]).to_numpy()
            + " (" + pct + "%)")
    return text.groupby([g[c] for c in keys], dropna=False).agg("; ".join)


# helpers -----------------------------------------------------------------------------------
def _ordered(frame: pd.DataFrame, by: list, tail: list) -> pd.DataFrame:
    """period, the group, the unit's own columns (employee_id, name, ... | branch, people), then `tail`."""
    unit = [c for c in ("branch", ID, "name", "people") if c in frame and c not in by]
    return frame[["period", *by, *unit, *tail]]


def _fractions(num: pd.Series, den) -> pd.Series:
    """Exact num / den per row (object Series of Fractions)."""
    den = den if isinstance(den, pd.Series) else pd.Series(den, index=num.index)
    return pd.Series([Fraction(int(a), int(b)) for a, b in zip(num, den)], index=num.index, dtype=object)


def _points(score: pd.Series) -> list:
    """Fractions of points → Decimals with two places, rounded half-up (for display)."""
    num = obj([(f * CENT).numerator for f in score])
    den = obj([(f * CENT).denominator for f in score])
    return to_decimal(round_half_up(num, den)) if len(score) else []
