"""The inputs of the scored units, gathered into one array per indicator and input column.

The integers and codes of the input columns (measures in micro-units, ids, periods,
indicators as codes) are worked out once, at load, and kept in the inputs' memo while
their columns hold the same values (perfpay.inputs.load.Memo): rescoring a scenario
reuses them, an edited value is parsed again. `Tables` then keys the rows of the periods
scored by an integer (unit code × number of people + person code) and `Tables.spread`
puts them in the (indicator × row) matrices of each card version (a `Base`: person ×
unit pairs), which `Gathered` hands to the rules as plain arrays. No merges, no loop over
people: numpy fancy indexing does the lookups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cards import RATER_ROLES, Card
from .distinct import factorize
from .exact import CENT, MICRO, cents, half_up, ints64, present
from .inputs.load import Memo, column_of
from .periods import Period
from .rules import Columns
from .texts import arrow_text, blank, choose, file_rows, join, pick

ID = "employee_id"
MEASURED = ("step", "proportional", "per_unit", "scaled_rating")


# what scoring reads of the input frames, worked out once per column (Inputs.memo) -----------------
SCORED = {"actuals": ("actual",), "targets": ("target",), "ratings": ("score",), "adjustments": ("points",)}


def memo_of(inputs) -> Memo:
    """The memo the inputs carry (perfpay.inputs.Inputs), or a new one that lasts one scoring."""
    memo = getattr(inputs, "memo", None)
    return memo if isinstance(memo, Memo) else Memo()


def _on(inputs, *columns) -> dict:
    return {(t, c): column_of(inputs, t, c) for t, c in columns}


def codes(inputs, table: str, column: str, memo: Memo | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(code of each row, distinct values) of a column: pd.factorize, missing → -1."""
    def make():
        values = getattr(inputs, table)[column].to_numpy(dtype=object)
        got, names = factorize(values)
        return got, np.asarray(names, dtype=object)
    return (memo or memo_of(inputs)).get(("codes", table, column), _on(inputs, (table, column)), make)


def micro(inputs, table: str, column: str, memo: Memo | None = None) -> np.ndarray:
    """The column as integers of micro-units (exact.ints64; missing → 0)."""
    return (memo or memo_of(inputs)).get(("micro", table, column), _on(inputs, (table, column)),
                                         lambda: ints64(getattr(inputs, table)[column]))


