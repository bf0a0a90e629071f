"""Checks shared by the tables: blanks, periods, employees, cards, indicators, duplicates.

Checked columns stay plain text so that pandas can hash and compare them fast:
`period_v` is the canonical period label, `_card` the card key, `indicator_v` the
indicator key. Cards and indicators themselves come from `Catalogs` once per distinct case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from functools import reduce

import numpy as np
import pandas as pd

from ..periods import Period
from . import values as V
from .checker import Catalogs, Checker

SEP = "\x1f"
CADENCE_UNIT = {"monthly": "month", "quarterly": "quarter"}
UNIT_EXAMPLE = {"month": "a month such as 2026-07", "quarter": "a quarter such as 2026Q3"}
CASE = ["period_v", "_card", "indicator_v"]       # the columns that name one indicator


@dataclass
class People:
    """What the other tables need from the roster: the kept employees (`ids`, each once) and their
    `columns` (role as written, hire and leave dates, department, manager id or ""), aligned."""
    ids: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=object))
    columns: dict[str, np.ndarray] = field(default_factory=dict)
    rejected: dict[str, str] = field(default_factory=dict)   # left-out employee -> where its rows are
    everyone: set[str] = field(default_factory=set)          # every id written in the roster
    departments: set[str] = field(default_factory=set)       # every department written in the roster

    def heads(self) -> set[str]:
        """Kept employees who head their department: no manager, or one outside the department."""
        everyone = np.arange(len(self.ids))
        dept = self.values("department", everyone)
        boss_dept = self.values("department", self.at(self.values("manager", everyone)))
        return set(self.ids[dept != boss_dept])

    # column-wise lookups ------------------------------------------------------------------
    @cached_property
    def _index(self) -> pd.Index:
        return pd.Index(self.ids, dtype=object)

    def at(self, ids) -> np.ndarray:
        """Position of each id among the kept employees; -1 for anyone else.

        The positions of a column are kept while its array lives (the checks of a table ask
        for the same column several times; text is never changed in place)."""
        kept = self.__dict__.setdefault("_at", {})
        ids = np.asarray(ids, dtype=object)
        key = (ids.__array_interface__["data"][0], ids.shape, ids.strides)
        if key not in kept:                        # the array is kept too: its memory stays its own
            got = self._index.get_indexer(ids)
            got.flags.writeable = False
            kept[key] = (ids, got)
        return kept[key][1]

    def values(self, name: str, at: np.ndarray) -> np.ndarray:
        """A column (role, hire, leave, department, manager) at positions `at`; None at -1."""
        cache = self.__dict__.setdefault("_values", {})
        if name not in cache:
            got = self.columns.get(name, np.full(len(self.ids), None, dtype=object))
            cache[name] = np.append(np.asarray(got, dtype=object), None)
        return cache[name][at]

    def dates(self, name: str, at: np.ndarray) -> np.ndarray:
        """hire or leave as datetime64 at positions `at`; NaT at -1 and where none."""
        cache = self.__dict__.setdefault("_dates", {})
        if name not in cache:
            cache[name] = pd.to_datetime(pd.Series(self.values(name, np.arange(-1, len(self.ids)))[1:],
                                                   dtype=object)).to_numpy(dtype="datetime64[ns]")
            cache[name] = np.append(cache[name], np.datetime64("NaT", "ns"))
        return cache[name][at]


def key_codes(checkers: list[Checker], columns: list[str]) -> list[np.ndarray]:
    """One integer per row from `columns`, comparable across the tables (equal values, equal codes):
    the distinct values of each table's column numbered together."""
    coded = []
    for c in columns:
        parts = [chk.coded(c) for chk in checkers]
        joint, uniques = pd.factorize(np.concatenate([u for _, u in parts]))
        starts = np.cumsum([0] + [len(u) for _, u in parts])
        coded.append((np.concatenate([np.append(joint[a:b], -1)[codes]          # -1: missing
                                      for (codes, _), a, b in zip(parts, starts[:-1], starts[1:])]), uniques))
    cuts = np.cumsum([len(chk.df) for chk in checkers])[:-1]
    return np.split(V.combine(coded), cuts)


