"""load_inputs: read every table, check it lazily, keep the good rows, report the rest."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from .. import ahead
from ..ahead import input_files
from ..distinct import addresses, isna
from ..forked import Forked, can_fork
from ..periods import Period
from .checker import Catalogs, Checker
from .common import People, check_dates, check_periods, latest_period, positions
from .contracts import SOURCE_COLUMNS, TABLES, table_for_name
from .readers import SPREADSHEETS, read_raw
from .report import Report
from .sales import check_deals, check_deals_have_quotas, check_pools, check_quotas, check_wages, quota_keys
from .tables import (check_actuals, check_adjustments, check_events, check_ratings, check_roster,
                     check_targets, check_targets_match)

PERIOD_TABLES = ("targets", "actuals", "ratings", "adjustments")

# output columns: name -> the checked column it comes from
OUTPUT = {
    "roster": {"employee_id": "employee_id", "name": "name", "department": "department",
               "branch": "branch", "role": "role", "card": "card", "hire_date": "hire_date_v",
               "leave_date": "leave_date_v", "manager_id": "manager_id",
               "monthly_bonus_base": "monthly_bonus_base_v"},
    "targets": {"period": "period_v", "employee_id": "employee_id", "indicator": "indicator_v",
                "target": "target_v"},
    "actuals": {"period": "period_v", "employee_id": "employee_id", "indicator": "indicator_v",
                "actual": "actual_v"},
    "events": {"date": "date_v", "period": "period_v", "employee_id": "employee_id", "event": "event_v",
               "count": "count_v", "note": "note"},
    "ratings": {"period": "period_v", "employee_id": "employee_id", "indicator": "indicator_v",
                "rater_id": "rater_id", "rater_role": "rater_role_v", "level": "level_v",
                "score": "score_v"},
    "adjustments": {"period": "period_v", "employee_id": "employee_id", "indicator": "indicator_v",
                    "points": "points_v", "reason": "reason", "approved_by": "approved_by"},
    "deals": {"date": "date_v", "quarter": "quarter_v", "deal_id": "deal_id", "crm_id": "crm_id",
              "employee_id": "employee_id", "share": "share_v", "revenue_type": "revenue_type_v",
              "amount": "amount_v", "cost": "cost_v", "standard_quote": "standard_quote_v",
              "refund": "refund_v"},
    "quotas": {"quarter": "quarter_v", "employee_id": "employee_id", "target": "target_v",
               "department_target": "department_target_v"},
    "wages": {"employee_id": "employee_id", "quarter": "quarter_v", "floating_wage": "floating_wage_v",
              "fixed_wage": "fixed_wage_v"},
    "pools": {"year": "year_v", "department": "department", "budget": "budget_v"},
}
SALES_TABLES = ("deals", "quotas", "wages", "pools")


class Memo:
    """What scoring works out from columns of the input frames (integers, codes), each result kept
    while the columns it came from hold the same values.

    A column is recognised by its array: the same objects at the same places (an object
    column; Decimals and text never change in place) or the same bytes (a numeric column). An
    edited value, a new frame or a dropped row makes the result be worked out again.
    """

    def __init__(self):
        self.kept: dict = {}        # key -> (column names, their snapshots, result)

    def get(self, key, columns: dict, make):
        """make(), or the result kept under `key` when `columns` ({(table, column): array}) are unchanged."""
        got = self.kept.get(key)
        if got is not None and got[0] == tuple(columns) and all(
                _same(a, s) for a, s in zip(columns.values(), got[1])):
            return got[2]
        result = make()
        snaps = [_snapshot(a) for a in columns.values()]
        if all(s is not _UNKNOWN for s in snaps):
            self.kept[key] = (tuple(columns), snaps, result)
        return result

    def portable(self, inputs) -> dict:
        """The results still true of `inputs`, without the snapshots (for pickling)."""
        return {key: (names, result) for key, (names, snaps, result) in self.kept.items()
                if all(_same(column_of(inputs, *n), s) for n, s in zip(names, snaps))}

    @classmethod
    def restored(cls, inputs, portable: dict) -> "Memo":
        """The memo of freshly unpickled `inputs`: its results, against the columns as unpickled."""
        memo = cls()
        for key, (names, result) in portable.items():
            memo.kept[key] = (names, [_snapshot(column_of(inputs, *n)) for n in names], result)
        return memo


_UNKNOWN = object()     # a column that cannot be recognised again (an extension array): never kept


def column_of(inputs, table: str, column: str):
    """The array of a column of an input frame (None when the frame has no such column)."""
    frame = getattr(inputs, table)
    if frame is None or column not in frame:
        return None
    values = frame[column]
    return values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array


def _snapshot(a):
    """(the array's dtype and shape, a copy of it) or None or _UNKNOWN."""
    if a is None:
        return None
    if not isinstance(a, np.ndarray):
        return _UNKNOWN
    # an object array's bytes are the addresses of its objects; the copy holds the same
    # addresses and keeps those objects alive, so that no other object can take them
    return (a.dtype, a.shape), a.copy()


def _same(a, snap) -> bool:
    if snap is None or a is None:
        return snap is None and a is None
    if snap is _UNKNOWN or not isinstance(a, np.ndarray):
        return False
    return (a.dtype, a.shape) == snap[0] and np.array_equal(_memory(a), _memory(snap[1]))


def _memory(a: np.ndarray) -> np.ndarray:
    """The bytes of an array as a flat array, not copied when they lie in one block (an object
    array: the addresses of its objects); 8-byte words where they divide evenly, so that comparing
    two makes an eighth of the booleans."""
    if a.size == 0:
        return np.zeros(0, dtype=np.uint8)
    if not a.flags.c_contiguous:
        raw = np.frombuffer(a.tobytes(), dtype=np.uint8)
    elif a.dtype != object:
        raw = a.reshape(-1).view(np.uint8)
    else:                                                  # numpy refuses a view of an object array
        return addresses(a)
    return raw.view(np.uint64) if raw.size % 8 == 0 else raw


@dataclass
class Inputs:
    roster: pd.DataFrame
    targets: pd.DataFrame
    actuals: pd.DataFrame
    events: pd.DataFrame
    ratings: pd.DataFrame
    adjustments: pd.DataFrame
    report: Report = field(default_factory=Report)
    # sales tables (SPEC 7); empty when the inputs have none
    deals: pd.DataFrame = field(default_factory=lambda: empty_output("deals"))
    quotas: pd.DataFrame = field(default_factory=lambda: empty_output("quotas"))
    wages: pd.DataFrame = field(default_factory=lambda: empty_output("wages"))
    pools: pd.DataFrame = field(default_factory=lambda: empty_output("pools"))
    # integers and codes scoring reads, worked out once (perfpay.gather.prepare)
    memo: Memo = field(default_factory=Memo, repr=False, compare=False)

    def prepared(self) -> "Inputs":
        """These inputs with what scoring reads worked out now, so that every scoring reuses it."""
        from ..gather import prepare
        prepare(self)
        return self

    def __getstate__(self):
        return {**self.__dict__, "memo": self.memo.portable(self)}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.memo = Memo.restored(self, state.get("memo", {}))


def read_tables(inputs_dir) -> tuple[dict[str, pd.DataFrame], Report]:
    """Raw rows of every table: canonical column names, every value as text, plus _file/_sheet/_row."""
    raw = read_raw(inputs_dir)
    return raw.frames, raw.report


def load_inputs(inputs_dir, catalog_for: Callable[[Period], object], period=None) -> Inputs:
    """Read and check every input table under `inputs_dir`.

    `catalog_for(period)` gives the cards in force on that period's first day; each row is
    checked against the catalog of its own period, roster roles against that of `period`
    (or of the latest period in the inputs). `period` keeps only rows inside it (events by
    date); the roster is always kept whole. The sales tables keep every row up to the end
    of the quarter holding the period's end (deals by date, quotas by quarter: the ledger
    rebuilds its state from the first quarter); wages and pools are kept whole. Never
    raises on bad data: rows with errors are left out and every problem is in `report`.

    With big inputs, a forked copy of this process reads and checks some tables meanwhile,
    once the roster is checked (see _aside); the result is the same.
    """
    within = Period.parse(period) if period is not None else None
    catalogs = Catalogs(catalog_for)
    aside, helper, started = _aside(inputs_dir, within), None, time.monotonic()
    if not aside:
        ahead.wait()                                # the files read ahead, if any: no thread runs now
    try:
        here = [t for t in TABLES if t not in aside and t != "roster"]
        if aside:           # the roster first; a copy then checks the aside tables against its people
            raw = read_raw(inputs_dir, ["roster"], unknown=False)   # the other files still read ahead meanwhile
            report = raw.report
            roster = Checker("roster", raw.frames["roster"], raw.headers, report, raw.codes.get("roster"))
            people = check_roster(roster, catalogs, within)
            ahead.wait()                            # no other thread at the fork
            helper = Forked(lambda: _checked(inputs_dir, aside, people, catalogs, within))
            raw = read_raw(inputs_dir, here)
            report.extend(raw.report.problems)
        else:
            raw = read_raw(inputs_dir)
            report, people = raw.report, None
            roster = Checker("roster", raw.frames["roster"], raw.headers, report, raw.codes.get("roster"))
        chk = {"roster": roster, **{t: Checker(t, raw.frames[t], raw.headers, report, raw.codes.get(t)) for t in here}}
        _check_times(chk, within)
        if roster.df.empty:
            report.add("error", "roster", "", None, None, None, None,
                       f"no roster rows under {inputs_dir}: nobody's rows can be checked",
                       "add the roster (roster.csv, 人员.csv or a sheet named 人员)")
        if people is None:          # the roster against the period asked for, else the latest of every table
            people = check_roster(roster, catalogs, within or latest_period(chk.values()) or Period.parse(date.today()))
        _check_tables(chk, people, catalogs, within)
        outputs = {t: _output(t, c) for t, c in chk.items()}
        known = {k: v for t, c in chk.items() for k, v in _known(t, outputs[t], c, people).items()}
        memo = Memo()
        if helper is not None:          # what scoring reads of the tables here, worked out while the copy works
            early = Inputs(**{t: outputs.get(t, empty_output(t)) for t in TABLES}, memo=memo)
            _hand_over(early, known)
            early.prepared()
            more, more_known, problems = helper.result(timeout=_patience(time.monotonic() - started))
            outputs.update(more)
            known.update(more_known)
            report.extend(problems)
            if "quotas" in more and "deals" in chk and len(chk["deals"].df):    # across the two processes' tables
                quotas = more["quotas"]
                check_deals_have_quotas(chk["deals"], quota_keys(quotas["quarter"], quotas["employee_id"]))
    finally:
        if helper is not None:
            helper.stop()
        ahead.forget()
    inputs = Inputs(**{t: outputs[t] for t in TABLES}, report=report, memo=memo)
    _hand_over(inputs, known)
    return inputs.prepared()


# tables a forked copy of the process reads and checks while this one reads and checks the others,
# chosen so that both finish together; deals stay here (their amounts are slow to hand back), and
# are checked against the copy's quotas once it is done
ASIDE = ("ratings", "events", "quotas", "wages", "pools", "adjustments")
ASIDE_BYTES = 4 << 20       # ... when their files hold this many bytes or more


def _patience(here: float) -> float:
    """Seconds to wait for the copy, beyond the `here` seconds this process took for its own
    tables, before it is taken as stuck (a lock held at the fork), killed, and its work done here."""
    return max(60.0, 10 * here)


def _aside(inputs_dir, within: Period | None) -> tuple[str, ...]:
    """ASIDE, where a copy of the process can be forked and is worth it: a period is asked for (else
    the roster is checked against the latest period of every table), every input is a CSV file
    (a workbook can hold sheets of any table) and those of ASIDE hold ASIDE_BYTES or more."""
    root = Path(inputs_dir)
    if within is None or not can_fork(stopped=ahead.running()) or not root.is_dir():
        return ()
    files = input_files(root)
    if any(path.suffix.lower() in SPREADSHEETS for path in files):
        return ()
    size = sum(path.stat().st_size for path in files
               if path.suffix.lower() == ".csv" and table_for_name(path.stem) in ASIDE)
    return ASIDE if size >= ASIDE_BYTES else ()


def _checked(inputs_dir, tables, people: People, catalogs: Catalogs, within: Period):
    """(output frames, known codes, problems) of `tables`, read and checked against the roster's
    `people` (by the forked copy, forked once the roster is checked)."""
    raw = read_raw(inputs_dir, tables, unknown=False)
    chk = {t: Checker(t, raw.frames[t], raw.headers, raw.report, raw.codes.get(t)) for t in tables}
    _check_times(chk, within)
    _check_tables(chk, people, catalogs, within)
    outputs = {t: _output(t, c) for t, c in chk.items()}
    known = {k: v for t, c in chk.items() for k, v in _known(t, outputs[t], c, people).items()}
    return outputs, known, raw.report.problems


def _check_times(chk: dict[str, Checker], within: Period | None) -> None:
    """Parse the periods (the dates of events) of the tables in `chk`; keep the rows inside `within`."""
    for t in PERIOD_TABLES:
        if t in chk:
            check_periods(chk[t], within)
    if "events" in chk:
        check_dates(chk["events"], within)


def _check_tables(chk: dict[str, Checker], people: People, catalogs: Catalogs, within: Period | None) -> None:
    """The checks after the roster's, of the tables in `chk` (one that needs two, where both are)."""
    has = chk.__contains__
    if has("targets"):
        check_targets(chk["targets"], people, catalogs)
    if has("actuals"):
        check_actuals(chk["actuals"], people, catalogs)
    if has("actuals") and has("targets"):
        check_targets_match(chk["actuals"], chk["targets"], catalogs)
    if has("events"):
        check_events(chk["events"], people, catalogs)
    if has("ratings"):
        check_ratings(chk["ratings"], people, catalogs)
    if has("adjustments"):
        check_adjustments(chk["adjustments"], people, catalogs)
    if not any(len(chk[t].df) for t in SALES_TABLES if has(t)):
        return                  # no sales rows, nothing to flag: their outputs are the empty frames
    if has("quotas"):
        check_quotas(chk["quotas"], people, within)
    if has("deals"):
        check_deals(chk["deals"], people, within)
    if has("deals") and has("quotas"):
        quotas = chk["quotas"]
        kept = quotas.df[~quotas.bad]
        check_deals_have_quotas(chk["deals"], quota_keys(kept["quarter_v"], kept["employee_id"]))
    if has("wages"):
        check_wages(chk["wages"], people)
    if has("pools"):
        check_pools(chk["pools"], people)


def empty_output(table: str) -> pd.DataFrame:
    """The frame of `table` with no rows (its output columns and _file/_sheet/_row)."""
    out = pd.DataFrame({c: pd.Series(dtype=object) for c in [*OUTPUT[table], *SOURCE_COLUMNS]})
    out["_row"] = out["_row"].astype("int64")
    if table == "deals":
        out["refund"] = out["refund"].astype(bool)
    return out


CODED = ("employee_id", "period", "indicator")       # output columns scoring factorizes (perfpay.gather.codes)


def _known(table: str, frame: pd.DataFrame, chk: Checker, people: People) -> dict:
    """What the checks have already worked out that scoring reads, by its key in the memo, on a table
    none of whose rows was left out: the codes of the columns of CODED, and the position of each
    row's employee among the roster's kept ones (scoring's people codes: the roster's output is
    those employees, in that order, each once)."""
    if chk.bad.any() or frame.empty:
        return {}
    known = {}
    for column in CODED:
        got = chk.known_codes(OUTPUT[table].get(column, "")) if column in frame else None
        if got is not None and _as_factorized(*got):
            known[("codes", table, column)] = got[0], np.asarray(got[1], dtype=object)
    if table != "roster" and "employee_id" in frame:
        known[("people", table)] = positions(chk, people)
    return known


def _hand_over(inputs: Inputs, known: dict) -> None:
    """Give the memo what the checks have already worked out (_known), so that scoring does not
    work it out again."""
    for key, value in known.items():
        table = key[1]
        columns = [(table, key[2])] if key[0] == "codes" else [(table, "employee_id"), ("roster", "employee_id")]
        inputs.memo.get(key, {c: column_of(inputs, *c) for c in columns}, lambda value=value: value)


def _as_factorized(codes: np.ndarray, uniques: np.ndarray) -> bool:
    """Whether the codes are those pd.factorize gives: each distinct value used, numbered in order of
    first appearance (codes a check kept after dropping rows may skip some)."""
    seen = codes[codes >= 0]
    if not len(seen):
        return not len(uniques)
    before = np.maximum.accumulate(np.r_[-1, seen[:-1]])     # the highest code before each row
    return bool((seen <= before + 1).all()) and int(seen.max()) == len(uniques) - 1


def _output(table: str, chk: Checker) -> pd.DataFrame:
    d = chk.df[~chk.bad] if chk.bad.any() else chk.df
    text = set(TABLES[table].column_names) | {"_file", "_row"}       # as read: text, never missing
    columns = {}
    for name, src in [*OUTPUT[table].items(), *((c, c) for c in SOURCE_COLUMNS)]:
        values = d[src].to_numpy().copy() if src in d else np.full(len(d), None, dtype=object)
        if values.dtype == object and src not in text:
            values[isna(values)] = None             # NaN as None
        columns[name] = values
    if table == "events":
        columns["count"] = columns["count"].astype("int64")
    columns["_row"] = columns["_row"].astype("int64")
    out = pd.DataFrame(columns, index=pd.RangeIndex(len(d)), copy=False)    # columns of its own, copied above
    if table == "deals":
        out["refund"] = out["refund"].astype(bool)
        out["crm_id"] = out["crm_id"].fillna("")
    return out