def centi(inputs, table: str, column: str, memo: Memo | None = None) -> np.ndarray:
    """The column as integers of centipoints (micro-units rounded half-up; missing → 0)."""
    memo = memo or memo_of(inputs)
    return memo.get(("centi", table, column), _on(inputs, (table, column)),
                    lambda: half_up(micro(inputs, table, column, memo), MICRO // CENT))


def given(inputs, table: str, column: str, memo: Memo | None = None) -> np.ndarray:
    """Which values of the column are not missing."""
    return (memo or memo_of(inputs)).get(("given", table, column), _on(inputs, (table, column)),
                                         lambda: present(getattr(inputs, table)[column].to_numpy(dtype=object)))


def roster_codes(inputs, memo: Memo | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(code of each roster row's employee id, the distinct ids): a missing id has a code of its own."""
    def make():
        got, names = factorize(inputs.roster[ID].to_numpy(dtype=object), use_na_sentinel=False)
        return got, np.asarray(names, dtype=object)
    return (memo or memo_of(inputs)).get(("codes", "roster", ID), _on(inputs, ("roster", ID)), make)


def roster_index(inputs, memo: Memo | None = None) -> pd.Index:
    """The roster's distinct ids as an Index (its hash table built once), in code order."""
    memo = memo or memo_of(inputs)
    return memo.get(("index", "roster", ID), _on(inputs, ("roster", ID)),
                    lambda: pd.Index(roster_codes(inputs, memo)[1], dtype=object))


def people_codes(inputs, table: str, memo: Memo | None = None) -> np.ndarray:
    """For each row of `table`, the code of its employee id among the roster's ids (-1: not on the roster)."""
    memo = memo or memo_of(inputs)

    def make():
        ids, distinct = codes(inputs, table, ID, memo)
        index = roster_index(inputs, memo)                # each distinct id looked up once; a missing one last
        found = np.append(index.get_indexer(distinct), index.get_indexer(np.array([None], dtype=object)))
        return found[ids] if len(ids) else np.zeros(0, dtype=np.intp)
    return memo.get(("people", table), _on(inputs, (table, ID), ("roster", ID)), make)


def roster_dates(inputs, column: str, memo: Memo | None = None) -> np.ndarray:
    """A date column of the roster as datetime64[ns] (NaT when missing or not a date)."""
    def make():
        roster = inputs.roster
        if column not in roster:
            return np.full(len(roster), np.datetime64("NaT"), dtype="datetime64[ns]")
        return pd.to_datetime(roster[column], errors="coerce").to_numpy(dtype="datetime64[ns]")
    return (memo or memo_of(inputs)).get(("dates", "roster", column), _on(inputs, ("roster", column)), make)


def prepare(inputs) -> None:
    """Work out now, once, the integers and codes every scoring of `inputs` reads."""
    memo = memo_of(inputs)
    roster_codes(inputs, memo)
    if "card" in inputs.roster:
        codes(inputs, "roster", "card", memo)
    for column in ("hire_date", "leave_date"):
        roster_dates(inputs, column, memo)
    for table in ("actuals", "targets", "ratings", "adjustments", "events"):
        frame = getattr(inputs, table, None)
        if frame is None or frame.empty:
            continue
        people_codes(inputs, table, memo)
        for column in ("period", "event" if table == "events" else "indicator", "rater_role", "level"):
            if column in frame and (column not in ("rater_role", "level") or table == "ratings"):
                codes(inputs, table, column, memo)
        for column in SCORED.get(table, ()):
            if column in frame:
                micro(inputs, table, column, memo)
                if table in ("ratings", "adjustments"):
                    centi(inputs, table, column, memo)
                if table == "ratings":
                    given(inputs, table, column, memo)


class Tables:
    """The period's rows of targets, actuals, ratings, adjustments and events, keyed by codes.

    `person` gives, for each code of roster_codes, the person scored (-1: not scored).
    """

    def __init__(self, inputs, labels: list[str], ids: np.ndarray, person: np.ndarray, memo: Memo):
        self.inputs, self.memo = inputs, memo
        self.labels = pd.Index(labels)
        self.ids = ids
        self.person = np.r_[person, -1]           # code -1 (not on the roster): nobody
        self.actuals = self._measures("actuals", "actual")
        self.targets = self._measures("targets", "target")
        self.ratings = self._ratings()
        self.adjustments = self._adjustments()
        self.events = self._events()

    def spread(self, bases: list[Base], cards: list[Card], quarterly: list[bool]) -> None:
        """Put every table row scored in its cell of its base's (indicator × row) matrices: all the
        bases at once, one scatter per table (`parts[g]`: the matrices of base g)."""
        size = len(self.labels) * len(self.ids)
        owner = np.full(size + 1, -1, dtype=np.int64)     # the last cell: key -1 (nobody)
        slot = np.zeros(size + 1, dtype=np.int64)
        for g, b in enumerate(bases):
            key = b.unit * len(self.ids) + b.person
            owner[key], slot[key], b.group = g, np.arange(b.n), g
        n = np.array([b.n for b in bases] + [0], dtype=np.int64)
        index = [{ind.key: j for j, ind in enumerate(card.indicators)} for card in cards]
        rated = [_numbered(ind.key for ind in card.indicators if ind.rule_type == "levels") for card in cards]
        adjusted = [_numbered(ind.key for ind in card.indicators if ind.rule_type == "adjustment")
                    for card in cards]
        events = [_numbered(spec["event"] for ind in card.indicators
                            if ind.rule_type in ("deduction", "bonus_events") for spec in ind.rule.get("events", ()))
                  for card in cards]
        place = (owner, slot, n)
        actual = _spread_measure(self.actuals, index, place)
        target = _spread_measure(self.targets, index, place)
        ratings = _spread_ratings(self.ratings, rated, cards, place)
        adjustments = _spread_adjustments(self.adjustments, adjusted, place)
        counts = _spread_events(self.events, events, quarterly, place)
        self.parts = [{"actual": actual[g], "target": target[g], "rated": ratings[g], "adjusted": adjustments[g],
                       "events": counts[g]} for g in range(len(bases))]

    def source_names(self, table: str) -> pa.Array | None:
        """'file:row' (or the computed source) of every row of the frame, then "" (None: no sources)."""
        kept = self.__dict__.setdefault("_sources", {})
        if table not in kept:
            frame = getattr(self, table)["frame"]
            if "src" in frame:                  # computed actuals (perfpay.load) say where they come from
                kept[table] = pa.concat_arrays([arrow_text(frame["src"]), blank(1)])
            elif "_file" in frame and len(frame):
                kept[table] = pa.concat_arrays([source_names(self.inputs, table, self.memo), blank(1)])
            else:
                kept[table] = None
        return kept[table]

    def lead_space(self) -> bool:
        """Whether a file name of the actuals or the targets starts with a space."""
        if "_lead_space" not in self.__dict__:
            self._lead_space = lead_space(self.inputs, "actuals", self.memo) or \
                lead_space(self.inputs, "targets", self.memo)
        return self._lead_space

    def _frame(self, table: str) -> pd.DataFrame | None:
        frame = getattr(self.inputs, table, None)
        return None if frame is None or frame.empty else frame

    def _units(self, table: str) -> np.ndarray:
        """Code of each row's period among the units scored (-1: none of them)."""
        got, names = codes(self.inputs, table, "period", self.memo)
        return np.r_[self.labels.get_indexer(names), -1][got]

    def _rows(self, table: str) -> dict:
        """The rows of the people and units scored (`at`: their rows in the frame, None: all), their key
        and their indicator codes."""
        unit = self._units(table)
        person = self.person[people_codes(self.inputs, table, self.memo)]
        inside = (unit >= 0) & (person >= 0)
        at = None if inside.all() else np.flatnonzero(inside)
        ind, names = codes(self.inputs, table, "indicator", self.memo)
        return {"key": _take(unit, at) * len(self.ids) + _take(person, at), "ind": _take(ind, at),
                "ind_names": names, "at": at, "frame": getattr(self.inputs, table)}

    def _measures(self, table: str, column: str) -> dict:
        if self._frame(table) is None:
            return _empty_measures()
        out = self._rows(table)
        out["value"] = _take(micro(self.inputs, table, column, self.memo), out["at"])
        return out

    def _ratings(self) -> dict:
        if self._frame("ratings") is None:
            return {**_empty_measures(), "role": _none(), "level": _none(), "level_names": [],
                    "has_score": np.zeros(0, dtype=bool), "score": _none()}
        out = self._rows("ratings")
        at, frame, size = out["at"], out["frame"], len(out["key"])
        role, role_names = codes(self.inputs, "ratings", "rater_role", self.memo)
        out["role"] = np.r_[pd.Index(RATER_ROLES).get_indexer(role_names), -1][_take(role, at)]
        if "level" in frame:
            level, names = codes(self.inputs, "ratings", "level", self.memo)
            out["level"], out["level_names"] = _take(level, at), [str(v) for v in names]   # levels match as text
        else:
            out["level"], out["level_names"] = np.full(size, -1, dtype=np.int64), []
        if "score" in frame:
            out["has_score"] = _take(given(self.inputs, "ratings", "score", self.memo), at)
            out["score"] = _take(centi(self.inputs, "ratings", "score", self.memo), at)
        else:
            out["has_score"], out["score"] = np.zeros(size, dtype=bool), np.zeros(size, dtype=np.int64)
        return out

    def _adjustments(self) -> dict:
        if self._frame("adjustments") is None:
            return {**_empty_measures(), "points": _none()}
        out = self._rows("adjustments")
        out["points"] = _take(centi(self.inputs, "adjustments", "points", self.memo), out["at"])
        return out

    def _events(self) -> dict:
        """Events carry their month; a quarterly card counts them by quarter."""
        if self._frame("events") is None:
            return {"month_key": _none(), "quarter_key": _none(), "event": _none(), "event_names": [],
                    "count": _none()}
        month, names = codes(self.inputs, "events", "period", self.memo)
        quarters = [Period.parse(m).quarter.label for m in names]
        unit_of_month = np.r_[self.labels.get_indexer(names), -1][month]
        unit_of_quarter = np.r_[self.labels.get_indexer(pd.Index(quarters, dtype=object)), -1][month]
        person = self.person[people_codes(self.inputs, "events", self.memo)]
        event, event_names = codes(self.inputs, "events", "event", self.memo)
        frame = self.inputs.events

        def key(unit):
            return np.where((unit >= 0) & (person >= 0), unit * len(self.ids) + person, -1)
        return {"month_key": key(unit_of_month), "quarter_key": key(unit_of_quarter),
                "event": event, "event_names": event_names,
                "count": np.asarray(frame["count"], dtype=np.int64)}


def _take(values: np.ndarray, at: np.ndarray | None) -> np.ndarray:
    """values[at], or all of them when `at` is None."""
    return values if at is None else values[at]


def _frame_rows(t: dict, hit: np.ndarray) -> np.ndarray:
    """The rows of the frame of table rows `hit` (positions among the rows scored)."""
    return hit if t["at"] is None else t["at"][hit]


def _none() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


def _empty_measures() -> dict:
    return {"key": _none(), "ind": _none(), "ind_names": np.zeros(0, dtype=object), "at": _none(),
            "frame": pd.DataFrame(), "value": _none()}


class Base:
    """The rows scored on one card version: (unit, person) pairs, in order."""

    def __init__(self, tables: Tables, unit: np.ndarray, person: np.ndarray):
        self.unit, self.person = unit, person          # codes into tables.labels and tables.ids
        self.periods = tables.labels.to_numpy(dtype=object)[unit]
        self.ids = tables.ids[person]
        self.n = len(person)
        self.group = -1                                # its number among the bases (Tables.spread)


def _codes(names, wanted: dict) -> np.ndarray:
    """For each distinct name of a table column, its column in `wanted` (-1 when not wanted)."""
    return np.array([wanted.get(name, -1) for name in names] + [-1], dtype=np.int64)


def _last(flat: np.ndarray, size: int) -> np.ndarray:
    """Positions of the entries to keep: the last one of each repeated `flat` cell."""
    if len(flat) == 0 or np.bincount(flat, minlength=size).max() <= 1:
        return np.arange(len(flat))
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    return np.sort(len(flat) - 1 - first_from_end)


def _numbered(keys) -> dict:
    """Each distinct key and its number, in order of first appearance."""
    out: dict = {}
    for key in keys:
        out.setdefault(key, len(out))
    return out


def _cells(t: dict, wanted: list[dict], place, codes: str = "ind", key: str = "key", depth: int = 1,
           layout: list[dict] | None = None):
    """(base, column, row in the base, table row) of the table rows scored whose `codes` are wanted there,
    and the offset of each base's matrix in one flat array: (layout × depth × its rows), layout
    being `wanted` unless given."""
    owner, slot, n = place
    keys = t[key]
    g = np.take(owner, keys)
    names = t[codes + "_names"]
    width = len(names) + 1
    colmap = np.full((len(wanted) + 1, width), -1, dtype=np.int64)
    for i, w in enumerate(wanted):
        colmap[i] = _codes(names, w)
    # base -1 or code -1 lands on a last column (each row of colmap ends in -1): not wanted
    col = np.take(colmap.reshape(-1), g * width + t[codes])
    hit = np.flatnonzero(col >= 0)
    g, col, row = np.take(g, hit), np.take(col, hit), np.take(slot, np.take(keys, hit))
    sizes = np.array([len(w) * depth for w in (layout or wanted)] + [0], dtype=np.int64) * n
    offset = np.r_[0, np.cumsum(sizes)]
    return g, col, row, hit, offset


def _split(flat: np.ndarray, offset: np.ndarray, shape) -> list[np.ndarray]:
    """Base g's part of a flat array, as its matrix (shape(g))."""
    return [flat[offset[g]:offset[g + 1]].reshape(shape(g)) for g in range(len(offset) - 2)]


def _spread_measure(t: dict, index: list[dict], place) -> list[dict]:
    n = place[2]
    g, col, row, hit, offset = _cells(t, index, place)
    cell = offset[g] + col * n[g] + row
    keep = _last(cell, offset[-1])                  # a repeated row: the last one counts
    cell, hit = cell[keep], hit[keep]
    value = np.zeros(offset[-1], dtype=t["value"].dtype)
    has = np.zeros(offset[-1], dtype=bool)
    source = np.full(offset[-1], -1, dtype=np.int64)
    value[cell], has[cell], source[cell] = t["value"][hit], True, hit
    shape = lambda g: (len(index[g]), n[g])
    return [{"value": v, "has": h, "source": s} for v, h, s in
            zip(_split(value, offset, shape), _split(has, offset, shape), _split(source, offset, shape))]


def _spread_ratings(t: dict, rated: list[dict], cards: list[Card], place) -> list[tuple]:
    """Sum of rated centipoints and number of ratings per (rated indicator, role, row) of each base."""
    n, r = place[2], len(RATER_ROLES)
    g, col, row, hit, offset = _cells(t, rated, place, depth=r)
    role = t["role"][hit]
    ok = role >= 0
    g, col, row, hit, role = g[ok], col[ok], row[ok], hit[ok], role[ok]
    # a level's points from each card version; a score as given
    lookup = np.zeros((len(cards) + 1, len(t["ind_names"]) + 1, len(t["level_names"]) + 1), dtype=np.int64)
    for c, card in enumerate(cards):
        given = {(ind.key, str(lv["level"])): cents(lv["points"]) for ind in card.indicators
                 if ind.rule_type == "levels" for lv in ind.rule.get("levels", [])}
        for i, key in enumerate(t["ind_names"]):
            for v, level in enumerate(t["level_names"]):
                lookup[c, i, v] = given.get((key, level), 0)
    points = np.where(t["has_score"][hit], t["score"][hit], lookup[g, t["ind"][hit], t["level"][hit]])
    cell = offset[g] + (col * r + role) * n[g] + row
    counts = np.bincount(cell, minlength=offset[-1]).astype(np.int64)
    sums = _sums(cell, np.asarray(points, dtype=np.int64), counts)
    shape = lambda g: (len(rated[g]), r, n[g])
    return list(zip(rated, _split(sums, offset, shape), _split(counts, offset, shape)))


def _sums(cell: np.ndarray, values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Sum of the values of each cell (`counts`: entries per cell), in integers."""
    sums = np.zeros(len(counts), dtype=values.dtype)
    if len(cell) and counts.max() > 1:
        np.add.at(sums, cell, values)
    else:                                           # one entry a cell at most: placed, not added
        sums[cell] = values
    return sums


def _spread_adjustments(t: dict, adjusted: list[dict], place) -> list[dict]:
    n = place[2]
    g, col, row, hit, offset = _cells(t, adjusted, place)
    flat = col * n[g] + row
    cell = offset[g] + flat
    total = np.zeros(offset[-1], dtype=np.int64)
    np.add.at(total, cell, t["points"][hit].astype(np.int64))
    count = np.bincount(cell, minlength=offset[-1]).astype(np.int64)
    shape = lambda g: (len(adjusted[g]), n[g])
    return [{"wanted": w, "sum": a, "n": c, "flat": flat[g == i], "hit": hit[g == i]}
            for i, (w, a, c) in enumerate(zip(adjusted, _split(total, offset, shape), _split(count, offset, shape)))]


def _spread_events(t: dict, wanted: list[dict], quarterly: list[bool], place) -> list[tuple]:
    """Count of each wanted event per row of each base: a quarterly card counts its quarter's events."""
    n = place[2]
    counts = None
    for key, by_quarter in (("month_key", False), ("quarter_key", True)):
        mine = [w if q == by_quarter else {} for w, q in zip(wanted, quarterly)]
        g, col, row, hit, offset = _cells(t, mine, place, "event", key, layout=wanted)
        if counts is None:
            counts = np.zeros(offset[-1], dtype=np.int64)
        np.add.at(counts, offset[g] + col * n[g] + row, t["count"][hit])
    shape = lambda g: (len(wanted[g]), n[g])
    return list(zip(wanted, _split(counts, offset, shape)))


class Gathered:
    """One card version's inputs as (indicator × row) matrices; `columns(i)` gives a rule its arrays."""

    def __init__(self, card: Card, base: Base, tables: Tables, quarterly: bool, event_names: dict):
        self.card, self.base, self.tables, self.event_names = card, base, tables, event_names
        self.index = {ind.key: j for j, ind in enumerate(card.indicators)}
        part = tables.parts[base.group]
        self.actual, self.target = part["actual"], part["target"]
        self.events, self.rated, self.adjusted = part["events"], part["rated"], part["adjusted"]

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
            rated, sums, counts = self.rated
            at = rated[ind.key]
            for i, role in enumerate(RATER_ROLES):
                cols[f"r:{role}:sum"], cols[f"r:{role}:n"] = sums[at, i], counts[at, i]
        elif kind == "adjustment":
            at = self.adjusted["wanted"][ind.key]
            cols = {"adj": self.adjusted["sum"][at], "adj_n": self.adjusted["n"][at]}
        return Columns(cols, self.base.n, self.event_names)

    def adjustment_notes(self, j: int) -> np.ndarray:
        """'reason (approver); …' of each row's adjustments to indicator j, in table order."""
        n, a = self.base.n, self.adjusted
        mine = (a["flat"] // n) == a["wanted"][self.card.indicators[j].key]
        if not mine.any():
            return np.full(n, "", dtype=object)
        t = self.tables.adjustments
        rows = t["frame"].iloc[_frame_rows(t, a["hit"][mine])]
        why = (rows["reason"].astype(str) + " (" + rows["approved_by"].astype(str) + ")").to_numpy(dtype=object)
        return join_groups(a["flat"][mine] % n, why, n, "; ")

    def sources(self, j: int) -> pa.Array:
        """'file:row file:row' of the actual and the target of indicator j, per row (pyarrow text)."""
        tables = self.tables
        a = _source_text(tables, "actuals", self.actual["source"][j])
        t = _source_text(tables, "targets", self.target["source"][j])
        if tables.lead_space():
            joined = join(a, t, sep=" ").to_numpy(zero_copy_only=False)
            return arrow_text(pd.Series(joined, dtype=object).str.strip())
        has_a, has_t = _given(tables, "actuals", a, self.actual["source"][j]), \
            _given(tables, "targets", t, self.target["source"][j])
        if not has_t.any():
            return a
        if not has_a.any():
            return t
        out = choose(has_a, a, t)
        both = has_a & has_t
        return choose(both, join(a, t, sep=" "), out) if both.any() else out


def _given(tables: Tables, table: str, text: pa.Array, source: np.ndarray) -> np.ndarray:
    """Rows with a source text (not "")."""
    has = source >= 0
    if "src" in getattr(tables, table)["frame"]:           # a computed actual's source may be ""
        at = np.flatnonzero(has)
        has[at] = pc.not_equal(pick(text, at), "").to_numpy(zero_copy_only=False)
    return has


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


def _source_text(tables: Tables, table: str, source: np.ndarray) -> pa.Array:
    """'file:row' of the table rows in `source` ("" for -1), as pyarrow text."""
    t = getattr(tables, table)
    names = tables.source_names(table)
    if names is None:
        return blank(len(source))
    rows = np.full(len(source), len(names) - 1)       # the last name: ""
    at = np.flatnonzero(source >= 0)
    rows[at] = _frame_rows(t, source[at])
    return pick(names, rows)


def source_names(inputs, table: str, memo: Memo) -> pa.Array:
    """'file:row' of every row of an input frame, as pyarrow text."""
    def make():
        frame = getattr(inputs, table)
        return file_rows(frame["_file"], frame["_row"].to_numpy())
    return memo.get(("sources", table), _on(inputs, (table, "_file"), (table, "_row")), make)


def lead_space(inputs, table: str, memo: Memo) -> bool:
    """Whether a file name of the frame starts with a space (the source is stripped then, as written)."""
    frame = getattr(inputs, table, None)
    if frame is None or frame.empty or "_file" not in frame:
        return False
    _, files = codes(inputs, table, "_file", memo)
    return any(str(name)[:1].isspace() for name in files)
