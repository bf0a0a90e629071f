"""Score a period: every card, every person, every indicator, then totals, grades and ranks.

A monthly card is scored per month, a quarterly card per quarter (its *units*);
a longer period is the mean of the units in which the person was employed
(SPEC 2). Loops here run over cards, units and indicators, never over people.

Scoring reads integer arrays (gather.py) and keeps points only; the explanation (one
row of text per person × indicator × unit, plus the totals) is written when
`Scores.explain` is first read, once per distinct combination of an item's inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cards import Card
from .distinct import Coded, first_codes, firsts, repeated
from .exact import CENT, cents, decimals, half_up, obj
from .gather import Base, Gathered, Tables, codes, join_groups, memo_of, roster_codes, roster_dates
from .output import CodedTable
from .periods import Period
from .rules import Columns, limit_note, limits, raw_points
from .texts import blank, column

ID = "employee_id"
KEY = ["period", ID]        # one scored row: a person in a unit (a month or a quarter)


class Scores:
    """The scores of a period.

    scores   one row per person for `period`
    units    one row per person and scored month/quarter
    explain  one row per person × indicator × unit, plus total rows (made on first read)
    notes    things the reader should know
    """

    def __init__(self, period: Period, scores: pd.DataFrame, units: pd.DataFrame, explain,
                 notes: list[str] | None = None):
        self.period, self.scores, self.units = period, scores, units
        self._explain = explain            # a DataFrame, or a function that makes it
        self.notes = notes if notes is not None else []

    @property
    def explain(self) -> pd.DataFrame:
        if callable(self._explain):
            self._explain = self._explain()
        return self._explain

    @explain.setter
    def explain(self, frame: pd.DataFrame) -> None:
        self._explain = frame

    def explain_rows(self) -> int:
        """How many rows the explanation has, without making it where its size is known before."""
        rows = getattr(self._explain, "rows", None) if callable(self._explain) else None
        return len(self.explain) if rows is None else rows

    def __getstate__(self):
        return {**self.__dict__, "_explain": self.explain}

    def __repr__(self) -> str:
        return f"Scores({self.period}, {len(self.scores)} people, {len(self.units)} units)"


# one card version over its units --------------------------------------------------------------
@dataclass
class Scored:
    """Points of every indicator of one card version (indicator × row), and what explains them."""
    gathered: Gathered
    raw: list[np.ndarray]           # before the floor and the cap
    points: list[np.ndarray]
    flags: list[np.ndarray]
    flagged: list[np.ndarray]       # positions of the rows with a flag

    @property
    def card(self) -> Card:
        return self.gathered.card

    @property
    def base(self) -> Base:
        return self.gathered.base


def score_units(gathered: Gathered) -> Scored:
    """Every indicator of the card over every row at once: a dozen rule calls, no loop over people."""
    card = gathered.card
    raws, points, flags, flagged = [], [], [], []
    for j, ind in enumerate(card.indicators):
        raw = raw_points(ind, gathered.columns(j), card.raters, card.missing_rater, text=False)
        out, _, _ = limits(ind, raw)
        raws.append(raw.points.astype(np.int64))          # centipoints fit in int64
        points.append(out.astype(np.int64))
        flags.append(raw.flag)
        flagged.append(raw.flagged_rows())
    return Scored(gathered, raws, points, flags, flagged)


def _unit_totals(s: Scored, grading) -> dict:
    """One row per person and unit: total (floor 0, SPEC 3.3), section subtotals, flags, grade (columns)."""
    card, base = s.card, s.base
    points = np.vstack(s.points)
    total = np.maximum(points.sum(axis=0), 0)
    out = {"period": base.periods, ID: base.ids, "card": repeated(card.key, base.n), "total_c": total}
    section = {sec.key: sec.name for sec in card.sections}
    for name in dict.fromkeys(section[ind.section] for ind in card.indicators):
        rows = [j for j, ind in enumerate(card.indicators) if section[ind.section] == name]
        out[f"sec:{name}"] = points[rows].sum(axis=0)
    # flags of the person's rows of this card version: indicator by indicator, unit by unit
    who, texts = [], []
    for ind, flag, at in zip(card.indicators, s.flags, s.flagged):
        who.append(base.person[at])
        texts.append(flag[at] + " " + ind.key)
    who = np.concatenate(who)
    out["flags"] = np.full(base.n, "", dtype=object)
    if len(who):                                    # joined among the people flagged, then spread
        flagged, people = pd.factorize(who)
        joined = join_groups(flagged, np.concatenate(texts), len(people), "; ")
        of = np.full(base.person.max() + 1, -1, dtype=np.int64)
        of[people] = np.arange(len(people))
        got = of[base.person]
        out["flags"][got >= 0] = joined[got[got >= 0]]
    out["grade"] = grade(total, grading)
    out["months"] = np.ones(base.n, dtype=np.int64)
    return out


# grades and ranks ------------------------------------------------------------------------------
def grade(total_c, grading) -> np.ndarray:
    """The grade band of each total: the first band (highest first) whose minimum it reaches."""
    total_c = np.asarray(total_c)
    if total_c.dtype == object:
        total_c = obj(total_c)
    names = np.array([band.grade for band in grading.bands], dtype=object)
    pick = np.full(len(total_c), len(names) - 1)
    for i in reversed(range(len(names))):          # four bands; the highest matching one wins
        if grading.bands[i].min_total is not None:
            pick[total_c >= cents(grading.bands[i].min_total)] = i
    return names[pick]


def rank(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """Competition ranking (1, 1, 3) on total within each group: one sort, no loop over groups."""
    return _rank(frame["total_c"], [pd.factorize(frame[c].to_numpy(dtype=object))[0] + 1 for c in by])


def _rank(total: pd.Series, groups: list[np.ndarray]) -> pd.Series:
    """`rank` with the groups given as codes (each >= 0), one array per grouping column."""
    total_c = total.astype("int64").to_numpy()
    group = np.zeros(len(total_c), dtype=np.int64)
    for level in groups:
        group = group * (int(level.max(initial=0)) + 1) + level
    top, low = int(total_c.max(initial=0)), int(total_c.min(initial=0))
    if (int(group.max(initial=0)) + 1) * (top - low + 1) < 2**62:     # one integer key: group, then best first
        order = np.argsort(group * (top - low + 1) + (top - total_c))   # ties rank alike in any order
    else:
        order = np.lexsort((-total_c, group))
    g, t = group[order], total_c[order]
    at = np.arange(len(order))
    new_group = np.r_[True, g[1:] != g[:-1]]
    new_total = new_group | np.r_[True, t[1:] != t[:-1]]
    first_of_group = np.maximum.accumulate(np.where(new_group, at, 0))
    first_of_tie = np.maximum.accumulate(np.where(new_total, at, 0))
    ranks = np.empty(len(order), dtype=np.int64)
    ranks[order] = first_of_tie - first_of_group + 1
    return pd.Series(ranks, index=total.index)


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


def _plan(params, inputs, at: np.ndarray, period: Period, notes: list[str], memo) -> list[tuple[Card, list]]:
    """(card version, [(unit label, roster positions employed in it)]) in scoring order.

    `at`: the roster rows scored. A person is scored in a unit when employed on at least one
    day of it; consecutive units on the same card version are scored together.
    """
    hire, leave = roster_dates(inputs, "hire_date", memo)[at], roster_dates(inputs, "leave_date", memo)[at]
    card_of, card_keys = codes(inputs, "roster", "card", memo)
    card_of = card_of[at]
    held = np.bincount(card_of[card_of >= 0], minlength=len(card_keys)) > 0
    plan = []
    for code in np.argsort(np.asarray(card_keys, dtype=object), kind="stable"):
        if not held[code]:
            continue
        card_key = card_keys[code]
        holders = np.flatnonzero(card_of == code)
        card0 = params.card(card_key, period)
        units = units_of(card0, period)
        if not units:
            notes.append(f"{card0.role}: quarterly card, not scored for the month {period}")
        groups: list[tuple[Card, list]] = []
        for unit in units:
            card = params.card(card_key, unit)
            end, start = np.datetime64(unit.end, "ns"), np.datetime64(unit.start, "ns")
            employed = (hire[holders] <= end) & (np.isnat(leave[holders]) | (leave[holders] >= start))
            people = holders[employed]
            if not len(people):
                continue
            if groups and groups[-1][0] == card:
                groups[-1][1].append((unit.label, people))
            else:
                groups.append((card, [(unit.label, people)]))
        plan += groups
    return plan


def _people(code: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The person of each id code (-1: not scored), people numbered in order of first roster row;
    and the first roster row (of those scored) of each person."""
    person = np.full(size, -1, dtype=np.int64)
    if len(code) and np.bincount(code, minlength=size).max() > 1:       # an id twice on the roster
        _, first = np.unique(code, return_index=True)
        first = np.sort(first)
    else:
        first = np.arange(len(code))
    person[code[first]] = np.arange(len(first))
    return person, first


