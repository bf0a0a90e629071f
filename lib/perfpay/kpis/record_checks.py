"""Checks of a record table across rows and columns, reported lazily with file, row and column.

`check_table` concatenates the typed parts of a table (one per file or sheet), runs RULES and
the duplicate and roster checks, reports every problem and leaves the bad rows out.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..inputs.report import Problem
from .record_columns import KEYS, RECORD_ID, arrow_strings, bools, empty_frame, typed_name
from .contracts import RECORDS

LISTED = 1000          # problems listed one by one per file, column and check; then one line for the rest


class Flags:
    """Problems of one part, listed one by one up to LISTED per column and check."""

    def __init__(self, report, table, file, sheet, rows, written):
        self.report, self.table, self.file, self.sheet = report, table, file, sheet
        self.rows, self.written = rows, written

    def add(self, mask, column, message, fix, raw=None, severity="error", values=None):
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        head = self.written.get(column, column) if column else None
        shown = idx[:LISTED]
        if values is None and raw is not None:
            values = raw.take(pa.array(shown)).to_pylist()
            values = [None if v is None else str(v) for v in values]
        elif values is not None:
            values = list(values[:LISTED])
        messages = np.broadcast_to(np.asarray(message, dtype=object), mask.shape)[shown]
        fix = fix.replace("{col}", head or "value")
        for k, i in enumerate(shown):
            self.report.add(Problem(severity, self.table, self.file, self.sheet, int(self.rows[i]), head,
                                    None if values is None else values[k], str(messages[k]), fix))
        if len(idx) > LISTED:
            first, last = int(self.rows[idx[LISTED]]), int(self.rows[idx[-1]])
            self.report.add(Problem(severity, self.table, self.file, self.sheet, None, head, None,
                                    f"and {len(idx) - LISTED:,} more rows (rows {first} to {last}) with "
                                    f"the same problem in this column; all left out"
                                    if severity == "error" else
                                    f"and {len(idx) - LISTED:,} more rows (rows {first} to {last}) alike",
                                    fix, skipped=severity == "error"))


def check_table(table: str, parts: list[pd.DataFrame], known, headers, report) -> pd.DataFrame:
    """The typed frame of a table: rows of every file, checked across files, errors left out."""
    spec = RECORDS[table]
    if not parts:
        return empty_frame(table)
    frame = _concat(parts)
    bad = frame.pop("_bad").to_numpy(dtype=bool)
    dup = frame.pop("_dup").to_numpy(dtype=bool) if "_dup" in frame else None
    dup = dup if len(parts) == 1 else None          # several files: duplicates across them, found below
    for mask, column, message, fix, values in _rules(table, frame, known, dup):
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            continue
        bad |= mask
        for (file, sheet), idx in _by_file(frame, mask):
            sub = np.zeros(len(frame), dtype=bool)
            sub[idx] = True
            flags = Flags(report, table, file, sheet, frame["_row"].to_numpy(), headers.get((file, sheet), {}))
            vals = None
            if column is not None:
                vals = [_show(v) for v in (values if values is not None else frame[typed_name(spec.column(column))])
                        .iloc[idx[:LISTED]]]
            msg = message if isinstance(message, str) else message.iloc[idx].to_numpy(dtype=object)
            flags.add(sub, column, msg if isinstance(msg, str) else _spread(sub, idx, msg), fix, values=vals)
    if bad.any():
        frame = frame[~bad].reset_index(drop=True)
    return frame


def _spread(mask, idx, messages):
    out = np.full(len(mask), "", dtype=object)
    out[idx] = messages
    return out


def _by_file(frame, mask):
    sub = frame.loc[mask, ["_file", "_sheet"]]
    positions = np.flatnonzero(mask)
    groups = sub.groupby(["_file", "_sheet"], observed=True, dropna=False, sort=True).indices
    for key, local in groups.items():
        file, sheet = key
        yield (str(file), None if sheet is None or pd.isna(sheet) else sheet), positions[local]


def _show(v) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat(sep=" ")
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Rows of several parts; categorical columns keep one category list for all."""
    if len(parts) == 1:
        return parts[0]                     # already indexed 0..n-1; a copy of millions of rows is not free
    cats = [c for c in parts[0].columns if isinstance(parts[0][c].dtype, pd.CategoricalDtype)]
    frame = pd.concat([p.drop(columns=cats) for p in parts], ignore_index=True)
    for c in cats:
        frame[c] = pd.api.types.union_categoricals([p[c] for p in parts])
    return frame[list(parts[0].columns)]


