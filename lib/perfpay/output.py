"""Writing results: UTF-8 with BOM (Excel on a Chinese Windows opens it), all or nothing.

CSV text is made column by column with numpy and pyarrow, and is byte for byte what
`frame.to_csv(path, index=False, encoding="utf-8-sig")` writes: the same quoting (QUOTE_MINIMAL,
which quotes a field holding `,`, `"` or a newline, and a row whose only field is empty), None
and NaN as empty, floats in object columns as repr(), anything else as str(). Frames with a column
type not handled here (dates, categories, pandas' nullable types) are written by pandas itself.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

TEXT = pa.large_string()
ROWS_PER_CHUNK = 200_000


def needs_quotes_pattern() -> str:
    """A regex for the fields the csv module quotes as pandas sets it up. It is asked of csv
    itself: Python versions differ (3.11 leaves a lone \\r unquoted when lines end in \\n)."""
    special = ""
    for char, escaped in [(",", ","), ('"', '"'), ("\r", r"\r"), ("\n", r"\n")]:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([f"a{char}b", "c"])
        if buffer.getvalue().startswith('"'):
            special += escaped
    return f"[{special}]"


NEEDS_QUOTES = needs_quotes_pattern()


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV that pandas writes for `frame` (index left out), as UTF-8 with BOM."""
    return b"".join(csv_parts(frame))


def csv_parts(frame: pd.DataFrame):
    """csv_bytes in pieces, a block of rows at a time, so a large frame is never one string."""
    if not fast_path_fits(frame):
        yield frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
        return
    yield frame.iloc[:0].to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    if len(frame) == 0:
        return
    columns = [column_text(frame.iloc[:, i].to_numpy()) for i in range(frame.shape[1])]
    if len(columns) == 1:                       # csv quotes a row whose only field is empty
        columns = [pc.if_else(pc.equal(columns[0], ""), text('""'), columns[0])]
    for start in range(0, len(frame), ROWS_PER_CHUNK):
        yield rows_bytes([c.slice(start, ROWS_PER_CHUNK) for c in columns])


def text(value: str) -> pa.Scalar:
    """A pyarrow text scalar of the type the columns use."""
    return pa.scalar(value, TEXT)


def fast_path_fits(frame: pd.DataFrame) -> bool:
    """True when every column is a plain numpy object, int, bool or float column."""
    if frame.shape[1] == 0 or isinstance(frame.columns, pd.MultiIndex):
        return False
    return all(isinstance(t, np.dtype) and t.kind in "Oiubf" for t in frame.dtypes)


def column_text(values: np.ndarray) -> pa.Array:
    """One column as CSV fields: quoted where needed, missing values empty."""
    kind = values.dtype.kind
    if kind in "iu":
        return pa.array(values).cast(TEXT)
    if kind == "b":
        return pc.if_else(pa.array(values), text("True"), text("False"))
    if kind == "f":                             # pandas prints floats with numpy's astype(str)
        printed = values.astype(str).astype(object)
        printed[np.isnan(values)] = ""
        return pa.array(printed, TEXT)
    return object_text(values)


def object_text(values: np.ndarray) -> pa.Array:
    """An object column as CSV fields. Each distinct object is printed and quoted once: the very
    same object always prints alike, which equal values need not (Decimal("1.1") == Decimal("1.10"),
    1 == True)."""
    codes, firsts = same_objects(values)
    objects = values[firsts]
    fields = text_only(objects)
    if fields is None:
        fields = pc.if_else(pa.array(pd.isna(objects)), text(""), pa.array([as_text(v) for v in objects], TEXT))
    fields = quote(fields).fill_null(text(""))
    return fields.take(pa.array(codes))


def text_only(values: np.ndarray) -> pa.Array | None:
    """The column as pyarrow text when every entry is a str or missing (None, NaN: null); else None.

    pyarrow finds the type itself: str alone gives text, anything else (bytes, numbers, Decimal)
    another type or an error."""
    try:
        found = pa.array(values, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(found, pa.ChunkedArray):
        found = found.combine_chunks()
    if not (pa.types.is_string(found.type) or pa.types.is_large_string(found.type)):
        return None
    return found.cast(TEXT)


def same_objects(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes that are equal where entries are the very same object, and where each code first appears."""
    # an object array holds the addresses of its objects (CPython's id), read here without a call each
    ids = np.frombuffer(np.ascontiguousarray(values, dtype=object).tobytes(), dtype=np.uintp)
    codes, _ = pd.factorize(ids)                # codes are numbered in order of first appearance
    highest_before = np.maximum.accumulate(codes)[:-1]
    firsts = np.flatnonzero(np.concatenate([[True], codes[1:] > highest_before]))
    return codes, firsts


def as_text(value) -> str:
    """A value as the csv module writes it: floats by repr, everything else by str."""
    return float.__repr__(value) if isinstance(value, float) else str(value)


def quote(fields: pa.Array) -> pa.Array:
    """QUOTE_MINIMAL: wrap a field holding a comma, a quote or a newline, doubling its quotes."""
    doubled = pc.replace_substring(fields, '"', '""')
    wrapped = pc.binary_join_element_wise(text('"'), doubled, text('"'), text(""))
    return pc.if_else(pc.match_substring_regex(fields, NEEDS_QUOTES), wrapped, fields)


def rows_bytes(columns: list[pa.Array]) -> bytes | memoryview:
    """Rows of fields joined by commas, each ended by a newline, as UTF-8."""
    ended = pc.binary_join_element_wise(columns[-1], text(""), text("\n"))    # the newline on the last field
    lines = pc.binary_join_element_wise(*columns[:-1], ended, text(",")) if len(columns) > 1 else ended
    if len(lines) == 0:
        return b""
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[lines.offset:]
    return memoryview(data)[bounds[0]:bounds[len(lines)]]


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write one CSV atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.writelines(csv_parts(frame))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(files: dict) -> None:
    """Write every file or none: render all into a staging folder first, then move them in.

    A value is a DataFrame (written as CSV with BOM) or a callable that writes the file at the
    path it is given (an xlsx writer, say).
    """
    if not files:
        return
    paths = [Path(p) for p in files]
    root = Path(os.path.commonpath([p.parent for p in paths]))
    root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=root))
    try:
        staged = []
        for path, frame in files.items():
            target = stage / Path(path).relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            if callable(frame):
                frame(target)
            else:
                with open(target, "wb") as fh:
                    fh.writelines(csv_parts(frame))
            staged.append((target, Path(path)))
        for target, final in staged:
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(target, final)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
