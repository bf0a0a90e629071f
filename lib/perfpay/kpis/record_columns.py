"""Column kinds of the raw records: arrow columns as read -> typed pandas columns.

Each parser takes a whole column and returns (values, bad, why): the typed Series, the rows
whose text is wrong and why. Nothing here loops over rows in Python: ISO times are parsed by
pyarrow in one pass, seconds by a regular expression and a scale, and the columns whose values
repeat (people, categories, flags, numbers, months) once per distinct value of their dictionary.
The types are listed in records.py and docs/records.md.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..inputs import values as V
from ..texts import is_text
from .contracts import RECORDS, norm

TZ = "Asia/Shanghai"

# the date that places a row in a period; orders keep their history up to the period's end
MAIN_DATE = {"calls": "offered_at", "tickets": "opened_at", "feedback": "received_at",
             "handoffs": "received_at", "followups": "date", "surveys": "date", "qa": "date",
             "attendance": "month", "orders": "date", "visits": "visit_date"}
HISTORY = {"orders"}
# what makes a row unique: its own id, or (for day / month sheets) the person and the day / month
RECORD_ID = {"calls": "call_id", "tickets": "ticket_id", "feedback": "feedback_id",
             "handoffs": "handoff_id", "surveys": "survey_id", "qa": "sample_id",
             "orders": "order_id", "visits": "visit_id"}
KEYS = {"followups": ["date", "employee_id"], "attendance": ["month", "employee_id"]}
DIRECTIONS = {"in": ("in", "inbound", "呼入", "来电", "入"), "out": ("out", "outbound", "呼出", "去电", "外呼", "出")}

DATETIME_HELP = "write the time as 2026-07-15 09:30:00 (or enter it as an Excel date and time)"
SECONDS_HELP = "write seconds as 125 or 125.5 (at most 3 decimals), or as 00:02:05"
COUNT_HELP = "write a whole number of 0 or more"
HELP = {"datetime": DATETIME_HELP, "date": V.DATE_HELP, "month": "write the month as 2026-07",
        "seconds": SECONDS_HELP, "money": V.MONEY_HELP, "count": COUNT_HELP, "number": V.NUMBER_HELP,
        "score": V.NUMBER_HELP, "flag": V.FLAG_HELP}

REPEATING = ("id", "text", "month", "flag", "count", "money", "number", "score")   # parsed per distinct value
MANY = {"customer_id", "referred_by", "customer_name"}


def typed_name(column) -> str:
    """Name of a contract column in the frame: talk_s -> talk_ms, amount -> amount_fen."""
    if column.kind == "seconds":
        return column.name.removesuffix("_s") + "_ms"
    if column.kind == "money":
        return column.name + "_fen"
    return column.name


def repeats(table, column) -> bool:
    """Columns with few distinct values (people, categories, flags, ...): read as dictionaries.
    Customers are too many: merging per-chunk dictionaries of them costs more than one encoding."""
    return column != RECORD_ID.get(table) and column not in MANY \
        and RECORDS[table].column(column).kind in REPEATING


def empty_column(column, table, n=0) -> pd.Series:
    """A column of n blanks, typed as a parsed column of its kind."""
    kind = column.kind
    if column.name == RECORD_ID.get(table):
        return pd.Series(pa.nulls(n, pa.string()), dtype=pd.ArrowDtype(pa.string()))
    if kind in ("id", "text", "month"):
        return pd.Series(pd.Categorical.from_codes(np.full(n, -1, dtype=np.int8), categories=[]))
    if kind in ("datetime", "date"):
        return pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    if kind in ("seconds", "money", "count"):
        return pd.Series(pd.arrays.IntegerArray(np.zeros(n, np.int64), np.ones(n, bool)))
    if kind == "flag":
        return pd.Series(pd.arrays.BooleanArray(np.zeros(n, bool), np.ones(n, bool)))
    return pd.Series(np.full(n, None, dtype=object))


def bools(arr) -> np.ndarray:
    """A boolean arrow array as numpy (nulls as False)."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def parse_column(column, raw, table):
    """(values as a Series, bad: bool array, why: text or array of texts) of one column."""
    kind = column.kind
    n = len(raw)
    if column.name == RECORD_ID.get(table):        # the record's own id: text, one per row
        return pd.Series(_text(raw), dtype=pd.ArrowDtype(pa.string())), np.zeros(n, bool), ""
    if kind in ("datetime", "date"):
        values, bad = _datetimes(raw)
        why = "not a date and time" if kind == "datetime" else "not a date"
        if kind == "date":
            timed = ~bad & ~np.isnat(values) & (values != values.astype("datetime64[D]"))
            bad, why = bad | timed, np.where(timed, "a date has no time of day", why)
        return pd.Series(values), bad, why
    if kind == "seconds":
        return _milliseconds(raw)
    if kind == "flag" and pa.types.is_boolean(raw.type):
        values = raw.to_numpy(zero_copy_only=False)
        missing = bools(pc.is_null(raw))
        return pd.Series(pd.arrays.BooleanArray(np.where(missing, False, values).astype(bool), missing)), \
            np.zeros(n, bool), ""
    if kind == "month" and (pa.types.is_timestamp(raw.type) or pa.types.is_date(raw.type)):
        raw = pc.strftime(raw, format="%Y-%m")
    if kind in ("id", "text") and column.name != "direction":
        return _categories(raw), np.zeros(n, bool), ""
    parse = {"month": _month, "money": _fen, "count": _count, "flag": V.to_flag,
             "number": V.to_decimal, "score": V.to_decimal}.get(kind, _direction)
    return _per_value(raw, parse, {"money": "Int64", "count": "Int64", "flag": "boolean",
                                   "number": object, "score": object}.get(kind, "category"))