def _rules(table, f, known, dup=None):
    """(mask, column, message, fix, values) of every cross-row and cross-column check.
    `dup`: the duplicate ids when already found (a table read from one file)."""
    own = RECORD_ID.get(table)
    if own is not None:
        dup = duplicated(f[own]) if dup is None else dup
        if dup.any():
            yield dup, own, _dup_messages(f, dup, [own]), "keep one row per id; every row of the group is left out", None
    if table in KEYS:
        keys = KEYS[table]
        dup = f[keys].notna().all(axis=1).to_numpy() & f.duplicated(keys, keep=False).to_numpy()
        if dup.any():
            yield (dup, keys[0], _dup_messages(f, dup, keys),
                   "keep one row per person and " + keys[0] + "; every row of the group is left out", None)
    if known is not None and "employee_id" in f:
        ids = f["employee_id"]
        unknown = (ids.notna() & ~ids.isin(known)).to_numpy()
        yield unknown, "employee_id", "employee not in the roster", "add the employee to the roster, or correct the id", None
    yield from RULES.get(table, lambda f: ())(f)


def _dup_messages(f, dup, keys) -> pd.Series:
    sub = f.loc[dup, keys + ["_file", "_row"]]
    place = sub["_file"].astype(str) + " row " + sub["_row"].astype(str)
    group = sub.groupby(keys, observed=True, sort=False).ngroup()
    count = group.map(group.value_counts())
    first = place.groupby(group).transform(lambda p: "; ".join(p.iloc[:5]))
    what = ", ".join(keys)
    msg = f"duplicate {what}: " + count.astype(str) + " rows share it (" + first + ")"
    return msg.reindex(f.index)


def _before(f, late, early, message, fix):
    m = (f[late] < f[early]).to_numpy(dtype=bool)
    text = pd.Series("", index=f.index, dtype=object)
    if m.any():
        text[m] = [f"{message} {_show(v)}" for v in f.loc[m, early]]
    return m, late, text, fix, None


def _calls(f):
    yield _before(f, "answered_at", "offered_at", "answered before it was offered at",
                  "correct the answer or offer time")
    start = f["answered_at"].where(f["answered_at"].notna(), f["offered_at"])
    m = (f["ended_at"] < start).to_numpy(dtype=bool)
    yield m, "ended_at", "ended before it was offered or answered", "correct the end time", None
    m = (f["abandoned"].fillna(False) & f["answered_at"].notna()).to_numpy(dtype=bool)
    yield m, "abandoned", "marked abandoned but has an answer time", \
        "clear the answer time or the abandoned mark", None


def _tickets(f):
    yield _before(f, "resolved_at", "opened_at", "resolved before it was opened at", "correct the times")
    yield _score_range(f, "satisfaction", 1, 5)


def _answered(f):
    yield _before(f, "answered_at", "received_at", "answered before it was received at", "correct the times")
    yield _range(f, "sla_hours", 0, None, "sla_hours is not above 0", "write the SLA in hours, above 0", open_low=True)


def _score_range(f, column, low, high):
    return _range(f, column, low, high, f"{column} is not between {low} and {high}",
                  f"write a score from {low} to {high}")


