"""Find the input tables under a folder and read them as text.

Every cell is read as text, exactly as written: CSV as UTF-8 (with or without BOM) or
GB18030, xlsx through openpyxl. Excel numbers become their decimal text (0.1 stays 0.1),
percent-formatted cells their percent text (a cell showing 93% reads `93%`), dates ISO
text. Headers in English or Chinese become the canonical column names of contracts.py.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd

from .. import ahead
from ..ahead import first_line, input_files, parse_csv, separator
from ..distinct import refactorized
from .contracts import ONE_OF, SOURCE_COLUMNS, TABLES, Table, accepted_names, norm, table_for_name
from .report import Report

SPREADSHEETS = {".xlsx", ".xlsm"}
HEADER_SEARCH = 10          # the header is looked for in the first rows that hold anything
NAMES_FIX = (f"name the file or sheet after its table: {accepted_names()} "
             "(a name may also end with _<name> or -<name>, e.g. 2026-07_实绩.csv)")


@dataclass
class RawTables:
    frames: dict[str, pd.DataFrame]
    headers: dict[tuple[str, str | None], dict[str, str]]   # (file, sheet) -> column -> header as written
    report: Report = field(default_factory=Report)
    # table -> column -> (codes, distinct values) as pd.factorize gives them, where the reader knew them
    codes: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = field(default_factory=dict)


# cells -------------------------------------------------------------------------
def _decimal_text(d: Decimal) -> str:
    d = d.normalize()
    return format(d, "f")


def cell_text(value, number_format: str | None = None) -> str:
    """Text of an xlsx cell as the user sees it, without the float noise of binary numbers."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # 15 significant digits is what Excel itself shows: 0.1 stays 0.1, 0.1+0.2 is 0.3
        d = Decimal(format(value, ".15g"))
        if number_format and "%" in number_format:
            return _decimal_text(d * 100) + "%"
        return _decimal_text(d)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


# files -------------------------------------------------------------------------
def _decode(data: bytes) -> str | None:
    return _decoded(data)[0]