def _text(raw) -> pa.ChunkedArray:
    """Trimmed text; blank -> null. Whole floats (1001.0) read as integers."""
    if not isinstance(raw, pa.ChunkedArray):
        raw = pa.chunked_array([raw])
    if pa.types.is_dictionary(raw.type):
        raw = pc.cast(raw, raw.type.value_type)
    if pa.types.is_floating(raw.type):
        finite = pc.drop_null(raw)
        if len(finite) and pc.all(pc.equal(pc.floor(finite), finite)).as_py():
            raw = pc.cast(raw, pa.int64())
    if not is_text(raw.type):
        raw = pc.cast(raw, pa.string())
    raw = pc.utf8_trim_whitespace(raw)
    return pc.if_else(pc.equal(raw, ""), pa.scalar(None, raw.type), raw)


def _distinct(raw) -> tuple[np.ndarray, list]:
    """(codes, texts): each row's position among the column's distinct trimmed texts (-1: blank).

    A dictionary column (Parquet or CSV read with dictionaries) is never expanded: only its
    dictionary is trimmed and parsed."""
    arr = raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw
    if not pa.types.is_dictionary(arr.type):
        if not is_text(arr.type):
            arr = _text(arr).combine_chunks()
        arr = pc.dictionary_encode(arr)
    codes = np.asarray(arr.indices.fill_null(-1).to_numpy(zero_copy_only=False))
    clean = _text(arr.dictionary).combine_chunks()
    if clean.null_count == 0 and pc.all(pc.equal(clean, arr.dictionary)).as_py() is not False:
        return codes, clean.to_pylist()                                  # nothing to trim: codes stand
    same, uniques = pd.factorize(pd.Series(clean.to_pylist(), dtype=object), use_na_sentinel=True)
    remap = np.append(same, -1)                                          # "E1 " and "E1" are one; -1 stays
    return remap[codes], list(uniques)


def _categories(raw) -> pd.Series:
    """Trimmed text as a categorical, without a Python object per row (blank = NaN)."""
    codes, texts = _distinct(raw)
    return pd.Series(pd.Categorical.from_codes(codes, dtype=pd.CategoricalDtype(pd.Index(texts, dtype=object))))


