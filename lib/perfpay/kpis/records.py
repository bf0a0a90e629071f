"""Read and check the raw records of docs/records.md (calls, tickets, feedback, ...).

    records = load_records("inputs", roster=inputs.roster, period="2026-07")
    records.report          # every problem: file, sheet, row, column, value, message, fix
    records["calls"]        # the rows without errors, typed, with _file / _sheet / _row

Files live under <inputs>/records/ or <inputs>/原始记录/: CSV (UTF-8, with or without BOM,
or GB18030), xlsx or Parquet, one table per file or sheet, named after the table; several
files of one table add up. The path is built for millions of rows: CSV and Parquet are
read by pyarrow, columns are parsed whole (one column per core), columns whose values repeat
(people, categories, flags, numbers, months) stay dictionaries and are parsed once per
distinct value, and duplicate ids are found through sorted 64-bit hashes. Never raises on
bad data: rows with errors are left out and every problem is in `report`.

This module finds and reads the files; record_columns parses each column by its kind,
record_checks checks a table across rows and files.

Types of the frames (by the `kind` of the contract):
  id, text      category; the record's own id (call_id, ...) a pyarrow string; blank = NA
  datetime      datetime64[ns], wall-clock time as written (time zones converted to Asia/Shanghai)
  date          datetime64[ns] at midnight
  month         category of labels such as 2026-07
  seconds       Int64 of milliseconds, named <name>_ms (talk_s -> talk_ms): exact to 1 ms
  money         Int64 of fen, named <name>_fen (amount -> amount_fen)
  count         Int64, 0 or more
  number, score Decimal (None when blank)
  flag          boolean with NA where blank (what a blank means is the KPI's decision)
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..inputs import readers
from ..inputs.report import Report
from ..periods import Period
from ..texts import is_text
from .contracts import RECORD_FOLDERS, RECORDS, Table, norm, record_table_for_name
from .record_checks import Flags, check_table, duplicated
from .record_columns import (HELP, HISTORY, MAIN_DATE, RECORD_ID, empty_column, empty_frame, month_start,
                             parse_column, repeats, typed_name)

__all__ = ["Records", "load_records", "typed_name", "empty_frame", "duplicated"]

SPREADSHEETS = {".xlsx", ".xlsm"}
PARQUET = {".parquet", ".pq"}

NAMES_FIX = ("name the file or sheet after its table: "
             + ", ".join("/".join(t.names) for t in RECORDS.values())
             + " (a name may also start or end with _<name>, e.g. calls_2026-07.csv)")


@dataclass
class Records:
    frames: Mapping[str, pd.DataFrame]
    report: Report = field(default_factory=Report)
    files: list[str] = field(default_factory=list)        # files read, relative to the inputs folder

    def __getitem__(self, table: str) -> pd.DataFrame:
        return self.frames[table]


def load_records(inputs_dir, roster=None, period=None, margin_days: int = 0) -> Records:
    """Read and check every record file under <inputs_dir>/records or <inputs_dir>/原始记录.

    `roster`: the roster frame (or any list of employee ids); ids not in it are errors.
    `period`: keep rows whose main date (MAIN_DATE) lies in the period, widened by
    `margin_days` on both sides (first-contact resolution looks 7 days around a contact).
    """
    root = Path(inputs_dir)
    report = Report()
    window = _window(period, margin_days)
    known = _roster_ids(roster)
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in RECORDS}
    headers: dict[tuple, dict[str, str]] = {}
    files: list[str] = []
    for part in _parts(root, report):
        if part.file not in files:
            files.append(part.file)
        headers[(part.file, part.sheet)] = part.written
        frame = _parse(part, window, report)
        if frame is not None and len(frame):
            parts[part.table].append(frame)
    frames = {t: check_table(t, parts[t], known, headers, report) for t in RECORDS if parts[t]}
    return Records(Frames(frames), report, files)


class Frames(Mapping):
    """Every record table's frame: those given, and for the others their typed frame with no rows,
    made when first asked for (the ten of them took 50 ms the first time, in a command that scores
    from input tables alone and never looks at them)."""

    def __init__(self, given: dict[str, pd.DataFrame]):
        self.made = dict(given)

    def __getitem__(self, table: str) -> pd.DataFrame:
        if table not in self.made:
            if table not in RECORDS:
                raise KeyError(table)
            self.made[table] = empty_frame(table)
        return self.made[table]

    def __iter__(self):
        return iter(RECORDS)

    def __len__(self) -> int:
        return len(RECORDS)

    def any_rows(self) -> bool:
        """Whether a table has a row (no frame is made to tell)."""
        return any(len(frame) for frame in self.made.values())


# files -> parts ----------------------------------------------------------------------
@dataclass
class _Part:
    table: str
    file: str
    sheet: str | None
    data: pa.Table               # canonical column names, values as read
    rows: np.ndarray             # row number of each record as an editor shows it (header = row 1)
    written: dict[str, str]      # canonical name -> header as written


def _parts(root: Path, report: Report):
    for folder in RECORD_FOLDERS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(p for p in base.rglob("*") if p.is_file()):
            rel = path.relative_to(root).as_posix()
            if any(s.startswith(".") for s in path.relative_to(base).parts) or path.name.startswith("~$"):
                continue
            ext = path.suffix.lower()
            table = record_table_for_name(path.stem)
            try:
                if ext in SPREADSHEETS:
                    yield from _workbook(path, rel, table, report)
                elif ext not in PARQUET | {".csv"}:
                    if ext != ".md":
                        _warn(report, rel, None, f"file {rel} is not a CSV, xlsx or Parquet file; ignored",
                              "save records as .csv, .xlsx or .parquet; " + NAMES_FIX)
                elif table is None:
                    _warn(report, rel, None, f"file {rel} is not a record table; ignored", NAMES_FIX)
                elif ext == ".csv":
                    yield from _csv(path, rel, table, report)
                else:
                    yield from _parquet(path, rel, table, report)
            except (OSError, ValueError, csv.Error, pa.ArrowException) as exc:
                report.add("error", table or "", rel, None, None, None, None,
                           f"{rel} cannot be read ({type(exc).__name__}: {exc}); the file is left out",
                           "open it and save it again as CSV UTF-8, xlsx or Parquet")


def _warn(report, file, sheet, message, fix):
    report.add("warning", "", file, sheet, None, None, None, message, fix, skipped=True)


def _parquet(path, rel, table, report):
    import pyarrow.parquet as pq
    schema = pq.read_schema(path)
    got = _columns(schema.names, RECORDS[table], rel, None, None, report)
    if got is not None:
        pos, written = got
        names = [schema.names[j] for j in pos.values()]
        texts = [schema.names[j] for c, j in pos.items() if repeats(table, c)
                 and is_text(schema.field(j).type)]
        data = pq.read_table(path, columns=names, read_dictionary=texts)     # repeated texts stay dictionaries
        part = _Part(table, rel, None, pa.table({c: data.column(schema.names[j]) for c, j in pos.items()}),
                     np.arange(2, data.num_rows + 2), written)
        del data                            # the part holds the only reference: _parse frees it column by column
        yield part




def _csv(path, rel, table, report):
    import pyarrow.csv as pacsv
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    encoding, text = _encoding(head)
    if text is None:
        report.add("error", table, rel, None, None, None, None,
                   f"{rel} is neither UTF-8 nor GB18030 text; the file is left out",
                   "save it from Excel as 'CSV UTF-8 (逗号分隔)', as xlsx or as Parquet")
        return
    first = next((line for line in text.splitlines() if line.strip()), "")
    sep = "," if "," in first else "\t" if "\t" in first else ";" if ";" in first else ","
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep))[:readers.HEADER_SEARCH + 20]
    spec = RECORDS[table]
    known = spec.header_map()
    h = next((i for i, cells in enumerate(lines[:readers.HEADER_SEARCH + 10])
              if sum(norm(c) in known for c in cells if c.strip()) >= 2), None)
    if h is None or any(not "".join(c).strip() for c in lines[:h]):
        yield from _grid(readers._csv_grid(readers._decode(path.read_bytes()) or ""), table, rel, None, report)
        return
    header = [c.strip() for c in lines[h]]
    dictionary = [j for j, head in enumerate(header) if known.get(norm(head)) and repeats(table, known[norm(head)])]
    try:
        data = _read_csv_arrow(pacsv, path, h, len(header), sep, encoding, dictionary)
    except pa.ArrowInvalid:
        # blank lines, ragged rows or a late non-UTF-8 byte: the careful reader of the inputs
        yield from _grid(readers._csv_grid(readers._decode(path.read_bytes()) or ""), table, rel, None, report)
        return
    if h:
        report.add("warning", table, rel, None, 1, None, lines[0][0] if lines[0] else None,
                   f"header found on row {h + 1}; the {h} row(s) above it are ignored",
                   "put the column headers on the first row", skipped=True)
    got = _columns(header, spec, rel, None, h + 1, report, data)
    if got is not None:
        pos, written = got
        part = _Part(table, rel, None, _select(data, pos), np.arange(h + 2, h + 2 + data.num_rows), written)
        del data
        yield part


def _read_csv_arrow(pacsv, path, h, width, sep, encoding, dictionary=()):
    names = [f"c{j}" for j in range(width)]
    types = {n: pa.dictionary(pa.int32(), pa.string()) if j in dictionary else pa.string() for j, n in enumerate(names)}
    def read(enc):
        return pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(skip_rows=h + 1, column_names=names, encoding=enc),
            parse_options=pacsv.ParseOptions(delimiter=sep, ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types=types,
                                                 strings_can_be_null=False, quoted_strings_can_be_null=False))
    try:
        return read(encoding)
    except pa.ArrowInvalid as exc:
        if encoding == "utf8" and "UTF8" in str(exc):
            return read("gb18030")
        raise


def _encoding(head: bytes) -> tuple[str, str | None]:
    """pyarrow's encoding name and the decoded head of a file (None when neither fits)."""
    for name, arrow in (("utf-8-sig", "utf8"), ("gb18030", "gb18030")):
        try:
            return arrow, codecs.getincrementaldecoder(name)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return "utf8", None


