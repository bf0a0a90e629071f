"""The inputs of the scored units, gathered into one array per indicator and input column.

`Tables` reads the input tables once per scoring: the rows of the periods scored, each
keyed by an integer (unit code × number of people + person code), measures parsed to
integers. `Gathered` then spreads them over the rows of one card version (a `Base`:
person × unit pairs) as (indicator × row) matrices, so that a rule reads plain arrays.
No merges, no loop over people: numpy fancy indexing does the lookups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .cards import RATER_ROLES, Card
from .exact import CENT, MICRO, cents, half_up, ints64, present
from .periods import Period
from .rules import Columns

ID = "employee_id"
MEASURED = ("step", "proportional", "per_unit", "scaled_rating")


def _table(frame, columns) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return frame


class Tables:
    """The period's rows of targets, actuals, ratings, adjustments and events, keyed by codes."""

    def __init__(self, inputs, labels: list[str], ids: pd.Index):
        self.labels = pd.Index(labels)
        self.ids = ids
        self.actuals = self._measures(_table(inputs.actuals, ["period", ID, "indicator", "actual"]), "actual")
        self.targets = self._measures(_table(inputs.targets, ["period", ID, "indicator", "target"]), "target")
        self.ratings = self._ratings(_table(inputs.ratings, ["period", ID, "indicator", "rater_role", "level",
                                                             "score"]))
        self.adjustments = self._adjustments(_table(inputs.adjustments, ["period", ID, "indicator", "points",
                                                                         "reason", "approved_by"]))
        self.events = self._events(_table(inputs.events, ["period", ID, "event", "count"]))

    def place(self, bases: list[Base]) -> None:
        """For every table row: the base scoring its (unit, person) and the row there (-1: none)."""
        size = len(self.labels) * len(self.ids)
        owner = np.full(size, -1, dtype=np.int64)
        slot = np.zeros(size, dtype=np.int64)
        for g, b in enumerate(bases):
            key = b.unit * len(self.ids) + b.person
            owner[key], slot[key], b.group = g, np.arange(b.n), g
        for t, name in ((self.actuals, "key"), (self.targets, "key"), (self.ratings, "key"),
                        (self.adjustments, "key"), (self.events, "month_key"), (self.events, "quarter_key")):
            key = t[name]
            at = np.flatnonzero(key >= 0)
            group, row = np.full(len(key), -1, dtype=np.int64), np.full(len(key), -1, dtype=np.int64)
            group[at], row[at] = owner[key[at]], slot[key[at]]
            t[name + ":rows"] = [np.flatnonzero(group == g) for g in range(len(bases))]   # table rows by base
            t[name + ":row"] = row

    def _units(self, periods: np.ndarray) -> np.ndarray:
        """Code of each period label among the units scored (-1: none of them)."""
        if len(self.labels) > 3:
            return self.labels.get_indexer(periods)
        unit = np.full(len(periods), -1, dtype=np.int64)
        for i, label in enumerate(self.labels):        # a month or a quarter: a compare beats a hash
            unit[periods == label] = i
        return unit

    def _rows(self, t: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
        """The rows of the people and units scored, their key and their indicator codes."""
        unit = self._units(t["period"].to_numpy(dtype=object))
        person = self.ids.get_indexer(t[ID].to_numpy(dtype=object))
        inside = (unit >= 0) & (person >= 0)
        if not inside.all():
            t, unit, person = t[inside], unit[inside], person[inside]
        codes, names = pd.factorize(t["indicator"].to_numpy(dtype=object))
        return t, {"key": unit * len(self.ids) + person, "ind": codes, "ind_names": names}

    def _measures(self, table: pd.DataFrame, column: str) -> dict:
        t, out = self._rows(table)
        out["value"] = ints64(t[column])
        out["rows"] = t          # for the sources of the explanation
        return out

    def _ratings(self, table: pd.DataFrame) -> dict:
        t, out = self._rows(table)
        out["role"] = pd.Index(RATER_ROLES).get_indexer(t["rater_role"].to_numpy(dtype=object))
        level = t["level"].to_numpy(dtype=object) if "level" in t else np.full(len(t), None, dtype=object)
        out["level"], names = pd.factorize(level)
        out["level_names"] = [str(v) for v in names]          # levels match as text: 3 is "3"
        score = t["score"].to_numpy(dtype=object) if "score" in t else np.full(len(t), None, dtype=object)
        out["has_score"] = present(score)
        out["score"] = half_up(ints64(score), MICRO // CENT)      # centipoints
        return out

    def _adjustments(self, table: pd.DataFrame) -> dict:
        t, out = self._rows(table)
        out["points"] = half_up(ints64(t["points"]), MICRO // CENT)
        out["rows"] = t
        return out

    def _events(self, table: pd.DataFrame) -> dict:
        """Events carry their month; a quarterly card counts them by quarter."""
        month, names = pd.factorize(table["period"].to_numpy(dtype=object))
        quarters = [Period.parse(m).quarter.label for m in names]
        unit_of_month = np.r_[self.labels.get_indexer(names), -1][month]
        unit_of_quarter = np.r_[self.labels.get_indexer(pd.Index(quarters, dtype=object)), -1][month]
        person = self.ids.get_indexer(table[ID].to_numpy(dtype=object))
        event, event_names = pd.factorize(table["event"].to_numpy(dtype=object))

        def key(unit):
            return np.where((unit >= 0) & (person >= 0), unit * len(self.ids) + person, -1)
        return {"month_key": key(unit_of_month), "quarter_key": key(unit_of_quarter),
                "event": event, "event_names": event_names,
                "count": np.asarray(table["count"], dtype=np.int64) if len(table) else np.zeros(0, np.int64)}


class Base:
    """The rows scored on one card version: (unit, person) pairs, in order."""

    def __init__(self, tables: Tables, unit: np.ndarray, person: np.ndarray):
        self.unit, self.person = unit, person          # codes into tables.labels and tables.ids
        self.periods = tables.labels.to_numpy(dtype=object)[unit]
        self.ids = tables.ids.to_numpy(dtype=object)[person]
        self.n = len(person)
        self.group = -1                                # its number among the bases (Tables.place)


def _codes(names, wanted: dict) -> np.ndarray:
    """For each distinct name of a table column, its column in `wanted` (-1 when not wanted)."""
    return np.array([wanted.get(name, -1) for name in names] + [-1], dtype=np.int64)


def _last(flat: np.ndarray, size: int) -> np.ndarray:
    """Positions of the entries to keep: the last one of each repeated `flat` cell."""
    if len(flat) == 0 or np.bincount(flat, minlength=size).max() <= 1:
        return np.arange(len(flat))
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    return np.sort(len(flat) - 1 - first_from_end)


class Gathered:
    """One card version's inputs as (indicator × row) matrices; `columns(i)` gives a rule its arrays."""

    def __init__(self, card: Card, base: Base, tables: Tables, quarterly: bool, event_names: dict):
        self.card, self.base, self.tables, self.event_names = card, base, tables, event_names
        self.index = {ind.key: j for j, ind in enumerate(card.indicators)}
        self.actual = self._measure(tables.actuals)
        self.target = self._measure(tables.targets)
        self.events = self._events(tables.events, quarterly)
        self.rated = self._ratings(tables.ratings)
        self.adjusted = self._adjustments(tables.adjustments)

    def _place(self, t: dict, wanted: dict, codes: str = "ind", key: str = "key"):
        """(base row, column, table row) of the table rows scored here whose `codes` are `wanted`."""
        hit = t[key + ":rows"][self.base.group]
        col = _codes(t[codes + "_names"], wanted)[t[codes][hit]]
        ok = col >= 0
        hit = hit[ok]
        return t[key + ":row"][hit], col[ok], hit

    def _measure(self, t: dict) -> dict:
        k, n = len(self.index), self.base.n
        row, col, hit = self._place(t, self.index)
        flat = col * n + row
        keep = _last(flat, k * n)                   # a repeated row: the last one counts
        flat, hit = flat[keep], hit[keep]
        value = np.zeros(k * n, dtype=t["value"].dtype)
        has = np.zeros(k * n, dtype=bool)
        source = np.full(k * n, -1, dtype=np.int64)
        value[flat], has[flat], source[flat] = t["value"][hit], True, hit
        return {"value": value.reshape(k, n), "has": has.reshape(k, n), "source": source.reshape(k, n)}

    def _events(self, t: dict, quarterly: bool) -> tuple[dict, np.ndarray]:
        wanted = {}
        for ind in self.card.indicators:
            for spec in ind.rule.get("events", ()) if ind.rule_type in ("deduction", "bonus_events") else ():
                wanted.setdefault(spec["event"], len(wanted))
        n = self.base.n
        row, col, hit = self._place(t, wanted, "event", "quarter_key" if quarterly else "month_key")
        counts = np.zeros(len(wanted) * n, dtype=np.int64)
        np.add.at(counts, col * n + row, t["count"][hit])
        return wanted, counts.reshape(len(wanted), n)

    def _ratings(self, t: dict) -> tuple[np.ndarray, np.ndarray]:
        """Sum of rated centipoints and number of ratings per (indicator, role, row)."""
        rated = {ind.key: j for j, ind in enumerate(self.card.indicators) if ind.rule_type == "levels"}
        k, n, r = len(self.index), self.base.n, len(RATER_ROLES)
        row, col, hit = self._place(t, rated)
        role = t["role"][hit]
        ok = role >= 0
        row, col, hit, role = row[ok], col[ok], hit[ok], role[ok]
        # a level's points from this card version; a score as given
        given = {(ind.key, str(lv["level"])): cents(lv["points"]) for ind in self.card.indicators
                 if ind.rule_type == "levels" for lv in ind.rule.get("levels", [])}
        lookup = np.zeros((len(t["ind_names"]) + 1, len(t["level_names"]) + 1), dtype=np.int64)
        for i, key in enumerate(t["ind_names"]):
            for v, level in enumerate(t["level_names"]):
                lookup[i, v] = given.get((key, level), 0)
        points = np.where(t["has_score"][hit], t["score"][hit], lookup[t["ind"][hit], t["level"][hit]])
        flat = (col * r + role) * n + row
        sums = np.zeros(k * r * n, dtype=np.int64)
        np.add.at(sums, flat, np.asarray(points, dtype=np.int64))
        counts = np.bincount(flat, minlength=k * r * n).astype(np.int64)
        return sums.reshape(k, r, n), counts.reshape(k, r, n)

    def _adjustments(self, t: dict) -> dict:
        wanted = {ind.key: j for j, ind in enumerate(self.card.indicators) if ind.rule_type == "adjustment"}
        k, n = len(self.index), self.base.n
        row, col, hit = self._place(t, wanted)
        flat = col * n + row
        total = np.zeros(k * n, dtype=np.int64)
        np.add.at(total, flat, t["points"][hit].astype(np.int64))
        count = np.bincount(flat, minlength=k * n).astype(np.int64)
        return {"sum": total.reshape(k, n), "n": count.reshape(k, n), "flat": flat, "hit": hit}

    # what a rule reads ------------------------------------------------------------------
    def columns(self, j: int) -> Columns:
        ind = self.card.indicators[j]
        kind = ind.rule_type
        cols = {}
        if kind in MEASURED:
            cols = {"actual": self.actual["value"][j], "has_actual": self.actual["has"][j],
                    "target": self.target["value"][j], "has_target": self.target["has"][j]}
        elif kind in ("deduction", "bonus_events"):
            wanted, counts = self.events
            for spec in ind.rule.get("events", ()):
                cols[f"ev:{spec['event']}"] = counts[wanted[spec["event"]]]
        elif kind == "levels":
            sums, counts = self.rated
            for i, role in enumerate(RATER_ROLES):
                cols[f"r:{role}:sum"], cols[f"r:{role}:n"] = sums[j, i], counts[j, i]
        elif kind == "adjustment":
            cols = {"adj": self.adjusted["sum"][j], "adj_n": self.adjusted["n"][j]}
        return Columns(cols, self.base.n, self.event_names)

    def adjustment_notes(self, j: int) -> np.ndarray:
        """'reason (approver); …' of each row's adjustments to indicator j, in table order."""
        n, a = self.base.n, self.adjusted
        mine = (a["flat"] // n) == j
        rows = self.tables.adjustments["rows"].iloc[a["hit"][mine]]
        why = (rows["reason"].astype(str) + " (" + rows["approved_by"].astype(str) + ")").to_numpy(dtype=object)
        return join_groups(a["flat"][mine] % n, why, n, "; ")

    def sources(self, j: int) -> np.ndarray:
        """'file:row file:row' of the actual and the target of indicator j, per row."""
        a = _source_text(self.tables.actuals, self.actual["source"][j])
        t = _source_text(self.tables.targets, self.target["source"][j])
        if self.tables.actuals.get("lead_space") or self.tables.targets.get("lead_space"):
            return pd.Series(a + " " + t).str.strip().to_numpy(dtype=object)
        both = (a != "") & (t != "")
        return np.where(both, a + " " + t, np.where(a != "", a, t)).astype(object)


def join_groups(codes: np.ndarray, texts: np.ndarray, groups: int, sep: str, skip_empty: bool = False) -> np.ndarray:
    """The texts of each group (codes 0..groups-1) joined by `sep` in row order.

    Vectorised over groups: the loop runs over the positions within a group (a few).
    """
    texts = np.asarray(texts, dtype=object)
    if skip_empty:
        keep = texts != ""
        codes, texts = codes[keep], texts[keep]
    out = np.full(groups, "", dtype=object)
    if len(codes) == 0:
        return out
    order = np.argsort(codes, kind="stable")
    codes, texts = codes[order], texts[order]
    start = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    place = np.arange(len(codes)) - np.repeat(start, np.diff(np.r_[start, len(codes)]))
    out[codes[place == 0]] = texts[place == 0]
    for p in range(1, int(place.max()) + 1):
        at = place == p
        out[codes[at]] = out[codes[at]] + sep + texts[at]
    return out


def _source_text(t: dict, source: np.ndarray) -> np.ndarray:
    """'file:row' of the table rows in `source` ("" for -1)."""
    if "files" not in t:
        _files(t)
    out = np.full(len(source), "", dtype=object)
    at = np.flatnonzero(source >= 0)
    if "src" in t["rows"] and len(at):      # computed actuals (perfpay.load) say where they come from
        out[at] = t["rows"]["src"].to_numpy(dtype=object)[source[at]]
    elif t["files"] is not None and len(at):
        rows = source[at]
        line = pd.Series(t["line"][rows]).astype(str).to_numpy(dtype=object)
        out[at] = t["files"][t["file"][rows]] + ":" + line
    return out


def _files(t: dict) -> None:
    """The file of each row of a table, as codes into its distinct names (made once)."""
    rows = t["rows"]
    t["files"], t["lead_space"] = None, False
    if "_file" not in rows or rows.empty:
        return
    t["file"], files = pd.factorize(rows["_file"].to_numpy(dtype=object), use_na_sentinel=False)
    t["files"] = pd.Series(files, dtype=object).astype(str).to_numpy(dtype=object)
    t["line"] = rows["_row"].to_numpy()
    t["lead_space"] = any(name[:1].isspace() for name in t["files"])   # the source is stripped then, as written