def _per_value(raw, parse, out):
    """parse() once per distinct text; errors become the reason of each bad row."""
    codes, uniques = _distinct(raw)
    values = np.empty(len(uniques) + 1, dtype=object)
    why = np.full(len(uniques) + 1, "", dtype=object)
    values[-1] = None                       # code -1: blank
    for i, t in enumerate(uniques):
        try:
            values[i] = parse(t)
        except ValueError as exc:
            values[i], why[i] = None, str(exc)
    bad = (why != "")[codes]
    reasons = why[codes] if bad.any() else ""          # one text per row only when some are wrong
    missing = np.array([v is None for v in values], dtype=bool)[codes]
    if out == "category":
        cats, back = pd.factorize(pd.Series(values[:-1], dtype=object), use_na_sentinel=True)
        return pd.Series(pd.Categorical.from_codes(np.append(cats, -1)[codes], categories=pd.Index(back, dtype=object))), \
            bad, reasons
    if out == "Int64":
        ints_ = np.array([0 if v is None else v for v in values], dtype=np.int64)[codes]
        return pd.Series(pd.arrays.IntegerArray(ints_, missing)), bad, reasons
    if out == "boolean":
        flags = np.array([bool(v) for v in values], dtype=bool)[codes]
        return pd.Series(pd.arrays.BooleanArray(flags, missing)), bad, reasons
    return pd.Series(values[codes], dtype=object), bad, reasons


def _direction(text: str) -> str:
    t = norm(text)
    for key, spellings in DIRECTIONS.items():
        if t in {norm(s) for s in spellings}:
            return key
    raise ValueError(f"{text!r} is not a call direction: write in/out or 呼入/呼出")


def _month(text: str) -> str:
    label = V.to_period(text)
    if V.period_of(label).unit != "month":
        raise ValueError(f"{text!r} is not a month")
    return label


def _fen(text: str) -> int:
    return int(V.to_money(text) * 100)


def _count(text: str) -> int:
    d = V.to_decimal(text)
    if d != d.to_integral_value() or d < 0 or str(text).strip().endswith("%"):
        raise ValueError(f"{text!r} is not a whole number of 0 or more")
    return int(d)


def month_start(labels: pd.Series) -> np.ndarray:
    starts = V.map_unique(labels.astype(object).where(labels.notna(), None),
                          lambda m: np.datetime64(V.period_of(m).start, "ns"))
    return starts.to_numpy(dtype="datetime64[ns]")


# datetimes and durations, whole columns -------------------------------------------------
_ISO = r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$"
_DATETIME = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
                       r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$")