def _workbook(path, rel, stem_table, report):
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:          # noqa: BLE001 - any unreadable workbook is reported
        report.add("error", "", rel, None, None, None, None,
                   f"{rel} cannot be read as an xlsx workbook ({type(exc).__name__}: {exc}); the file is left out",
                   "open it in Excel and save it again as .xlsx")
        return
    try:
        for ws in wb.worksheets:
            table = record_table_for_name(ws.title) or stem_table
            if table is None:
                if not readers._sheet_is_empty(ws):
                    _warn(report, rel, ws.title, f"sheet {ws.title} of {rel} is not a record table; ignored",
                          NAMES_FIX)
                continue
            yield from _grid(readers._sheet_grid(ws), table, rel, ws.title, report)
    finally:
        wb.close()


def _grid(grid: pd.DataFrame, table, rel, sheet, report):
    """A grid of cell texts (index = row number) as a part; the header is looked for on top."""
    where = rel + (f" sheet {sheet}" if sheet else "")
    if not grid.empty:
        grid = grid[grid.ne("").any(axis=1)]
    if grid.empty:
        report.add("warning", table, rel, sheet, None, None, None, f"{where} is empty",
                   f"fill in the {table} rows or remove it", skipped=False)
        return
    spec = RECORDS[table]
    h = readers._find_header(grid, spec) or 0
    if h:
        report.add("warning", table, rel, sheet, int(grid.index[0]), None, next(c for c in grid.iloc[0] if c),
                   f"header found on row {grid.index[h]}; the {h} row(s) above it are ignored",
                   "put the column headers on the first row", skipped=True)
    data = grid.iloc[h + 1:]
    header = [str(c).strip() for c in grid.iloc[h].tolist()]
    arrow = pa.table({f"c{j}": pa.array(data[j].to_numpy(dtype=object), type=pa.string())
                      for j in range(len(header))})
    got = _columns(header, spec, rel, sheet, int(grid.index[h]), report, arrow)
    if got is not None:
        pos, written = got
        part = _Part(table, rel, sheet, _select(arrow, pos), data.index.to_numpy(dtype=np.int64), written)
        del arrow, data
        yield part


