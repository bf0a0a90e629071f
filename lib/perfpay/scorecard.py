"""Score a period: every card, every person, every indicator, then totals, grades and ranks.

A monthly card is scored per month, a quarterly card per quarter (its *units*);
a longer period is the mean of the units in which the person was employed
(SPEC 2). Loops here run over cards, units and indicators, never over people.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .cards import Card
from .exact import CENT, MICRO, cents, ints, obj, present, round_half_up, to_decimal
from .periods import Period
from .rules import score_indicator

ID = "employee_id"


@dataclass
class Scores:
    period: Period
    scores: pd.DataFrame          # one row per person for `period`
    units: pd.DataFrame           # one row per person and scored month/quarter
    explain: pd.DataFrame         # one row per person × indicator × unit, plus total rows
    notes: list[str] = field(default_factory=list)   # things the reader should know


# inputs of the scored units ----------------------------------------------------------------
KEY = ["period", ID]        # one scored row: a person in a unit (a month or a quarter)


def _employed(roster: pd.DataFrame, unit: Period) -> pd.Series:
    hire = pd.to_datetime(roster["hire_date"], errors="coerce")
    leave = pd.to_datetime(roster["leave_date"], errors="coerce") if "leave_date" in roster else None
    ok = hire <= pd.Timestamp(unit.end)
    if leave is not None:
        ok &= leave.isna() | (leave >= pd.Timestamp(unit.start))
    return ok


def _rows(table: pd.DataFrame, labels: list[str]) -> pd.DataFrame:
    if table is None or table.empty:
        return pd.DataFrame(columns=[*KEY, "indicator"])
    return table[table["period"].isin(labels)]


def _with_ints(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows, last of duplicates kept, with the measure in micro-units and its source."""
    if table.empty:
        return table.assign(v=pd.Series(dtype=object), src=pd.Series(dtype=object))
    t = table.drop_duplicates([*KEY, "indicator"], keep="last")
    src = t["_file"].astype(str) + ":" + t["_row"].astype(str) if "_file" in t else ""
    return t.assign(v=ints(t[column].to_numpy(dtype=object)), src=src)


def _measures(base: pd.DataFrame, table: pd.DataFrame, key: str, column: str) -> pd.DataFrame:
    """Columns `<column>`, `has_<column>` (micro-units) and `<column>_src` for one indicator."""
    rows = table[table["indicator"] == key][[*KEY, "v", "src"]] if len(table) else table
    got = base[KEY].merge(rows, on=KEY, how="left") if len(rows) else base[KEY].assign(v=None, src=None)
    has = got["v"].notna().to_numpy()
    return pd.DataFrame({
        column: np.where(has, got["v"].to_numpy(dtype=object), 0).astype(object),
        f"has_{column}": has,
        f"{column}_src": got["src"].fillna("").to_numpy(dtype=object),
    }, index=base.index)


def _event_counts(base: pd.DataFrame, events: pd.DataFrame, quarterly: bool) -> pd.DataFrame:
    if events is None or events.empty:
        return pd.DataFrame(index=base.index)
    ev = events
    if quarterly:   # events carry their month; a quarterly card counts them by quarter
        quarter = {m: Period.parse(m).quarter.label for m in ev["period"].unique()}
        ev = ev.assign(period=ev["period"].map(quarter))
    ev = ev[ev["period"].isin(base["period"].unique())]
    if ev.empty:
        return pd.DataFrame(index=base.index)
    counts = ev.pivot_table(index=KEY, columns="event", values="count", aggfunc="sum", fill_value=0)
    counts.columns = [f"ev:{c}" for c in counts.columns]
    got = base[KEY].merge(counts, left_on=KEY, right_index=True, how="left").drop(columns=KEY)
    return got.fillna(0).astype("int64").set_axis(base.index)