def _range(f, column, low, high, message, fix, open_low=False):
    s = f[column]
    have = s.notna().to_numpy()
    m = np.zeros(len(f), dtype=bool)
    if have.any():
        v = s[have]
        out = (v <= low) if open_low else (v < low)
        if high is not None:
            out = out | (v > high)
        m[have] = out.to_numpy(dtype=bool)
    return m, column, message, fix, None


def _attendance(f):
    yield _range(f, "days_scheduled", 0, 31, "days_scheduled is not between 0 and 31", "correct the days")
    yield _range(f, "days_present", 0, 31, "days_present is not between 0 and 31", "correct the days")
    have = (f["days_present"].notna() & f["days_scheduled"].notna()).to_numpy()
    m = np.zeros(len(f), dtype=bool)
    m[have] = (f.loc[have, "days_present"] > f.loc[have, "days_scheduled"]).to_numpy(dtype=bool)
    yield m, "days_present", "more days present than scheduled", "correct the days", None


def _visits(f):
    yield _before(f, "summary_date", "visit_date", "summary dated before the visit on", "correct the dates")
    yield _before(f, "follow_up_date", "visit_date", "follow-up dated before the visit on", "correct the dates")
    yield ((f["expense_fen"] < 0).fillna(False).to_numpy(dtype=bool), "expense", "expense is negative",
           "write the amount claimed, 0 or more", None)


RULES = {
    "calls": _calls,
    "tickets": _tickets,
    "feedback": _answered,
    "handoffs": _answered,
    "surveys": lambda f: [_score_range(f, "score", 1, 5)],
    "qa": lambda f: [_score_range(f, "score", 0, 100)],
    "attendance": _attendance,
    "visits": _visits,
}


def duplicated(ids: pd.Series) -> np.ndarray:
    """Rows whose (non-blank) id appears more than once: a 64-bit hash of each text, sorted in
    numpy, finds the candidates; their texts are then compared exactly (no Python object per row)."""
    arr = arrow_strings(ids).combine_chunks()
    n = len(arr)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    h = _hash64(arr)
    sh = np.sort(h)
    twice = sh[1:][sh[1:] == sh[:-1]]
    if not len(twice):
        return out
    idx = np.flatnonzero(np.isin(h, np.unique(twice)))
    texts = pd.Series(arr.take(pa.array(idx)).to_pylist(), dtype=object)
    out[idx] = (texts.duplicated(keep=False) & texts.notna()).to_numpy()
    return out


_K1, _K2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xBF58476D1CE4E5B9)


def _hash64(arr: pa.Array) -> np.ndarray:
    """A 64-bit hash of each string. Texts of one length (ids usually are) are read 8 bytes at a
    time; others byte by byte (FNV-1a). Nulls get distinct values."""
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:arr.offset + n + 1].astype(np.int64)
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8) if arr.buffers()[2] is not None \
        else np.zeros(1, np.uint8)
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 0
    nulls = bools(pc.is_null(arr))
    if n and width and lengths.min() == width and offsets[-1] - offsets[0] == width * n:
        words = (width + 7) // 8
        block = np.zeros((n, words * 8), dtype=np.uint8)
        block[:, :width] = data[offsets[0]:offsets[-1]].reshape(n, width)
        block = block.view(np.uint64)
        h = block[:, 0].copy()
        for w in range(1, words):                       # one word is the text itself: no collision
            h = (h ^ (h >> np.uint64(31))) * _K1 + block[:, w]
        if words > 1:
            h = (h ^ (h >> np.uint64(29))) * _K2
    else:
        prime = np.uint64(1099511628211)
        h = np.full(n, np.uint64(14695981039346656037))
        last = max(len(data) - 1, 0)
        for j in range(width):
            byte = data[np.minimum(offsets[:-1] + j, last)].astype(np.uint64)
            h = np.where(lengths > j, (h ^ byte) * prime, h)
        h = (h ^ lengths.astype(np.uint64)) * prime
    h[nulls] = np.arange(nulls.sum(), dtype=np.uint64) * _K2 + np.uint64(7)
    return h