def score(params, inputs, period, department: str | None = None) -> Scores:
    """Score every person of `department` (all when None) for `period`."""
    period = Period.parse(period)
    memo = memo_of(inputs)
    roster = inputs.roster
    at = np.arange(len(roster))
    if department is not None:
        at = np.flatnonzero((roster["department"] == department).to_numpy(dtype=bool))
        roster = roster.iloc[at]
    notes: list[str] = []
    plan = _plan(params, inputs, at, period, notes, memo)
    if not plan:
        empty = pd.DataFrame()
        return Scores(period, empty, empty, empty, notes + ["nobody to score"])
    code, names = roster_codes(inputs, memo)
    code = code[at]                                   # each roster row's id, as a code
    person, first = _people(code, len(names))
    unique = len(first) == len(code)                  # then a person's code is their roster row
    ids = roster[ID].to_numpy(dtype=object)[first]
    person_at = person[code]
    labels = list(dict.fromkeys(label for _, members in plan for label, _ in members))
    tables = Tables(inputs, labels, ids, person, memo)
    bases = [Base(tables, np.concatenate([np.full(len(p), labels.index(label)) for label, p in members]),
                  person_at[np.concatenate([p for _, p in members])]) for _, members in plan]
    tables.spread(bases, [card for card, _ in plan], [card.cadence == "quarterly" for card, _ in plan])
    scored, parts = [], []
    card_code: dict[str, int] = {}
    for (card, members), base in zip(plan, bases):
        first = Period.parse(members[0][0])
        names = {e.key: e.name for e in params.catalog(first).events.values()}
        s = score_units(Gathered(card, base, tables, card.cadence == "quarterly", names))
        scored.append(s)
        parts.append(_unit_totals(s, params.grading(first)))
        card_code.setdefault(card.key, len(card_code))
    units = _stack(parts)
    person = np.concatenate([b.person for b in bases])
    card = np.concatenate([np.full(b.n, card_code[s.card.key]) for b, s in zip(bases, scored)])
    where = person if unique else None          # roster rows of the unit rows
    scores, first_unit = _roll_up(units, person, card, list(card_code), period, params.grading(period))
    explain = _explanation(scored, _copy(units, ["period", ID, "card", "total_c", "grade"]),
                           _copy(scores, [ID, "card", "units", "total_c", "unit_periods", "grade"]),
                           period, roster, where)
    scores = _with_people(scores, roster, None if where is None else where[first_unit], copy=False)
    scores = forced_distribution(scores, params.grading(period))
    units = _with_people(units, roster, where, copy=False)
    if where is None:
        scores["rank"] = rank(scores, ["department", "card"])
        units["rank"] = rank(units, ["period", "department", "card"])
    else:
        department = codes(inputs, "roster", "department", memo)[0][at][where] + 1
        unit = np.concatenate([b.unit for b in bases])
        scores["rank"] = _rank(scores["total_c"], [department[first_unit], card[first_unit]])
        if len(labels) == 1 and len(first_unit) == len(units):   # one unit each: the same groups, in order
            units["rank"] = scores["rank"].to_numpy().copy()
        else:
            units["rank"] = _rank(units["total_c"], [unit, department, card])
    return Scores(period, scores, units, explain, notes)