def _decoded(data: bytes) -> tuple[str | None, str | None]:
    """(text, encoding) of a CSV file's bytes: UTF-8 (BOM or not), else GB18030; (None, None) if neither."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    return None, None


def _csv_grid(text: str, data: bytes | memoryview | None = None) -> pd.DataFrame:
    """Every cell of a CSV as stripped text; the index is the row number (1 = first line).

    `data`: the file's bytes when they are the UTF-8 of `text` (without BOM), for pyarrow (a
    file perfpay.ahead has parsed: _parsed_grid)."""
    first = first_line(text)
    sep = separator(first)
    grid = _arrow_grid(text, data, sep, first.count(sep) + 1)
    if grid is not None:
        return grid
    try:
        grid = pd.read_csv(io.StringIO(text), sep=sep, header=None, dtype=str, na_filter=False,
                           skip_blank_lines=False, engine="c")
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except pd.errors.ParserError:       # rows of different lengths: the csv module pads them
        grid = pd.DataFrame(list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))).fillna("")
    grid.index = range(1, len(grid) + 1)
    grid.columns = range(grid.shape[1])
    return grid.apply(_strip)


# what str.strip() strips (str.isspace), for pyarrow's regular expressions (RE2)
SPACE = ("[\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f \\x{85}\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}"
         "\\x{202f}\\x{205f}\\x{3000}]")
PADDED = f"^{SPACE}|{SPACE}$"
FILLED = "perfpay_filled"       # grid.attrs: which rows hold anything, where the grid's maker knows it
CODES = "perfpay_codes"         # grid.attrs: column -> (codes, texts) with texts[codes] the column, likewise


def _arrow_grid(text: str | None, data: bytes | memoryview | None, sep: str, width: int,
                parsed: ahead.Parsed | None = None) -> pd.DataFrame | None:
    """The grid of _csv_grid read by pyarrow, or None where pyarrow would not give the same cells
    as pandas (ragged rows, blank-looking lines, NUL characters, a first row that is not the widest).
    `text` None: the caller has made sure of what is checked on the text here (_parsed_grid)."""
    if text is not None and (not text or text.isspace() or "\x00" in text or text[0] in "\r\n\ufeff"):
        return None           # pandas reads nothing after a blank first line; pyarrow skips a 2nd BOM
    import pyarrow as pa

    if parsed is not None and (parsed.sep, parsed.width) == (sep, width):
        table, coded = parsed.table, parsed.coded
    else:
        try:
            table = parse_csv(text.encode("utf-8") if data is None else data, sep, width)
        except (pa.ArrowInvalid, UnicodeError):
            return None
        coded = None
    if table.num_columns > width or not all(pa.types.is_string(t) for t in table.schema.types):
        return None
    coded = coded or ahead.encoded(table)
    columns, codes, filled = {}, {}, np.zeros(table.num_rows, dtype=bool)
    for j, column in enumerate(coded):
        columns[j], blank, codes[j] = _stripped_column(column)
        filled |= ~blank
    grid = pd.DataFrame(columns, index=range(1, table.num_rows + 1), dtype=object, copy=False)
    grid.attrs[FILLED] = filled
    grid.attrs[CODES] = Shared(codes)
    return grid


class Shared(dict):
    """What a grid holds in its attrs that pandas would otherwise deep-copy into every frame made
    from it (a slice, a filter): it is handed on as it is (the codes of a million distinct texts
    took 0.5 s to copy, slice after slice). Nothing changes it in place."""

    def __deepcopy__(self, memo) -> "Shared":
        return self


def _parsed_grid(data: bytes, parsed: ahead.Parsed) -> pd.DataFrame:
    """_csv_grid of a file perfpay.ahead parsed (so valid UTF-8), decoded only where its bytes alone
    do not settle what _csv_grid finds on the text: the first line that holds anything, complete
    within the first 64 KiB, and a text that starts with no space, line break or second BOM and
    holds no NUL (about 0.08 s saved per 20 MB)."""
    start = len(ahead.BOM) if data.startswith(ahead.BOM) else 0
    body = memoryview(data)[start:]
    first = _first_line_of(data, start)
    if first is not None:
        sep = separator(first)
        grid = _arrow_grid(None, body, sep, first.count(sep) + 1, parsed)
        if grid is not None:
            return grid
    return _csv_grid(str(body, "utf-8"), body)


def _first_line_of(data: bytes, start: int) -> str | None:
    """first_line of the UTF-8 text data[start:], from its first 64 KiB; None where that does not
    settle it, or where the text starts with a space, a line break or a second BOM or holds a NUL
    (what _arrow_grid checks on the text)."""
    head = data[start:start + ahead.LOOK].decode("utf-8", "ignore")      # valid UTF-8: only the end is cut
    if not head or head[0].isspace() or head[0] == "\ufeff" or data.find(b"\x00", start) >= 0:
        return None
    lines = head.splitlines()
    if start + ahead.LOOK < len(data):
        lines = lines[:-1]                      # the last piece may go on
    return next((line for line in lines if line.strip()), None)


def _stripped_column(coded) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray, bool]]:
    """A dictionary-encoded pyarrow column of text as an object array, each cell stripped (equal
    cells share one str), which cells are then "" (told from the dictionary), and the column as
    codes into its stripped texts, with whether those are distinct (none stripped)."""
    import pyarrow.compute as pc

    uniques = coded.dictionary.to_numpy(zero_copy_only=False)
    padded = np.flatnonzero(pc.match_substring_regex(coded.dictionary, PADDED).to_numpy(zero_copy_only=False))
    if len(padded):
        uniques[padded] = [t.strip() for t in uniques[padded]]
    indices = coded.indices.to_numpy(zero_copy_only=False)
    return uniques[indices], (uniques == "")[indices], (indices, uniques, not len(padded))



def _strip(column: pd.Series) -> pd.Series:
    """Strip spaces from every cell, once per distinct text."""
    codes, uniques = pd.factorize(column.to_numpy(dtype=object))
    stripped = np.array([str(u).strip() for u in uniques] or [""], dtype=object)
    return pd.Series(stripped[codes], index=column.index, dtype=object)


def _sheet_grid(ws) -> pd.DataFrame:
    """Every cell of a sheet as text; the index is the Excel row number."""
    ws.reset_dimensions()          # trust the cells, not the (often wrong) stored dimension
    numbers, rows = [], []
    for number, cells in enumerate(ws.iter_rows(), start=1):
        if cells and getattr(cells[0], "row", None):
            number = cells[0].row
        numbers.append(number)
        rows.append([cell_text(c.value, getattr(c, "number_format", None)) for c in cells])
    grid = pd.DataFrame(rows, index=numbers, dtype=object).fillna("")
    grid.columns = range(grid.shape[1])
    return grid


def _sheet_is_empty(ws) -> bool:
    for _, cells in zip(range(50), ws.iter_rows(values_only=True)):
        if any(v not in (None, "") for v in cells):
            return False
    return True


def iter_sources(root: Path, report: Report, tables=None, unknown: bool = True):
    """(file, sheet, table, read) of every table under `root`; read() gives its grid of text.

    `tables`: only the sources of these tables (None: all), the others passed over unread.
    Unknown names are reported, with `unknown`."""
    if not root.is_dir():
        if unknown:
            report.add("error", "", str(root), None, None, None, None,
                       f"inputs folder {root} does not exist", "give the folder that holds the input tables")
        return
    for path in input_files(root):
        rel = path.relative_to(root).as_posix()
        ext = path.suffix.lower()
        if ext == ".csv":
            table = table_for_name(path.stem)
            if table is None:
                if unknown:
                    _unknown(report, rel, None, f"file {rel} is not an input table; ignored")
                continue
            if tables is not None and table not in tables:
                continue
            data = path.read_bytes()
            parsed = ahead.taken(path, data)
            if parsed is not None:              # pyarrow parsed these very bytes: UTF-8, decoded only if need be
                yield rel, None, table, lambda data=data, parsed=parsed: _parsed_grid(data, parsed)
                continue
            text, encoding = _decoded(data)
            if text is None:
                report.add("error", table, rel, None, None, None, None,
                           f"{rel} is neither UTF-8 nor GB18030 text; the file is left out",
                           "save it from Excel as 'CSV UTF-8 (逗号分隔)' or as xlsx")
                continue
            utf8 = memoryview(data)[3 if data.startswith(ahead.BOM) else 0:] if encoding == "utf-8-sig" else None
            yield rel, None, table, lambda text=text, data=utf8: _csv_grid(text, data)
        elif ext in SPREADSHEETS:
            yield from ((f, s, t, read) for f, s, t, read in _workbook_sources(path, rel, report, unknown)
                        if tables is None or t in tables)
        elif ext == ".md":
            continue
        elif unknown:
            _unknown(report, rel, None, f"file {rel} is not a CSV or xlsx file; ignored",
                     fix="save tables as .csv or .xlsx (old .xls is not read); " + NAMES_FIX)


def _workbook_sources(path: Path, rel: str, report: Report, unknown: bool = True):
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:          # noqa: BLE001 - any unreadable workbook is reported
        if unknown:
            report.add("error", "", rel, None, None, None, None,
                       f"{rel} cannot be read as an xlsx workbook ({type(exc).__name__}: {exc}); "
                       "the file is left out", "open it in Excel and save it again as .xlsx")
        return
    try:
        stem_table = table_for_name(path.stem)
        for ws in wb.worksheets:
            table = table_for_name(ws.title) or stem_table
            if table is None:
                if unknown and not _sheet_is_empty(ws):
                    _unknown(report, rel, ws.title,
                             f"sheet {ws.title} of {rel} is not an input table; ignored")
                continue
            yield rel, ws.title, table, lambda ws=ws: _sheet_grid(ws)
    finally:
        wb.close()


def _unknown(report, file, sheet, message, fix=NAMES_FIX):
    report.add("warning", "", file, sheet, None, None, None, message, fix, skipped=True)


# grid -> frame -------------------------------------------------------------------
def _find_header(grid: pd.DataFrame, table: Table) -> int | None:
    """Position of the header: the first row naming 2+ columns of `table`; None if there is none."""
    known = table.header_map()
    for i, cells in enumerate(grid.head(HEADER_SEARCH).itertuples(index=False)):
        if sum(norm(c) in known for c in cells if c) >= 2:
            return i
    return None


def read_source(file, sheet, table_name, grid: pd.DataFrame, report: Report):
    """(frame of one file / sheet with canonical columns, its headers as written, the codes of its
    columns where the grid came with them: column -> (codes, texts)); None if unusable."""
    table = TABLES[table_name]
    where = f"{file}" + (f" sheet {sheet}" if sheet else "")
    filled, codes = grid.attrs.pop(FILLED, None), grid.attrs.pop(CODES, None)   # not copied to every part
    rows = slice(None)                  # the rows of the grid kept, for its codes
    if not grid.empty:
        if filled is None:
            filled = np.logical_or.reduce([grid[c].to_numpy(dtype=object) != "" for c in grid.columns])
        if not filled.all():
            grid, rows = grid[filled], np.flatnonzero(filled)
    if grid.empty:
        if sheet is None or table_for_name(sheet):
            report.add("warning", table_name, file, sheet, None, None, None,
                       f"{where} is empty", f"fill in the {table_name} rows or remove it", skipped=False)
        return None
    h = _find_header(grid, table)
    if h is None and sheet is not None and not table_for_name(sheet):
        # a sheet of a workbook named after a table, with a name and columns of its own (notes, pivots)
        _unknown(report, file, sheet, f"sheet {sheet} of {file} has no {table_name} columns; ignored",
                 fix=f"name the sheet after its table, or give it the {table_name} column headers")
        return None
    h = h or 0
    header_row, header = grid.index[h], grid.iloc[h].tolist()
    if h:
        first = next(c for c in grid.iloc[0] if c)
        report.add("warning", table_name, file, sheet, grid.index[0], None, first,
                   f"header found on row {header_row}; the {h} row(s) above it are ignored",
                   "put the column headers on the first row", skipped=True)
    data = grid.iloc[h + 1:]

    columns, written, problems = map_headers(header, table, where, lambda j: data[j].ne("").any())
    present = [h for h in header if h]
    missing = [c.label for c in table.columns if c.required and c.name not in columns]
    if table_name in ONE_OF and not any(c in columns for c in ONE_OF[table_name]):
        missing.append(" or ".join(table.column(c).label for c in ONE_OF[table_name]))
    if missing:
        problems.append(("error", f"column {', '.join(missing)} missing in {where}; columns present: "
                         f"{present}; all its rows are left out",
                         f"add the column (headers in English or Chinese: {columns_help(table)})", None))
    for severity, message, fix, head in problems:
        report.add(severity, table_name, file, sheet, header_row if head else None, head, None, message, fix)
    if any(p[0] == "error" for p in problems):
        return None

    frame = pd.DataFrame({c: data[columns[c]].to_numpy(dtype=object) if c in columns else ""
                          for c in table.column_names}, index=range(len(data)), dtype=object, copy=False)
    frame["_file"] = file
    frame["_sheet"] = sheet
    frame["_row"] = data.index.to_numpy()
    kept = {c: (codes[j][0][rows][h + 1:], *codes[j][1:]) for c, j in columns.items()} if codes else {}
    return frame, written, kept


def map_headers(header, table: Table, where: str, has_values) -> tuple[dict, dict, list]:
    """(canonical -> position, canonical -> header as written, problems) of a header row.

    A problem is (severity, message, fix, header); `has_values(j)` says whether the column
    at position j holds anything (a column without header is then worth a warning).
    """
    known = table.header_map()
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    problems = []
    for j, head in enumerate(header):
        head = str(head).strip()
        if not head:
            if has_values(j):
                problems.append(("warning", f"column {j + 1} has values but no header; ignored",
                                 "give the column a header or delete it", None))
            continue
        canon = known.get(norm(head))
        if canon is None:
            problems.append(("warning", f"column {head!r} is not a column of {table.name}; ignored",
                             f"{table.name} columns are: {columns_help(table)}", head))
        elif canon in columns:
            problems.append(("error", f"columns {written[canon]!r} and {head!r} both mean {canon}; "
                             f"{where} is left out", "keep one of the two columns", head))
        else:
            columns[canon], written[canon] = j, head
    return columns, written, problems


def columns_help(table: Table) -> str:
    return ", ".join(f"{c.name}/{c.spellings[0]}" for c in table.columns)


def empty_frame(table_name: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object)
                         for c in TABLES[table_name].column_names + SOURCE_COLUMNS})


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The rows of frames with the same columns, one after the other: pd.concat(ignore_index=True)
    of object columns, without pandas looking at every cell of a column that is all None."""
    return pd.DataFrame({c: np.concatenate([f[c].to_numpy(dtype=object) for f in frames]) for c in frames[0]},
                        index=range(sum(len(f) for f in frames)), dtype=object, copy=False)