def _rating_points(card: Card, ratings: pd.DataFrame) -> pd.DataFrame:
    """Sum and count of rated points (centipoints) per person, unit, indicator and rater role."""
    if ratings is None or ratings.empty:
        return pd.DataFrame(columns=[*KEY, "indicator", "rater_role", "sum", "count"])
    table = [(ind.key, str(lv["level"]), cents(lv["points"]))
             for ind in card.indicators if ind.rule_type == "levels"
             for lv in ind.rule.get("levels", [])]
    levels = pd.DataFrame(table, columns=["indicator", "level", "lv_pts"])
    r = ratings.copy()
    r["level"] = r["level"].astype("string")
    levels["level"] = levels["level"].astype("string")
    r = r.merge(levels, on=["indicator", "level"], how="left")
    score = round_half_up(ints(r["score"].to_numpy(dtype=object)), MICRO // CENT)
    has_score = present(r["score"].to_numpy(dtype=object))
    lv = r["lv_pts"].astype("Int64").fillna(0).to_numpy(dtype="int64")
    r["pts"] = np.where(has_score, score, lv).astype("int64")
    return r.groupby([*KEY, "indicator", "rater_role"])["pts"].agg(["sum", "count"]).reset_index()


def _ratings(base, rated: pd.DataFrame, key: str) -> pd.DataFrame:
    rows = rated[rated["indicator"] == key] if len(rated) else rated
    out = pd.DataFrame(index=base.index)
    if rows.empty:
        return out
    agg = rows.set_index([*KEY, "rater_role"])[["sum", "count"]].unstack("rater_role")
    agg.columns = [f"r:{role}:{'sum' if stat == 'sum' else 'n'}" for stat, role in agg.columns]
    got = base[KEY].merge(agg, left_on=KEY, right_index=True, how="left")
    for col in agg.columns:
        out[col] = obj(got[col].fillna(0).to_numpy().astype("int64"))   # small integers
    return out


def _adjustment_sums(adjustments: pd.DataFrame) -> pd.DataFrame:
    if adjustments is None or adjustments.empty:
        return pd.DataFrame(columns=[*KEY, "indicator", "adj", "adj_n", "adj_note"])
    rows = adjustments.copy()
    rows["c"] = round_half_up(ints(rows["points"].to_numpy(dtype=object)), MICRO // CENT).astype("int64")
    rows["why"] = rows["reason"].astype(str) + " (" + rows["approved_by"].astype(str) + ")"
    return rows.groupby([*KEY, "indicator"]).agg(adj=("c", "sum"), adj_n=("c", "size"),
                                                 adj_note=("why", "; ".join)).reset_index()


def _adjustments(base, sums: pd.DataFrame, key: str) -> pd.DataFrame:
    rows = sums[sums["indicator"] == key]
    got = base[KEY].merge(rows.drop(columns="indicator"), on=KEY, how="left")
    adj = pd.to_numeric(got["adj"]).fillna(0).astype("int64")
    n = pd.to_numeric(got["adj_n"]).fillna(0).astype("int64")
    return pd.DataFrame({"adj": obj(adj.to_numpy()), "adj_n": n.to_numpy(),
                         "adj_note": got["adj_note"].fillna("").to_numpy(dtype=object)}, index=base.index)


# one card over several units ---------------------------------------------------------------
def score_units(card: Card, base: pd.DataFrame, inputs, event_names: dict) -> pd.DataFrame:
    """Explanation rows (person × unit × indicator) of `card`; `base` has one row per (period, employee)."""
    base = base[KEY].reset_index(drop=True)
    labels = list(base["period"].unique())
    actuals = _with_ints(_rows(inputs.actuals, labels), "actual")
    targets = _with_ints(_rows(inputs.targets, labels), "target")
    rated = _rating_points(card, _rows(inputs.ratings, labels))
    adjustments = _adjustment_sums(_rows(inputs.adjustments, labels))
    counts = _event_counts(base, inputs.events, card.cadence == "quarterly")
    parts = []
    for ind in card.indicators:        # a dozen indicators; each rule runs over everyone at once
        data = pd.concat([
            _measures(base, actuals, ind.key, "actual"),
            _measures(base, targets, ind.key, "target"),
            counts,
            _ratings(base, rated, ind.key),
            _adjustments(base, adjustments, ind.key),
        ], axis=1)
        data.attrs["event_names"] = event_names
        got = score_indicator(ind, data, card.raters, card.missing_rater)
        section = next(s for s in card.sections if s.key == ind.section)
        src = (data["actual_src"].astype(str) + " " + data["target_src"].astype(str)).str.strip()
        parts.append(pd.DataFrame({
            "period": base["period"].to_numpy(),
            ID: base[ID].to_numpy(),
            "card": card.key,
            "section": section.name,
            "indicator_key": ind.key,
            "indicator": ind.name,
            "max_points_c": cents(ind.points),
            "rule": ind.rule_type,
            "inputs": got["inputs"].to_numpy(),
            "raw_c": got["raw_c"].to_numpy().astype("int64"),      # centipoints fit in int64
            "points_c": got["points_c"].to_numpy().astype("int64"),
            "note": got["note"].to_numpy(),
            "flag": got["flag"].to_numpy(),
            "source": src.to_numpy(),
            "reference": ind.reference,
        }))
    return pd.concat(parts, ignore_index=True)


# grades and ranks ------------------------------------------------------------------------------
def grade(total_c, grading) -> np.ndarray:
    total_c = obj(total_c)
    out = np.full(len(total_c), grading.bands[-1].grade, dtype=object)
    done = np.zeros(len(total_c), dtype=bool)
    for band in grading.bands:          # four bands
        if band.min_total is None:
            continue
        hit = ~done & (total_c >= cents(band.min_total))
        out = np.where(hit, band.grade, out)
        done |= hit
    return out


def rank(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """Competition ranking (1, 1, 3) on total within each group."""
    key = frame["total_c"].astype("int64")
    return key.groupby([frame[c] for c in by]).rank(method="min", ascending=False).astype(int)


def forced_distribution(frame: pd.DataFrame, grading) -> pd.DataFrame:
    """Cap the share of a grade per department; ties at the cut keep the higher grade (flagged)."""
    if not grading.forced:
        return frame
    frame = frame.copy()
    order = [b.grade for b in grading.bands]
    for g, pct in grading.forced.items():
        fallback = grading.fallback_grade.get(g) or order[min(order.index(g) + 1, len(order) - 1)]
        for _, idx in frame.groupby("department").groups.items():   # departments, not people
            dept = frame.loc[idx]
            allowed = int(len(dept) * int(cents(pct)) // (100 * CENT))
            holders = dept[dept["grade"] == g].sort_values("total_c", ascending=False)
            if len(holders) <= allowed:
                continue
            cut = holders["total_c"].iloc[allowed - 1] if allowed > 0 else None
            keep = holders["total_c"] >= cut if cut is not None else holders["total_c"] < -1
            tie = keep & (holders["total_c"] == cut) & (keep.sum() > allowed)
            down = holders.index[~keep]
            frame.loc[down, "grade"] = fallback
            frame.loc[down, "flags"] = _add(frame.loc[down, "flags"], f"forced_distribution:{g}→{fallback}")
            tied = holders.index[tie]
            frame.loc[tied, "flags"] = _add(frame.loc[tied, "flags"], f"forced_distribution_tie:{g}")
    return frame


def _add(flags: pd.Series, text: str) -> pd.Series:
    return flags.where(flags == "", flags + "; ") + text


# the period ---------------------------------------------------------------------------------------
def units_of(card: Card, period: Period) -> list[Period]:
    if card.cadence == "quarterly":
        return [] if period.unit == "month" else period.quarters()
    return period.months()


def score(params, inputs, period, department: str | None = None) -> Scores:
    """Score every person of `department` (all when None) for `period`."""
    period = Period.parse(period)
    roster = inputs.roster
    if department is not None:
        roster = roster[roster["department"] == department]
    notes: list[str] = []
    explain_parts, unit_rows = [], []
    for card_key in sorted(roster["card"].dropna().unique()):
        holders = roster[roster["card"] == card_key]
        card0 = params.card(card_key, period)
        units = units_of(card0, period)
        if not units:
            notes.append(f"{card0.role}: quarterly card, not scored for the month {period}")
        groups: list[tuple[Card, list]] = []        # consecutive units scored on the same card version
        for unit in units:
            card = params.card(card_key, unit)
            people = holders.loc[_employed(holders, unit), [ID]].assign(period=unit.label)
            if people.empty:
                continue
            if groups and groups[-1][0] == card:
                groups[-1][1].append(people)
            else:
                groups.append((card, [people]))
        for card, frames in groups:
            base = pd.concat(frames, ignore_index=True)
            first = Period.parse(base["period"].iloc[0])
            names = {e.key: e.name for e in params.catalog(first).events.values()}
            rows = score_units(card, base, inputs, names)
            explain_parts.append(rows)
            unit_rows.append(_unit_totals(rows, card, params.grading(first)))
    if not explain_parts:
        empty = pd.DataFrame()
        return Scores(period, empty, empty, empty, notes + ["nobody to score"])
    explain = pd.concat(explain_parts, ignore_index=True)
    units = pd.concat(unit_rows, ignore_index=True)
    people = roster.set_index(ID)
    scores = _roll_up(units, period, params.grading(period))
    explain = pd.concat([explain, _total_rows(explain, units, scores, period)], ignore_index=True)
    scores = _with_people(scores, people)
    scores = forced_distribution(scores, params.grading(period))
    scores["rank"] = rank(scores, ["department", "card"])
    units = _with_people(units, people)
    units["rank"] = rank(units, ["period", "department", "card"])
    explain = _with_people(explain, people)
    return Scores(period, scores, units, explain, notes)


def _unit_totals(rows: pd.DataFrame, card: Card, grading) -> pd.DataFrame:
    by = rows.groupby(["period", ID, "card"], sort=False)
    total = by["points_c"].sum().clip(lower=0)          # total floor 0 (SPEC 3.3)
    out = total.rename("total_c").reset_index()
    sections = rows.pivot_table(index=["period", ID], columns="section", values="points_c",
                                aggfunc="sum", sort=False).astype("Int64")
    sections.columns = [f"sec:{c}" for c in sections.columns]
    out = out.merge(sections.reset_index(), on=["period", ID], how="left")
    flags = rows[rows["flag"] != ""].assign(f=lambda d: d["flag"] + " " + d["indicator_key"])
    flags = flags.groupby(ID)["f"].agg("; ".join)
    out["flags"] = out[ID].map(flags).fillna("")
    out["grade"] = grade(out["total_c"], grading)
    out["months"] = 1
    return out


def _total_rows(explain: pd.DataFrame, units: pd.DataFrame, scores: pd.DataFrame, period: Period):
    """Explanation rows for each total: the sum of a unit's points, and the mean of a roll-up."""
    by = explain.groupby(["period", ID, "card"], sort=False)
    raw = by["points_c"].sum().rename("raw_c").reset_index()
    got = units.merge(raw, on=["period", ID, "card"], how="left")
    text = pd.Series(to_decimal(got["total_c"]), index=got.index).astype(str)
    note = pd.Series("sum of the indicator points", index=got.index)
    note = note.where(got["raw_c"] >= 0, "sum of the indicator points, floor 0")
    rows = [pd.DataFrame({"period": got["period"], ID: got[ID], "card": got["card"], "raw_c": got["raw_c"],
                          "points_c": got["total_c"], "note": note + ", grade " + got["grade"]})]
    rolled = scores[scores["unit_periods"] != period.label]
    if len(rolled):
        listed = (got["period"] + " " + text).groupby([got[ID], got["card"]], sort=False).agg("; ".join)
        listed = listed.rename("listed").reset_index()
        r = rolled.merge(listed, on=[ID, "card"], how="left")
        rows.append(pd.DataFrame({
            "period": period.label, ID: r[ID], "card": r["card"], "raw_c": r["total_c"], "points_c": r["total_c"],
            "note": "mean of " + r["units"].astype(str) + " scored: " + r["listed"] + " (half-up to 0.01), grade "
                    + r["grade"]}))
    out = pd.concat(rows, ignore_index=True)
    out["section"] = "合计"
    out["indicator_key"] = "total"
    out["indicator"] = "合计"
    out["max_points_c"] = 100 * CENT
    out["rule"] = "total"
    out["inputs"] = ""
    out["flag"] = ""
    out["source"] = ""
    out["reference"] = "SPEC 3.3 (total, grade); SPEC 2 (roll-up)"
    return out[explain.columns]


def _roll_up(units: pd.DataFrame, period: Period, grading) -> pd.DataFrame:
    """Mean of each person's scored units (exact, rounded half-up to 0.01)."""
    sec_cols = [c for c in units.columns if c.startswith("sec:")]
    by = units.groupby([ID, "card"], sort=False)
    n = by.size()
    out = pd.DataFrame({"units": n})
    for col in ["total_c", *sec_cols]:
        total, cnt = by[col].sum(min_count=1), by[col].count()     # integer centipoints: exact
        mean = round_half_up(obj(total.fillna(0).astype("int64").to_numpy()), obj(np.maximum(cnt.to_numpy(), 1)))
        out[col] = pd.array(mean.astype("int64"), dtype="Int64")
        out.loc[cnt.to_numpy() == 0, col] = pd.NA
    out["unit_periods"] = by["period"].agg(", ".join)
    out["flags"] = by["flags"].agg(lambda f: "; ".join(x for x in f if x))
    out = out.reset_index()
    out.insert(0, "period", period.label)
    out["grade"] = grade(out["total_c"], grading)
    return out


def _with_people(frame: pd.DataFrame, people: pd.DataFrame) -> pd.DataFrame:
    cols = ["name", "department", "branch", "role"]
    info = people[cols]
    out = frame.merge(info, left_on=ID, right_index=True, how="left")
    lead = ["period", ID, *cols]
    return out[lead + [c for c in out.columns if c not in lead]]


# output tables -------------------------------------------------------------------------------------
def scores_table(s: Scores) -> pd.DataFrame:
    """scores.csv: period, employee_id, name, department, branch, role, sections, total, grade, rank."""
    f = s.scores
    if f.empty:
        return pd.DataFrame(columns=["period", ID, "name", "department", "branch", "role", "total", "grade", "rank"])
    out = f[["period", ID, "name", "department", "branch", "role"]].copy()
    for col in [c for c in f.columns if c.startswith("sec:")]:
        vals = f[col]
        out[col[4:]] = pd.Series(to_decimal(vals.fillna(0)), index=f.index, dtype=object).where(vals.notna(), None)
    out["total"] = to_decimal(f["total_c"])
    out["grade"] = f["grade"]
    out["rank"] = f["rank"]
    out["units"] = f["unit_periods"]
    out["flags"] = f["flags"]
    return out.sort_values(["department", "role", "rank", ID], kind="stable").reset_index(drop=True)


def explain_table(s: Scores) -> pd.DataFrame:
    f = s.explain
    if f.empty:
        return pd.DataFrame()
    out = f[["period", ID, "name", "department", "role", "section", "indicator_key", "indicator", "rule"]].copy()
    out["max_points"] = to_decimal(f["max_points_c"])
    out["inputs"] = f["inputs"]
    out["raw_points"] = to_decimal(f["raw_c"])
    out["points"] = to_decimal(f["points_c"])
    out["note"] = f["note"]
    out["flag"] = f["flag"]
    out["source"] = f["source"]
    out["reference"] = f["reference"]
    return out