def _copy(frame: pd.DataFrame, columns: list[str]) -> dict:
    """Copies of these columns (the explanation's own, whatever is done to the results later)."""
    return {c: frame[c].to_numpy().copy() if isinstance(frame[c].dtype, np.dtype) else frame[c].array.copy()
            for c in columns}


def _stack(parts: list[dict]) -> pd.DataFrame:
    """The unit rows of every card version in one frame, as pd.concat makes it: the columns in order
    of first appearance, a section a card does not have missing (Int64)."""
    names = list(dict.fromkeys(c for part in parts for c in part))
    sizes = [len(part["total_c"]) for part in parts]
    ends = np.cumsum([0] + sizes)
    data = {}
    for c in names:
        if c.startswith("sec:"):
            values = np.zeros(ends[-1], dtype=np.int64)
            missing = np.ones(ends[-1], dtype=bool)
            for part, a, b in zip(parts, ends[:-1], ends[1:]):
                if c in part:
                    values[a:b], missing[a:b] = part[c], False
            data[c] = pd.arrays.IntegerArray(values, missing)
        else:
            data[c] = np.concatenate([part[c] for part in parts])
    return pd.DataFrame(data, copy=False)


def _roll_up(units: pd.DataFrame, person: np.ndarray, card: np.ndarray, cards: list, period: Period, grading):
    """Mean of each person's scored units (exact, rounded half-up to 0.01), and the first unit row of each.

    Groups are (person, card code) in order of first appearance.
    """
    sec_cols = [c for c in units.columns if c.startswith("sec:")]
    key = person * max(len(cards), 1) + card
    if len(key) and np.bincount(key).max() <= 1:              # a month: one unit each
        codes, first = np.arange(len(key)), np.arange(len(key))
    else:
        codes, _ = pd.factorize(key)
        _, first = np.unique(codes, return_index=True)
    groups, single = len(first), len(first) == len(units)
    out = {"period": repeated(period.label, groups), ID: units[ID].to_numpy(dtype=object)[first],
           "card": units["card"].to_numpy(dtype=object)[first], "units": np.bincount(codes, minlength=groups)}
    for col in ["total_c", *sec_cols]:
        values = pd.array(units[col], dtype="Int64")
        if single:
            out[col] = values if values is not units[col].array else values.copy()
            continue
        given = ~values.isna()
        total = np.zeros(groups, dtype=np.int64)                      # integer centipoints: exact
        np.add.at(total, codes[given], values[given].to_numpy(dtype=np.int64))
        count = np.bincount(codes[given], minlength=groups)
        mean = pd.array(half_up(total, np.maximum(count, 1)), dtype="Int64")
        mean[count == 0] = pd.NA
        out[col] = mean
    periods, flags = units["period"].to_numpy(dtype=object), units["flags"].to_numpy(dtype=object)
    out["unit_periods"] = periods.copy() if single else join_groups(codes, periods, groups, ", ")
    out["flags"] = flags.copy() if single else join_groups(codes, flags, groups, "; ", skip_empty=True)
    out["grade"] = grade(out["total_c"], grading)
    return pd.DataFrame(out, copy=False), first