def _columns(header, spec: Table, rel, sheet, header_row, report, data=None):
    """(canonical -> position, canonical -> header as written), or None when the file is unusable."""
    where = rel + (f" sheet {sheet}" if sheet else "")
    pos, written, problems = readers.map_headers(header, spec, where, lambda j: data is not None and pc.any(
        pc.not_equal(pc.utf8_trim_whitespace(data.column(j)), "")).as_py())
    missing = [c.label for c in spec.columns if c.required and c.name not in pos]
    if missing:
        present = [str(h) for h in header if str(h).strip()]
        problems.append(("error", f"column {', '.join(missing)} missing in {where}; columns present: "
                         f"{present}; all its rows are left out",
                         f"add the column (headers in English or Chinese: {readers.columns_help(spec)})", None))
    for severity, message, fix, head in problems:
        report.add(severity, spec.name, rel, sheet, header_row if head else None, head, None, message, fix)
    if any(p[0] == "error" for p in problems):
        return None
    return pos, written


def _select(data: pa.Table, pos: dict[str, int]) -> pa.Table:
    return pa.table({c: data.column(j) for c, j in pos.items()})

# parts -> typed frames ---------------------------------------------------------------
def _parse(part: _Part, window, report: Report) -> pd.DataFrame | None:
    """Typed frame of one part; rows with a blank or unreadable value are reported and marked `_bad`."""
    spec = RECORDS[part.table]
    data, rows = part.data, part.rows
    main = spec.column(MAIN_DATE[part.table])
    parsed = {}
    if window is not None and main.name in data.column_names:
        values, bad, why = parse_column(main, data.column(main.name), part.table)
        when = month_start(values) if main.kind == "month" else values.to_numpy()
        start, end = window
        inside = (when < end) if part.table in HISTORY else (when >= start) & (when < end)
        keep = bad | pd.isna(when) | inside
        if not keep.all():
            data, rows = data.filter(pa.array(keep)), rows[keep]
            why = why if isinstance(why, str) else why[keep]
            values, bad = values[keep].reset_index(drop=True), bad[keep]
        parsed[main.name] = values, bad, why
    n = data.num_rows
    out, left_out = {}, np.zeros(n, dtype=bool)
    flags = Flags(report, part.table, part.file, part.sheet, rows, part.written)
    raws = {c: data.column(c) for c in data.column_names}
    part.data = data = None                 # each raw column is freed once parsed, unless it has problems

    def work(column):
        values, bad, why = parsed.get(column.name) or parse_column(column, raws[column.name], part.table)
        blank = values.isna().to_numpy() & ~bad if column.needs_value else np.zeros(n, dtype=bool)
        if not (bad.any() or blank.any()):
            raws.pop(column.name, None)
        if column.name == RECORD_ID.get(part.table):      # duplicates within the file, while other columns parse
            dups[0] = duplicated(values)
        return values, bad, why, blank

    dups = [None]

    todo = [c for c in spec.columns if c.name in raws]
    with ThreadPoolExecutor(max_workers=min(len(todo), os.cpu_count() or 1) or 1) as pool:
        # columns parse in C (pyarrow, numpy), mostly without the GIL: one column per core
        done = dict(zip([c.name for c in todo], pool.map(work, todo)))
    for column in spec.columns:
        name = typed_name(column)
        if column.name not in done:
            out[name] = empty_column(column, part.table, n)
            continue
        raw = raws.get(column.name)
        values, bad, why, blank = done.pop(column.name)
        if column.needs_value:
            if blank.any():
                flags.add(blank, column.name, f"{column.name} is blank", "fill in the {col}", raw)
                left_out |= blank
        if bad.any():
            flags.add(bad, column.name, why, HELP.get(column.kind, "correct the {col}"), raw)
            left_out |= bad
        out[name] = values
    frame = pd.DataFrame(out, copy=False)
    frame["_file"] = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), categories=[part.file])
    frame["_sheet"] = part.sheet
    frame["_row"] = rows
    frame["_bad"] = left_out                # reported; left out after the checks across rows
    if dups[0] is not None:
        frame["_dup"] = dups[0]
    return frame


def _window(period, margin_days):
    if period is None:
        return None
    p = Period.parse(period)
    start = datetime.combine(p.start, datetime.min.time()) - timedelta(days=margin_days)
    end = datetime.combine(p.end, datetime.min.time()) + timedelta(days=1 + margin_days)
    return np.datetime64(start, "ns"), np.datetime64(end, "ns")


def _roster_ids(roster):
    if roster is None:
        return None
    if isinstance(roster, pd.DataFrame):
        roster = roster["employee_id"]
    return {str(e).strip() for e in roster if e is not None and str(e).strip()}