def _datetimes(raw) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[ns] values, bad) of a column: native timestamps as they are, text parsed."""
    if pa.types.is_date(raw.type):
        raw = pc.cast(raw, pa.timestamp("ns"))
    if pa.types.is_timestamp(raw.type):
        s = raw.to_pandas()
        if getattr(s.dt, "tz", None) is not None:
            s = s.dt.tz_convert(TZ).dt.tz_localize(None)
        try:
            return s.to_numpy(dtype="datetime64[ns]"), np.zeros(len(raw), bool)
        except (OverflowError, pd.errors.OutOfBoundsDatetime):
            raw = pc.cast(raw, pa.string())
    text = _text(raw)
    blank = bools(pc.is_null(text))
    try:                                              # ISO text: parsed in C in one pass
        values = pc.cast(text, pa.timestamp("ns")).to_numpy(zero_copy_only=False)
        return values.astype("datetime64[ns]"), np.zeros(len(raw), bool)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    norm_text = pc.replace_substring(text, "/", "-")
    iso = bools(pc.match_substring_regex(norm_text, _ISO))
    values = pd.to_datetime(pd.Series(norm_text, dtype=pd.ArrowDtype(pa.string())).where(iso),
                            format="ISO8601", errors="coerce").to_numpy(dtype="datetime64[ns]")
    rest = ~blank & np.isnat(values)
    if rest.any():                                    # other spellings: once per distinct text
        got, _, _ = _per_value(pc.filter(text, pa.array(rest)), _one_datetime, object)
        values[rest] = got.to_numpy(dtype="datetime64[ns]")
    return values, ~blank & np.isnat(values)


def _one_datetime(text: str):
    m = _DATETIME.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s, frac = m.groups()
    try:
        t = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0))
    except ValueError:
        return None
    return np.datetime64(t, "ns") + np.timedelta64(int((frac or "0").ljust(9, "0")), "ns")


_SECONDS = r"^\d+(?:\.\d{1,3}0*)?$"
_CLOCK = r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{2})$"
MAX_MS = 10**15


def _milliseconds(raw):
    """Seconds -> Int64 milliseconds. Text with at most 3 decimals (or hh:mm:ss) is exact:
    the float of such a text times 1000 is within 1e-3 of its whole number of ms."""
    if pa.types.is_dictionary(raw.type):
        raw = pc.cast(raw, raw.type.value_type)
    missing = bools(pc.is_null(raw))
    if pa.types.is_integer(raw.type):
        x = np.asarray(pc.fill_null(raw, 0).to_numpy(), dtype=np.int64)
        bad = ~missing & ((x < 0) | (x > MAX_MS // 1000))
        x *= 1000
        return _ms_series(x, missing | bad), bad, "not a duration in seconds of 0 or more"
    if pa.types.is_floating(raw.type):
        x = np.asarray(pc.fill_null(raw, 0).to_numpy(), dtype=np.float64)
        ms = np.round(x * 1000)
        bad = ~missing & ((x < 0) | ~np.isfinite(x) | (np.abs(x * 1000 - ms) > 1e-3) | (ms > MAX_MS))
        return _ms_series(np.where(bad, 0, ms).astype(np.int64), missing | bad), bad, \
            "not a duration in seconds of 0 or more with at most 3 decimals"
    text = _text(raw)
    missing = bools(pc.is_null(text))
    plain = bools(pc.match_substring_regex(text, _SECONDS))
    ms = np.round(pc.cast(pc.if_else(pa.array(plain), text, None), pa.float64())
                  .to_numpy(zero_copy_only=False) * 1000)
    clock = ~plain & ~missing & bools(pc.match_substring_regex(text, _CLOCK))
    if clock.any():
        parts = pc.extract_regex(pc.filter(text, pa.array(clock)), _CLOCK)
        def part(k):
            got = pc.struct_field(parts, k)
            got = pc.fill_null(pc.if_else(pc.equal(got, ""), "0", got), "0")
            return np.asarray(pc.cast(got, pa.int64()).to_numpy(), dtype=np.float64)
        h, m, s = part("h"), part("m"), part("s")
        ms[clock] = ((h * 60 + m) * 60 + s) * 1000
    bad = ~missing & (~(plain | clock) | (np.nan_to_num(ms, nan=0) > MAX_MS))
    keep = ~missing & ~bad
    return _ms_series(np.where(keep, np.nan_to_num(ms, nan=0), 0).astype(np.int64), ~keep), bad, \
        "not a duration in seconds (at most 3 decimals) or hh:mm:ss"


def _ms_series(values: np.ndarray, missing: np.ndarray) -> pd.Series:
    values = values.astype(np.int64, copy=False)
    values[missing] = 0
    return pd.Series(pd.arrays.IntegerArray(values, missing), copy=False)

def arrow_strings(s: pd.Series) -> pa.ChunkedArray:
    """The strings of a Series as arrow (zero-copy for pyarrow-backed strings)."""
    if hasattr(s.array, "__arrow_array__"):
        arr = pa.array(s.array)
    else:
        arr = pa.array(s.astype(object).where(s.notna(), None).to_numpy(dtype=object), type=pa.string())
    return arr if isinstance(arr, pa.ChunkedArray) else pa.chunked_array([arr])


def empty_frame(table: str) -> pd.DataFrame:
    """The typed frame of a record table with no rows (a copy of its own: 2 ms for all of them, not 20)."""
    return _empty_frame(table).copy()


@functools.lru_cache(maxsize=None)
def _empty_frame(table: str) -> pd.DataFrame:
    spec = RECORDS[table]
    frame = pd.DataFrame({typed_name(c): empty_column(c, table) for c in spec.columns})
    frame["_file"] = pd.Series(dtype="category")
    frame["_sheet"] = pd.Series(dtype=object)
    frame["_row"] = pd.Series(dtype="int64")
    return frame