def _with_people(frame: pd.DataFrame, roster: pd.DataFrame, at: np.ndarray | None = None,
                 copy: bool = True) -> pd.DataFrame:
    """The frame with each row's name, department, branch and role (`at`: their roster rows, when known).

    `copy=False` lets the result share the frame's columns (for a frame nobody else holds).
    """
    cols = ["name", "department", "branch", "role"]
    lead = ["period", ID, *cols]
    if at is None:
        out = frame.merge(roster.set_index(ID)[cols], left_on=ID, right_index=True, how="left")
        return out[lead + [c for c in out.columns if c not in lead]]

    def values(column: pd.Series, take=None):
        got = column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array
        if take is not None:
            return got[take]
        return got.copy() if copy else got
    data = {c: values(roster[c], at) if c in cols else values(frame[c]) for c in lead}
    data.update({c: values(frame[c]) for c in frame.columns if c not in lead})
    return pd.DataFrame(data, index=frame.index, copy=False)


# the explanation, made on first read ----------------------------------------------------------
def _explanation(scored: list[Scored], unit_columns: dict, score_columns: dict, period: Period,
                 roster: pd.DataFrame, where: np.ndarray | None):
    def coded() -> dict | None:
        """The explanation's columns, texts as Coded, where the roster rows of the units are known
        (else None)."""
        return _unit_columns(scored, unit_columns, roster, where, _rolled_rows(unit_columns, score_columns, period)) \
            if where is not None else None

    def make() -> pd.DataFrame:
        columns = coded()
        if columns is not None:
            frame = CodedTable(columns).frame()
            if rolled:                      # as pd.concat makes them beside the roll-ups' Int64 means
                frame[["raw_c", "points_c"]] = frame[["raw_c", "points_c"]].astype("Int64")
            return frame
        units, scores = pd.DataFrame(unit_columns, copy=False), pd.DataFrame(score_columns, copy=False)
        explain = pd.concat([_explain_rows(s) for s in scored], ignore_index=True)
        raw = np.concatenate([np.vstack(s.points).sum(axis=0) for s in scored])
        totals = _total_rows(explain.columns, units, raw, scores, period)
        at = None
        if where is not None and len(totals) == len(units):    # rows: each card's items, then the totals
            at = np.concatenate([np.tile(where[s0:s0 + s.base.n], len(s.card.indicators))
                                 for s, s0 in zip(scored, np.cumsum([0] + [s.base.n for s in scored]))]
                                + [where])
        return _with_people(pd.concat([explain, totals], ignore_index=True), roster, at, copy=False)
    rolled = np.count_nonzero(np.asarray(score_columns["unit_periods"], dtype=object) != period.label)
    make.rows = sum(s.base.n * len(s.card.indicators) for s in scored) + len(unit_columns["total_c"]) + rolled
    make.coded = coded
    return make                                 # a row per unit and indicator, a total per unit and roll-up