def read_raw(inputs_dir, tables=None, unknown: bool = True) -> RawTables:
    """The rows of every table under `inputs_dir` as text (of `tables` only, when given; the
    others are empty). Files and sheets that are no input table are reported, with `unknown`."""
    root = Path(inputs_dir)
    report = Report()
    parts: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    coded: dict[str, list[dict]] = {t: [] for t in TABLES}
    headers = {}
    for file, sheet, table, read in iter_sources(root, report, tables, unknown):
        try:
            got = read_source(file, sheet, table, read(), report)
        except (csv.Error, OSError, ValueError) as exc:
            report.add("error", table, file, sheet, None, None, None,
                       f"{file} cannot be read ({exc}); the file is left out",
                       "open it in Excel and save it again as CSV UTF-8 or xlsx")
            continue
        if got is not None:
            frame, written, codes = got
            parts[table].append(frame)
            coded[table].append(codes)
            headers[(file, sheet)] = written
    frames = {}
    for t, fs in parts.items():
        frame = _concat(fs) if len(fs) > 1 else fs[0] if fs else empty_frame(t)
        frame["_row"] = frame["_row"].astype("int64")
        frames[t] = frame
    return RawTables(frames, headers, report, {t: _joined_codes(c) for t, c in coded.items() if c})


def _joined_codes(parts: list[dict]) -> dict:
    """The codes of the columns every part of a table came with, as pd.factorize gives them for the
    table's column (its parts one after the other)."""
    joined = {}
    for c in set.intersection(*(set(p) for p in parts)):
        if len(parts) == 1:
            joined[c] = refactorized(*parts[0][c])
            continue
        shift = np.cumsum([0] + [len(p[c][1]) for p in parts[:-1]])
        codes = np.concatenate([p[c][0].astype(np.int64) + at for p, at in zip(parts, shift)])
        joined[c] = refactorized(codes, np.concatenate([p[c][1] for p in parts]))
    return joined