def keys(d: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One text key per row from `columns` (None as empty)."""
    def text(c):
        t = d[c].astype(str)
        t[d[c].isna()] = ""
        return t
    return reduce(lambda a, b: a + SEP + b, (text(c) for c in columns))


def fill(template: str, rec: dict) -> str:
    """Put a row's employee and period into a message made once per distinct case."""
    return template.replace("<employee>", str(rec.get("employee_id", ""))).replace(
        "<period>", str(rec.get("period_v", "")))


def indicator_attr(chk: Checker, catalogs: Catalogs, fn, mask=None) -> pd.Series:
    """fn(indicator) for every row with an indicator, once per distinct indicator."""
    d = chk.df
    m = chk.given("indicator_v") if mask is None else mask & chk.given("indicator_v")
    return V.per_case(d, m, CASE, lambda p, c, i: fn(catalogs.indicator(p, c, i)), codes=chk.codes())[0]


def indicator_is(chk: Checker, catalogs: Catalogs, fn) -> pd.Series:
    """Rows with an indicator for which fn(indicator) == True, worked out once per distinct indicator."""
    at, (got,) = V.cases(chk.df, chk.given("indicator_v"), CASE,
                         lambda p, c, i: fn(catalogs.indicator(p, c, i)), codes=chk.codes())
    yes = np.array([bool(g == True) for g in got], dtype=bool)     # noqa: E712 - as Series.eq(True)
    return pd.Series(V.spread(yes, at, False), index=chk.df.index)


def indicator_of(catalogs: Catalogs, rec: dict):
    return catalogs.indicator(rec["period_v"], rec["_card"], rec["indicator_v"])


def check_blanks(chk: Checker, fixes: dict[str, str] | None = None) -> None:
    fixes = fixes or {}
    for col in chk.spec.columns:
        if col.needs_value:
            chk.flag(chk.blank(col.name), col.name, f"{col.name} is blank",
                     fixes.get(col.name, "fill in the {_col}"))


def check_periods(chk: Checker, within: Period | None) -> None:
    """Parse `period`; keep only rows inside `within` (rows whose period is wrong stay, to be reported)."""
    codes, labels, reasons = V.parsed(*chk.coded("period"), V.to_period)
    chk.set_cases("period_v", codes, labels)
    chk.flag_reasons(pd.Series(reasons[codes], index=chk.df.index, dtype=object), "period", V.PERIOD_HELP)
    labels = chk.df["period_v"]
    if within is not None:
        chk.keep(V.missing_or(labels, lambda p: within.contains(V.period_of(p))))


def check_dates(chk: Checker, within: Period | None) -> None:
    """Events: parse `date`, derive its month `period_v`, keep dates inside `within`."""
    codes, days, reasons = V.parsed(*chk.coded("date"), V.to_date)
    chk.set_cases("date_v", codes, days)
    chk.set_cases("period_v", codes, [None if d is None else Period.of_month(d.year, d.month).label for d in days])
    chk.flag_reasons(pd.Series(reasons[codes], index=chk.df.index, dtype=object), "date", V.DATE_HELP)
    dates = chk.df["date_v"]
    if within is not None:
        chk.keep(V.missing_or(dates, within.contains))


def latest_period(checkers) -> Period | None:
    seen = set()
    for chk in checkers:
        if "period_v" in chk.df:
            codes, labels = chk.coded("period_v")
            seen.update(labels[np.bincount(codes[codes >= 0], minlength=len(labels)) > 0])
    periods = [V.period_of(p) for p in seen]
    return max(periods, key=lambda p: (p.start, p.size)) if periods else None


def parse_numbers(chk: Checker, column: str) -> pd.Series:
    values, reasons = V.column(chk.df[column], V.to_decimal, chk.coded(column))
    chk.df[column + "_v"] = values
    chk.flag_reasons(reasons, column, V.NUMBER_HELP)
    return values


def check_employees(chk: Checker, people: People, column: str = "employee_id") -> pd.Series:
    """Flag unknown or left-out employees; return the mask of rows with a kept employee."""
    ids = chk.df[column]
    filled = chk.filled(column)
    known = pd.Series(positions(chk, people, column) >= 0, index=ids.index)
    rejected = chk.isin(column, people.rejected.keys())
    chk.flag(filled & ~known & rejected, column,
             "employee {_id} is in the roster, but the roster row has errors and was left out ({_where})",
             "fix the roster row of {_id} first (see the roster problems)",
             _id=ids, _where=V.lookup(ids.where(rejected, None), people.rejected))
    chk.flag(filled & ~known & ~rejected, column, "employee {_id} is not in the roster",
             "add {_id} to the roster, or correct the {_col}", _id=ids)
    return filled & known


def positions(chk: Checker, people: People, column: str = "employee_id") -> np.ndarray:
    """Position of each row's employee among the kept ones (People.at), -1 for anyone else:
    each distinct id looked up once."""
    codes, uniques = chk.coded(column)
    return np.append(people.at(uniques), -1)[codes]


def check_employment(chk: Checker, people: People) -> None:
    """Warn about rows for a period wholly before the hire date or after the leave date."""
    d = chk.df
    at = positions(chk, people)
    m = chk.ok("period", "employee_id", "date") & chk.given("period_v") & (at >= 0)
    if not m.any():
        return
    at = np.where(m, at, -1)
    codes, labels = chk.coded("period_v")
    codes = np.where(m, codes, -1)

    def day(which: str) -> np.ndarray:          # the period's first or last day, NaT outside m
        days = [np.datetime64(getattr(V.period_of(p), which), "ns") for p in labels]
        return np.array([*days, np.datetime64("NaT", "ns")], dtype="datetime64[ns]")[codes]
    start, end = day("start"), day("end")
    col, when = ("date", "{date}") if chk.table == "events" else ("period", "{period_v}")
    fix = "check the employee and the period (the row is kept)"
    late = m & (end < people.dates("hire", at))
    if late.any():
        chk.flag(late, col, f"{{employee_id}} was hired on {{_hire}}, after {when}",
                 fix, severity="warning", _hire=pd.Series(people.values("hire", at), index=d.index))
    gone = m & (start > people.dates("leave", at))
    if gone.any():
        chk.flag(gone, col, f"{{employee_id}} left on {{_leave}}, before {when}",
                 fix, severity="warning", _leave=pd.Series(people.values("leave", at), index=d.index))


def check_cards(chk: Checker, people: People, catalogs: Catalogs, kept: pd.Series) -> None:
    """Each row's card: the person's role in the catalog of the row's own period."""
    d = chk.df
    m = kept & chk.ok("period", "date") & chk.given("period_v")
    d["_role"] = people.values("role", np.where(m, positions(chk, people), -1))

    def card_of(label, role):
        catalog, err = catalogs.get(label)
        if catalog is None:
            return (None, f"no scorecards in force for {label} ({err})",
                    f"check params/ for the period {label}, or correct the period", "period")
        card = catalog.card_for_role(role)
        if card is None:
            return (None, f"role {role!r} of <employee> has no scorecard in force in {label}",
                    f"correct the role in the roster; roles in {label}: {', '.join(catalog.role_names())}",
                    "employee_id")
        want = CADENCE_UNIT.get(card.cadence)
        unit = V.period_of(label).unit
        if chk.table != "events" and want and want != unit:
            return (card.key, f"<employee> is scored on card {card.key}, which is {card.cadence}; "
                              f"{label} is a {unit}", f"write the period as {UNIT_EXAMPLE[want]}", "period")
        return card.key, None, None, None

    at, (card, reason, fix, column) = V.cases(d, m, ["period_v", "_role"], card_of, n=4)
    fine = np.array([c is None for c in column], dtype=bool)      # per case
    chk.set_cases("_card", at, np.where(fine, card, None))
    if chk.table == "events":
        no_cards = (column == "period") & np.array([c is None for c in card], dtype=bool)
        column = np.where(no_cards, "date", column).astype(object)
    for col in ("period", "date", "employee_id"):
        wrong = V.spread(column == col, at, False)
        if wrong.any():
            chk.flag(pd.Series(wrong, index=d.index), col, lambda r: fill(r["_reason"], r), "{_fix}",
                     _reason=pd.Series(V.spread(reason, at), index=d.index, dtype=object),
                     _fix=pd.Series(V.spread(fix, at), index=d.index, dtype=object))


def indicator_list(card) -> str:
    return ", ".join(f"{i.name} ({i.key})" for i in card.indicators)


def check_indicators(chk: Checker, catalogs: Catalogs) -> None:
    """indicator text -> the key on the person's card; unknown ones name the card that has them."""
    d = chk.df
    m = chk.ok("employee_id", "period") & chk.given("_card") & chk.filled("indicator")

    def key_of(label, card_key, text):
        catalog = catalogs.get(label)[0]
        card = catalog.cards[card_key]
        key = catalog.indicator_key(card, text)
        if key is not None:
            return key, None, None
        elsewhere = [(c, k) for c, k in catalog.indicator_anywhere(text) if c != card.key]
        where = "; it is on card " + ", ".join(
            f"{c} ({catalog.cards[c].role}) as {k}" for c, k in elsewhere) if elsewhere else ""
        return (None, f"indicator {text!r} is not on card {card.key} ({card.role}) of <employee> in "
                      f"<period>{where}", f"use one of the indicators of card {card.key}: {indicator_list(card)}")

    at, (ind, reason, fix) = V.cases(d, m, ["period_v", "_card", "indicator"], key_of, n=3)
    chk.set_cases("indicator_v", at, ind)
    chk.case = V.combine([chk.coded(c) for c in CASE])
    unknown = V.spread(np.array([k is None for k in ind], dtype=bool), at, False)
    if unknown.any():
        chk.flag(pd.Series(unknown, index=d.index), "indicator", lambda r: fill(r["_reason"], r), "{_fix}",
                 _reason=pd.Series(V.spread(reason, at), index=d.index, dtype=object),
                 _fix=pd.Series(V.spread(fix, at), index=d.index, dtype=object))


def check_duplicates(chk: Checker, columns: list[str], what: str, fix: str, severity: str = "error",
                     column: str | None = None) -> None:
    """Rows sharing the checked `columns`: an error on each of them (all left out) or a warning (kept).

    `what` and `fix` may use {_n} (rows in the group) and {_others} (where the other rows are).
    """
    d = chk.df
    coded = [chk.coded(c) if c in chk.spec.column_names or c in CASE     # -1: missing
             else V.factorize(d[c].to_numpy(dtype=object)) for c in columns]
    given = np.logical_and.reduce([c >= 0 for c, _ in coded])
    m = chk.ok(*[k.removesuffix("_v") for k in columns]).to_numpy() & given
    if severity != "error":
        m &= ~chk.bad.to_numpy()
    if not m.any():
        return
    rows = np.flatnonzero(m)
    codes = V.combine([(c[rows], u) for c, u in coded])
    dup = np.bincount(codes)[codes] > 1
    if not dup.any():
        return
    idx = d.index[rows[dup]]
    groups: dict[str, list] = {}
    for i, k in zip(idx, keys(d.loc[idx], columns)):
        groups.setdefault(k, []).append(i)
    places = chk.where(d.index.isin(idx))
    others, count = {}, {}
    for members in groups.values():
        for i in members:
            others[i] = "; ".join(places[j] for j in members if j != i)
            count[i] = len(members)
    chk.flag(pd.Series(d.index.isin(idx), index=d.index), column, what, fix, severity=severity,
             _others=pd.Series(others, dtype=object).reindex(d.index),
             _n=pd.Series(count, dtype=object).reindex(d.index))