PEOPLE = ["name", "department", "branch", "role"]
TOTAL = {"section": "合计", "indicator_key": "total", "indicator": "合计", "max_points_c": 100 * CENT,
         "rule": "total", "inputs": "", "flag": "", "source": "", "reference": "SPEC 3.3 (total, grade); SPEC 2 (roll-up)"}


@dataclass
class _Rolled:
    """The roll-up rows of an explanation: the first unit row of each person rolled up (their id,
    card and people's columns), their mean and its note."""
    first: np.ndarray
    total_c: np.ndarray
    note: np.ndarray
    label: str


def _rolled_rows(units: dict, scores: dict, period: Period) -> _Rolled:
    """The roll-up rows of _total_rows: a row per person scored on units other than the period
    itself, in the order of the scores, noting the mean of which unit totals it is."""
    rolled = np.flatnonzero(np.asarray(scores["unit_periods"], dtype=object) != period.label)
    if not len(rolled):
        return _Rolled(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object),
                       period.label)
    person, card = pd.factorize(units[ID])[0], pd.factorize(units["card"])[0]
    group = pd.factorize(person * (card.max() + 1) + card)[0]      # (id, card) numbered as _roll_up's rows
    groups = len(scores[ID])
    first = firsts(group)                                           # the first unit row of each
    text = decimals(np.asarray(units["total_c"], dtype=np.int64)).astype(str)
    listed = join_groups(group, np.asarray(units["period"], dtype=object) + " " + text.astype(object), groups, "; ")
    total = np.asarray(scores["total_c"], dtype=np.int64)[rolled]
    counts = np.asarray(scores["units"])[rolled].astype(str).astype(object)
    note = ("mean of " + counts + " scored: " + listed[rolled] + " (half-up to 0.01), grade "
            + np.asarray(scores["grade"], dtype=object)[rolled])
    return _Rolled(first[rolled], total, note, period.label)


def _unit_columns(scored: list[Scored], units: dict, roster: pd.DataFrame, where: np.ndarray,
                  rolled: _Rolled) -> dict:
    """The columns of the explanation, texts as Coded: each card's items, a block per indicator,
    then the totals, one per unit row, then the roll-ups (`rolled`). Each note and inputs text is
    there once, as the rules wrote it for a combination of inputs; the people's columns are taken
    from the roster rows `where` of the unit rows."""
    blocks = [(s, j, ind) for s in scored for j, ind in enumerate(s.card.indicators)]
    sizes = [s.base.n for s, _, _ in blocks]
    unit_totals = len(units["total_c"])
    totals = unit_totals + len(rolled.first)                            # a unit's sum, or a roll-up's mean
    block = np.repeat(np.arange(len(blocks) + 1), sizes + [totals])      # the last block: the totals
    starts = np.cumsum([0] + [s.base.n for s in scored])
    unit_row = np.concatenate([np.tile(np.arange(a, a + s.base.n), len(s.card.indicators))
                               for s, a in zip(scored, starts)] + [np.arange(unit_totals), rolled.first])

    def per_block(values: list, total, dtype=object) -> Coded:
        return Coded(block, np.array([*values, total], dtype=dtype))
    periods = np.append(np.asarray(units["period"], dtype=object), np.array([rolled.label], dtype=object))
    period_row = unit_row.copy()
    period_row[len(unit_row) - len(rolled.first):] = len(periods) - 1          # a roll-up's period: the period's own
    out = {"period": _coded_rows(periods, period_row), ID: Coded(unit_row, units[ID])}
    for c in PEOPLE:
        got = roster[c].to_numpy() if isinstance(roster[c].dtype, np.dtype) else roster[c].array
        out[c] = _coded_rows(got[where], unit_row)
    cards = np.concatenate([np.array([s.card.key for s, _, _ in blocks], dtype=object), units["card"]])
    out["card"] = Coded(np.concatenate([block[:len(block) - totals], len(blocks) + unit_row[len(block) - totals:]]),
                        cards)
    out["section"] = per_block([next(sec.name for sec in s.card.sections if sec.key == ind.section)
                                for s, _, ind in blocks], TOTAL["section"])
    for c, attr in (("indicator_key", "key"), ("indicator", "name")):
        out[c] = per_block([getattr(ind, attr) for _, _, ind in blocks], TOTAL[c])
    out["max_points_c"] = per_block([cents(ind.points) for _, _, ind in blocks], TOTAL["max_points_c"], np.int64)
    out["rule"] = per_block([ind.rule_type for _, _, ind in blocks], TOTAL["rule"])
    texts = [_text_codes(ind, _columns(s.gathered, j, ind), s.card) for s, j, ind in blocks]
    grades, grade_names = pd.factorize(units["grade"])
    raw_total = np.concatenate([np.vstack(s.points).sum(axis=0) for s in scored])
    floor = (raw_total < 0).astype(np.int64)
    total_notes = np.array([f"sum of the indicator points{', floor 0' if f else ''}, grade {g}"
                            for f in (0, 1) for g in grade_names], dtype=object)
    out["inputs"] = _joined([(codes, given) for codes, _, given in texts]
                            + [(np.zeros(totals, dtype=np.int64), np.array([TOTAL["inputs"]], dtype=object))])
    out["raw_c"] = np.concatenate([s.raw[j] for s, j, _ in blocks] + [raw_total, rolled.total_c]).astype(
        np.int64, copy=False)
    out["points_c"] = np.concatenate([s.points[j] for s, j, _ in blocks] + [units["total_c"], rolled.total_c]).astype(
        np.int64, copy=False)
    out["note"] = _joined([(codes, note) for codes, note, _ in texts]
                          + [(floor * len(grade_names) + grades, total_notes),
                             (np.arange(len(rolled.note)), rolled.note)])
    out["flag"] = np.concatenate([s.flags[j] for s, j, _ in blocks] + [np.full(totals, TOTAL["flag"], dtype=object)])
    out["source"] = column(pa.concat_arrays([s.gathered.sources(j) for s, j, _ in blocks] + [blank(totals)]))
    out["reference"] = per_block([ind.reference for _, _, ind in blocks], TOTAL["reference"])
    return out


def _columns(g: Gathered, j: int, ind) -> Columns:
    """What the rule of indicator j reads, with the adjustments' notes for an adjustment."""
    cols = g.columns(j)
    if ind.rule_type == "adjustment":
        cols["adj_note"] = g.adjustment_notes(j)
    return cols


def _coded_rows(values, rows: np.ndarray):
    """values[rows], as Coded where values are objects (coded by the very objects, see same_objects)."""
    if isinstance(values, np.ndarray) and values.dtype == object:
        coded = Coded.of(values)
        return Coded(coded.codes[rows], coded.values)
    return values[rows]


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> Coded:
    """Blocks of (codes, values) one after the other, as one Coded column."""
    ends = np.cumsum([0] + [len(values) for _, values in parts])
    return Coded(np.concatenate([codes + at for (codes, _), at in zip(parts, ends)]),
                 np.concatenate([np.asarray(values, dtype=object) for _, values in parts]))


def _distinct(cols: Columns) -> tuple[np.ndarray, np.ndarray]:
    """A code per row for its combination of the columns' values, and the first row of each code."""
    key, size = np.zeros(len(cols.index), dtype=np.int64), 1
    for values in cols.values():
        if values.dtype == bool:
            codes, count = values.astype(np.int64), 2
        else:
            codes, uniques = pd.factorize(values)
            codes, count = codes + 1, len(uniques) + 1
        if size * count >= 2**62:                 # keep the combined key in int64
            key, uniques = pd.factorize(key)
            size = len(uniques)
        key, size = key * count + codes, size * count
    key, _ = pd.factorize(key)
    return key, firsts(key)


def _texts(ind, cols: Columns, card: Card) -> tuple[np.ndarray, np.ndarray]:
    """Note and inputs of every row, written once per distinct combination of the inputs."""
    codes, note, given = _text_codes(ind, cols, card)
    return note[codes], given[codes]


def _text_codes(ind, cols: Columns, card: Card) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A code per row, and the note and the inputs of each code: each distinct combination of the
    inputs written once."""
    codes, first = _distinct(cols)
    raw = raw_points(ind, cols.take(first), card.raters, card.missing_rater, text=True)
    _, low, high = limits(ind, raw)
    return codes, limit_note(ind, raw.note, low, high), raw.inputs


def _explain_rows(s: Scored) -> pd.DataFrame:
    g, card, n = s.gathered, s.card, s.base.n
    inds = card.indicators
    section = {sec.key: sec.name for sec in card.sections}
    notes, inputs, sources = [], [], []
    for j, ind in enumerate(inds):
        note, given = _texts(ind, _columns(g, j, ind), card)
        notes.append(note)
        inputs.append(given)
        sources.append(g.sources(j))

    def each(values, dtype=object):
        return np.repeat(np.array(values, dtype=dtype), n)

    return pd.DataFrame({
        "period": np.tile(s.base.periods, len(inds)),
        ID: np.tile(s.base.ids, len(inds)),
        "card": card.key,
        "section": each([section[i.section] for i in inds]),
        "indicator_key": each([i.key for i in inds]),
        "indicator": each([i.name for i in inds]),
        "max_points_c": each([cents(i.points) for i in inds], np.int64),
        "rule": each([i.rule_type for i in inds]),
        "inputs": np.concatenate(inputs),
        "raw_c": np.concatenate(s.raw),
        "points_c": np.concatenate(s.points),
        "note": np.concatenate(notes),
        "flag": np.concatenate(s.flags),
        "source": column(pa.concat_arrays(sources)),
        "reference": each([i.reference for i in inds]),
    }, copy=False)


def _total_rows(columns, units: pd.DataFrame, raw: np.ndarray, scores: pd.DataFrame, period: Period):
    """Explanation rows for each total: the sum of a unit's points, and the mean of a roll-up."""
    got = units.assign(raw_c=raw)
    note = pd.Series("sum of the indicator points", index=got.index)
    note = note.where(got["raw_c"] >= 0, "sum of the indicator points, floor 0")
    rows = [pd.DataFrame({"period": got["period"], ID: got[ID], "card": got["card"], "raw_c": got["raw_c"],
                          "points_c": got["total_c"], "note": note + ", grade " + got["grade"]})]
    up = _rolled_rows(units, scores, period)
    if len(up.first):
        mean = pd.array(up.total_c, dtype="Int64")             # as the scores hold it
        rows.append(pd.DataFrame({"period": period.label, ID: got[ID].to_numpy()[up.first],
                                  "card": got["card"].to_numpy()[up.first], "raw_c": mean, "points_c": mean,
                                  "note": up.note}))
    out = pd.concat(rows, ignore_index=True)
    out["section"] = "合计"
    out["indicator_key"] = "total"
    out["indicator"] = "合计"
    out["max_points_c"] = 100 * CENT
    out["rule"] = "total"
    out["inputs"] = ""
    out["flag"] = ""
    out["source"] = column(blank(len(out)))
    out["reference"] = "SPEC 3.3 (total, grade); SPEC 2 (roll-up)"
    return out[columns]


# output tables -------------------------------------------------------------------------------------
SCORES_ORDER = ["department", "role", "rank", ID]


def scores_table(s: Scores) -> pd.DataFrame:
    """scores.csv: period, employee_id, name, department, branch, role, sections, total, grade, rank."""
    f = s.scores
    if f.empty:
        return _no_scores()

    def points(values: pd.Series) -> np.ndarray:
        return np.where(values.notna().to_numpy(), decimals(values.fillna(0)), None)
    out = pd.DataFrame(_scores_columns(f, points), index=f.index, copy=False)   # sorting makes it a frame of its own
    return sort_rows(out, SCORES_ORDER)


def scores_csv(s: Scores):
    """What scores.csv is written from: scores_table(s) as an output.CodedTable, each row's values
    taken in the sorted order by codes rather than copied, each point made a Decimal once."""
    f = s.scores
    if f.empty:
        return _no_scores()
    columns = _scores_columns(f, _in_decimals)
    order = sort_order(pd.DataFrame({k: columns[k] for k in SCORES_ORDER}, copy=False), SCORES_ORDER)
    return CodedTable({c: Coded(v.codes[order], v.values) if isinstance(v, Coded) else Coded(order, v)
                       for c, v in columns.items()})


def _no_scores() -> pd.DataFrame:
    return pd.DataFrame(columns=["period", ID, "name", "department", "branch", "role", "total", "grade", "rank"])


def _scores_columns(f: pd.DataFrame, points) -> dict:
    """The columns of scores.csv, in the order of the scores' rows: points(column) of each column of
    cents (missing where a person's card has no such section)."""
    out = {c: f[c].to_numpy() for c in ["period", ID, "name", "department", "branch", "role"]}
    for col in [c for c in f.columns if c.startswith("sec:")]:
        out[col[4:]] = points(f[col])
    out["total"] = points(f["total_c"])
    out.update({"grade": f["grade"].to_numpy(), "rank": f["rank"].to_numpy(), "units": f["unit_periods"].to_numpy(),
                "flags": f["flags"].to_numpy()})
    return out


def sort_rows(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """frame.sort_values(keys, kind="stable") with a fresh index (see sort_order)."""
    return frame.take(sort_order(frame, keys)).reset_index(drop=True)


def sort_order(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """The positions of the rows in the order of frame.sort_values(keys, kind="stable"). Keys of text
    (str) or integers, none missing, are sorted by pyarrow: text by its UTF-8 bytes, which is the
    order of code points that Python compares str by (scores.csv of 69,388 people: 0.11 s to
    0.08-0.10 s, rows reordered)."""
    try:
        keyed = pa.table({k: pa.array(frame[k].to_numpy(), from_pandas=True) for k in keys})
    except (pa.ArrowException, TypeError, ValueError):
        keyed = None
    if keyed is None or any(c.null_count or not (pa.types.is_string(c.type) or pa.types.is_integer(c.type))
                            for c in keyed.columns):
        return frame.reset_index(drop=True).sort_values(keys, kind="stable").index.to_numpy()
    return pc.sort_indices(keyed, sort_keys=[(k, "ascending") for k in keys]).to_numpy()


def explain_csv(s: Scores):
    """What explain.csv is written from: explain_table(s, copy=False), or, where the explanation is
    not made yet (months alone or rolled up), the same table as an output.CodedTable, its texts as
    codes into the texts the rules wrote once each (no object per row to make, nor to tell
    apart again when written: the 608,165 rows of the largest department of a 100,000-person
    company made and written in 0.54-0.70 s against 0.68-0.94 s, in one process)."""
    coded = getattr(s._explain, "coded", None) if callable(s._explain) else None
    columns = coded() if coded is not None else None
    if columns is None:
        return explain_table(s, copy=False)
    return CodedTable(_explain_columns(columns.__getitem__, lambda c: _in_decimals(columns[c])))


def _in_decimals(values: np.ndarray | pd.Series | Coded) -> Coded:
    """A column of cents as Decimals (see exact.decimals), each distinct value made once; a missing
    value (of a Series) as None."""
    if isinstance(values, Coded):
        return Coded(values.codes, decimals(values.values))
    missing = values.isna().to_numpy() if isinstance(values, pd.Series) else None
    if missing is not None:
        values = values.fillna(0).to_numpy(dtype=np.int64)
    codes, first = first_codes(values)
    made = decimals(values[first])
    if missing is None or not missing.any():
        return Coded(codes, made)
    return Coded(np.where(missing, len(made), codes), np.append(made, None))


def _explain_columns(text, points) -> dict:
    """The columns of explain.csv, in order: text(c) of the explanation's column c, points(c) of its
    columns of cents (as Decimals)."""
    out = {c: text(c) for c in ["period", ID, "name", "department", "role", "section", "indicator_key", "indicator",
                                "rule"]}
    out["max_points"] = points("max_points_c")
    out["inputs"] = text("inputs")
    out["raw_points"] = points("raw_c")
    out["points"] = points("points_c")
    out.update({c: text(c) for c in ["note", "flag", "source", "reference"]})
    return out


def explain_table(s: Scores, copy: bool = True) -> pd.DataFrame:
    """explain.csv: a row per person × indicator, then the totals. Its text columns are copies of
    the explanation's; with copy=False they are the explanation's own (for a table that is only
    written)."""
    f = s.explain
    if f.empty:
        return pd.DataFrame()

    def own(c: str):
        values = f[c].array if c == "source" else f[c].to_numpy()    # source: pyarrow text (string[pyarrow])
        return values.copy() if copy else values
    return pd.DataFrame(_explain_columns(own, lambda c: decimals(f[c])), index=f.index, copy=False)
