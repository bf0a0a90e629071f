"""Writing results: UTF-8 with BOM (Excel on a Chinese Windows opens it), all or nothing.

CSV text is made column by column with numpy and pyarrow, and is byte for byte what
`frame.to_csv(path, index=False, encoding="utf-8-sig")` writes: the same quoting (QUOTE_MINIMAL,
which quotes a field holding `,`, `"` or a newline, and a row whose only field is empty), None
and NaN as empty, floats in object columns as repr(), anything else as str(); pyarrow text
columns (string[pyarrow]) as they are, missing values empty. Frames with a column type not
handled here (dates, categories, pandas' other nullable types) are written by pandas itself.
"""

from __future__ import annotations

import contextlib
import csv
import io
import multiprocessing
import os
import shutil
import signal
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .distinct import Coded, first_codes, same_objects
from .errors import WriteError
from .forked import can_fork
from .texts import TEXT, arrow_text, column, is_text

ROWS_PER_CHUNK = 10_000


def quoted_characters() -> str:
    """The characters that make the csv module quote a field, as pandas sets it up. They are
    asked of csv itself: Python versions differ (3.11 leaves a lone \\r unquoted when lines end
    in \\n)."""
    special = ""
    for char in ',"\r\n':
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([f"a{char}b", "c"])
        if buffer.getvalue().startswith('"'):
            special += char
    return special


QUOTED = quoted_characters()
NEEDS_QUOTES = "[" + "".join({"\r": r"\r", "\n": r"\n"}.get(c, c) for c in QUOTED) + "]"     # a regex


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV that pandas writes for `frame` (index left out), as UTF-8 with BOM."""
    return b"".join(csv_parts(frame))


class CodedTable:
    """A table to write as CSV, given column by column: a Coded column (codes into values, each
    value printed once), or the values of every row (a numpy array, pyarrow text). What csv_parts
    works out of a frame's columns is handed over as it was made (an explanation's notes, say)."""

    def __init__(self, columns: dict):
        self.columns = columns

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def column(self, name: str):
        """One column's values, row by row (as its frame holds them)."""
        values = self.columns[name]
        return values.spread() if isinstance(values, Coded) else _values(values)

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (the frame whose CSV csv_parts writes)."""
        return pd.DataFrame({c: self.column(c) for c in self.columns}, copy=False)


def _values(values):
    """A column of a CodedTable as a frame holds it: pyarrow text as string[pyarrow]."""
    return column(values) if isinstance(values, (pa.Array, pa.ChunkedArray)) else values


def csv_parts(frame):
    """csv_bytes in pieces: each column's distinct fields are printed once, then rows are joined
    a block at a time, small enough to stay in the processor's cache (10,000 rows took a 1M-row
    explanation from 1.4 s to 0.15 s against blocks of 200,000). `frame` may be a CodedTable."""
    if isinstance(frame, CodedTable):
        yield from _coded_parts(frame)
        return
    if not fast_path_fits(frame):
        yield frame.to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
        return
    yield frame.iloc[:0].to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    if len(frame) == 0:
        return
    yield from _rows([column_fields(frame.iloc[:, i].array if _arrow_text(t) else frame.iloc[:, i].to_numpy())
                      for i, t in enumerate(frame.dtypes)], len(frame))


def _coded_parts(table: CodedTable):
    if not all(_plain(v.values if isinstance(v, Coded) else v) for v in table.columns.values()):
        yield from csv_parts(table.frame())         # a column of a type not handled here: as its frame
        return
    yield pd.DataFrame(columns=list(table.columns)).to_csv(index=False, lineterminator="\n").encode("utf-8-sig")
    if len(table) == 0:
        return
    yield from _rows([coded_fields(v) for v in table.columns.values()], len(table))


def _plain(values) -> bool:
    """A numpy object, int, bool or float array, or pyarrow text (as it is, or string[pyarrow])."""
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return is_text(values.type)
    return _arrow_text(values.dtype) if isinstance(values, pd.api.extensions.ExtensionArray) \
        else isinstance(values, np.ndarray) and values.dtype.kind in "Oiubf"


def coded_fields(column) -> tuple[np.ndarray, pa.Array]:
    """column_fields of a CodedTable's column."""
    if isinstance(column, Coded):
        codes, fields = column_fields(column.values)
        return codes.astype(np.int32, copy=False)[column.codes], fields      # half the memory of int64
    return column_fields(_values(column))


def _rows(columns: list, n: int):
    """The rows of columns (codes, fields), a block of ROWS_PER_CHUNK at a time."""
    if len(columns) == 1:                       # csv quotes a row whose only field is empty
        codes, fields = columns[0]
        columns = [(codes, pc.if_else(pc.equal(fields, ""), text('""'), fields))]
    columns = joined_few(columns, max(n // 4, 1 << 12))
    codes, fields = columns[-1]
    columns[-1] = (codes, pc.binary_join_element_wise(fields, text(""), text("\n")))    # each field once
    for start in range(0, n, ROWS_PER_CHUNK):
        yield rows_bytes([fields.take(pa.array(codes[start:start + ROWS_PER_CHUNK])) for codes, fields in columns])


def joined_few(columns: list, most: int) -> list:
    """Neighbouring columns (codes, fields) made one, their fields joined by commas once per pair
    of codes the rows hold, while the pairs number `most` or fewer: fewer, wider columns to join
    row by row (an explanation's department, role, section, indicator, rule, full points, inputs,
    points, note and flag come as some 37,000 pairs in 608,165 rows: 10 columns become 4)."""
    out = [columns[0]]
    for codes, fields in columns[1:]:
        before, known = out[-1]
        if len(known) > most or len(fields) > most:       # as many pairs at least
            out.append((codes, fields))
            continue
        pair = before.astype(np.int64) * len(fields) + codes
        if len(known) * len(fields) <= len(pair):         # pairs numbered in order, by counting
            held = np.flatnonzero(np.bincount(pair, minlength=len(known) * len(fields)))
            number = np.zeros(len(known) * len(fields), dtype=np.int32)
            number[held] = np.arange(len(held))
            number = number[pair]
        else:                                           # too many to count
            number, held = _pairs_of_a_function(before, len(known), codes, len(fields))
            if number is None:
                number, flipped = _pairs_of_a_function(codes, len(fields), before, len(known))
                held = None if number is None else flipped % len(known) * len(fields) + flipped // len(known)
            if number is None:                          # numbered as they come
                number, held = pd.factorize(pair)
                number = number.astype(np.int32)
        if len(held) > most:
            out.append((codes, fields))
            continue
        both = pc.binary_join_element_wise(known.take(pa.array(held // len(fields))),
                                           fields.take(pa.array(held % len(fields))), text(","))
        out[-1] = (number, both)
    return out


def _pairs_of_a_function(a: np.ndarray, na: int, b: np.ndarray, nb: int):
    """Where each code of `a` (0 <= a < na) goes with one code of `b` only (a person's name with
    their id): the pairs numbered by the codes of `a` that appear, and each pair as a * nb + b,
    without hashing them. (None, None) where some code of `a` goes with two of `b`."""
    partner = np.full(na, -1, dtype=np.int64)
    partner[a] = b
    if not np.array_equal(partner[a], b):
        return None, None
    held = np.flatnonzero(partner >= 0)
    number = np.cumsum(partner >= 0, dtype=np.int32) - 1
    return number[a], held * nb + partner[held]


def column_fields(values) -> tuple[np.ndarray, pa.Array]:
    """One column as codes into its distinct CSV fields: fields.take(codes) is the column.
    A pyarrow text column is taken as it is, one field per row."""
    if isinstance(values, pd.arrays.ArrowStringArray):
        fields = arrow_text(values)                # missing values empty
        return np.arange(len(fields), dtype=np.int32 if len(fields) < 2**31 else np.int64), quote(fields)
    kind = values.dtype.kind
    if kind == "O":
        codes, firsts = same_objects(values)
        return codes, object_text(values[firsts])
    if kind == "f":                             # the same bits print alike, NaNs all print empty
        codes, firsts = first_codes(values.view(f"i{values.itemsize}"))
        return codes, column_text(values[firsts])
    codes, firsts = first_codes(values)
    return codes, column_text(values[firsts])


def text(value: str) -> pa.Scalar:
    """A pyarrow text scalar of the type the columns use."""
    return pa.scalar(value, TEXT)


def fast_path_fits(frame: pd.DataFrame) -> bool:
    """True when every column is a plain numpy object, int, bool or float column, or pyarrow text."""
    if frame.shape[1] == 0 or isinstance(frame.columns, pd.MultiIndex):
        return False
    return all((isinstance(t, np.dtype) and t.kind in "Oiubf") or _arrow_text(t) for t in frame.dtypes)


def _arrow_text(dtype) -> bool:
    """string[pyarrow]: text that pyarrow holds."""
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def column_text(values: np.ndarray) -> pa.Array:
    """A number or flag column as CSV fields, NaN empty."""
    kind = values.dtype.kind
    if kind in "iu":
        return pa.array(values).cast(TEXT)
    if kind == "b":
        return pc.if_else(pa.array(values), text("True"), text("False"))
    if kind == "f":                             # pandas prints floats with numpy's astype(str)
        printed = values.astype(str).astype(object)
        printed[np.isnan(values)] = ""
        return pa.array(printed, TEXT)
    raise TypeError(f"not a number or flag column: {values.dtype}")


def object_text(objects: np.ndarray) -> pa.Array:
    """Distinct objects as CSV fields, quoted where needed, missing values empty. Each is printed
    once for the very same object: equal values need not print alike (Decimal("1.1") and
    Decimal("1.10"), 1 and True)."""
    fields = text_only(objects)
    if fields is None:
        fields = pc.if_else(pa.array(pd.isna(objects)), text(""), pa.array([as_text(v) for v in objects], TEXT))
    return quote(fields).fill_null(text(""))


def text_only(values: np.ndarray) -> pa.Array | None:
    """The column as pyarrow text when every entry is a str or missing (None, NaN: null); else None.

    pyarrow finds the type itself: str alone gives text, anything else (bytes, numbers, Decimal)
    another type or an error. A column whose first entry is neither is not asked of pyarrow: it
    fails there slowly (6,219 Decimals took 22 ms to be refused)."""
    if len(values) and not _text_or_missing(values[0]):
        return None
    try:
        found = pa.array(values, from_pandas=True)
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(found, pa.ChunkedArray):
        found = found.combine_chunks()
    if not is_text(found.type):
        return None
    return found.cast(TEXT)


def _text_or_missing(value) -> bool:
    """A str, None or NaN (what text_only may turn into text or a missing value)."""
    return value is None or isinstance(value, str) or (isinstance(value, float) and value != value)


def as_text(value) -> str:
    """A value as the csv module writes it: floats by repr, everything else by str."""
    return float.__repr__(value) if isinstance(value, float) else str(value)


def quote(fields: pa.Array) -> pa.Array:
    """QUOTE_MINIMAL: wrap a field holding a comma, a quote or a newline, doubling its quotes."""
    if not _holds_any(fields, QUOTED):
        return fields
    special = pc.match_substring_regex(fields, NEEDS_QUOTES)
    if not pc.any(special).as_py():
        return fields
    doubled = pc.replace_substring(fields.filter(special), '"', '""')
    wrapped = pc.binary_join_element_wise(text('"'), doubled, text('"'), text(""))
    return pc.replace_with_mask(fields, special.fill_null(False), wrapped)


def _holds_any(fields: pa.Array, chars: str) -> bool:
    """Whether any text of `fields` may hold one of `chars` (ASCII): their UTF-8 bytes, searched
    all at once (a 608,165-row column of sources: 0.012 s against 0.05 s for the regex)."""
    if not isinstance(fields, pa.Array) or not is_text(fields.type):
        return True
    _, offsets, data = fields.buffers()
    if data is None:
        return False
    bounds = np.frombuffer(offsets, dtype=np.int64 if pa.types.is_large_string(fields.type) else np.int32)
    held = bytes(memoryview(data)[bounds[fields.offset]:bounds[fields.offset + len(fields)]])
    return any(held.find(c.encode()) >= 0 for c in chars)


def rows_bytes(columns: list[pa.Array]) -> bytes | memoryview:
    """Rows of fields joined by commas, as UTF-8 (the fields of the last column end in a newline)."""
    lines = pc.binary_join_element_wise(*columns, text(",")) if len(columns) > 1 else columns[0]
    if len(lines) == 0:
        return b""
    _, offsets, data = lines.buffers()
    bounds = np.frombuffer(offsets, dtype=np.int64)[lines.offset:]
    return memoryview(data)[bounds[0]:bounds[len(lines)]]


def new_file_mode() -> int:
    """The permissions a new file gets here (0666 less the umask), for one written through a
    temporary file first: mkstemp makes it 0600, readable by its owner alone."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write one CSV atomically: a temporary file in the same folder, then a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.writelines(csv_parts(frame))
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(files: dict) -> None:
    """Write every file or none: each is written into a staging folder, then all are moved in.

    A value is a DataFrame (written as CSV with BOM) or a callable that writes the file at the
    path it is given (an xlsx writer, say). See Staging for who writes what, and when.
    """
    if not files:
        return
    root = Path(os.path.commonpath([Path(p).parent for p in files]))
    with Staging(root) as staging:
        for path, value in files.items():
            staging.add(path, value)


EXCEL_ROWS = 1_048_576    # the most lines a worksheet holds: a CSV's header and 1,048,575 rows


def beyond_excel(files: dict) -> list[str]:
    """A message for each CSV table of `files` with more rows than Excel shows (a quarter's or a
    year's explain.csv of a big department): Excel opens it cut short, with a warning that is easy
    to click away."""
    return [f"{path.parent.name}/{path.name}: {len(value):,} rows, more than an Excel sheet holds "
            f"({EXCEL_ROWS - 1:,} below the header), so Excel opens it cut short; read it with pandas, or in "
            "Excel through Data > From Text/CSV loaded into the Data Model"
            for path, value in ((Path(p), v) for p, v in files.items())
            if path.suffix.lower() == ".csv" and not callable(value) and len(value) >= EXCEL_ROWS]


FORK_ROWS = 100_000       # a table this long is written by a second process, where one can be forked


class Staging:
    """Files written into a hidden folder under `root` as they are added, then moved into their
    places together by commit(), or all thrown away by discard(). As a context manager it commits
    when its block ends and discards when the block raises.

    A forked copy of this process (one at a time) takes work off this one, so that both cores
    write: a table of `fork_rows` rows or more as soon as it is added, while this process goes on
    (scoring the next department, say); at commit, what is pending is shared out file by file, the
    longest first (tables by their rows, Sized writers by their own estimate, other writers such
    as the xlsx statements last, in the order added), each process taking the next file when it
    is done with one. Where no process can be forked
    (see can_fork), or with fork_rows=None, everything is written here.
    """

    def __init__(self, root: Path, fork_rows: int | None = FORK_ROWS):
        self.root = Path(root)
        self.fork_rows = fork_rows
        self.root.mkdir(parents=True, exist_ok=True)
        self.folder = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        self.places: list[tuple[Path, Path]] = []     # (staged, final)
        self.pending: list[tuple[Path, object]] = []  # (staged, table or writer) not yet written
        self.child: Writer | None = None

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind, error, trace) -> None:
        if kind is None:
            self.commit()
        else:
            self.discard()

    def add(self, path: Path, value) -> None:
        """Stage a file under root: a DataFrame or a CodedTable (CSV with BOM), a Later (one, made
        when written) or a callable that writes the path."""
        path = Path(path)
        staged = self.folder / path.relative_to(self.root)
        staged.parent.mkdir(parents=True, exist_ok=True)
        self.places.append((staged, path))
        self.pending.append((staged, value))
        self._hand_off()

    def commit(self) -> None:
        """Write what is pending, shared with a writer process; wait for it; move every file into
        its place."""
        try:
            jobs = sorted(self.pending, key=lambda job: -_seconds(job[1]))     # the longest first
            self.pending = []
            numbers = Numbers(len(jobs))
            # a writer process still busy with a table handed off while staging: this one takes the
            # shortest work, from the back, and comes back soon to start a writer process on the
            # longest once none is busy; else it takes the longest itself (work done in a forked
            # process costs more: its writes land on pages shared with this one)
            back = self.child is not None
            while (i := numbers.take_last() if back else numbers.take()) is not None:
                if numbers.left() and self._can_start():
                    self.child = Writer(jobs, numbers)          # takes the longest work left, from the front
                _write(*jobs[i])
            self._finish(wait=True)
            for staged, final in self.places:
                final.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, final)
        finally:
            self.discard()

    def discard(self) -> None:
        """Stop the writer process, if any, and remove the staging folder with all it holds."""
        if self.child is not None:
            self.child.stop()
            self.child = None
        shutil.rmtree(self.folder, ignore_errors=True)

    def _hand_off(self) -> None:
        """Give the largest pending table of fork_rows rows or more to a new writer process when
        none is busy."""
        big = [i for i, (_, value) in enumerate(self.pending)
               if not callable(value) and self.fork_rows is not None and len(value) >= self.fork_rows]
        if big and self._can_start():
            at = max(big, key=lambda i: len(self.pending[i][1]))
            self.child = Writer([self.pending.pop(at)], Numbers(1))

    def _can_start(self) -> bool:
        """True when a writer process may start: forking is on and safe, and none is busy."""
        return self.fork_rows is not None and can_fork() and self._finish(wait=False)

    def _finish(self, wait: bool) -> bool:
        """True when no writer process is busy (after waiting for it, with `wait`); raises its error."""
        if self.child is None:
            return True
        error = self.child.result(wait)
        if error is False:
            return False
        self.child = None
        if error:
            raise WriteError(error)
        return True


class Sized:
    """A writer (a callable that writes the path) with the seconds it is thought to take, so that
    the longest work is started first: one department's scorecards.xlsx can take longer than
    every other file together, and started last it would run alone at the end."""

    def __init__(self, write, seconds: float):
        self.write, self.seconds = write, seconds

    def __call__(self, path: Path) -> None:
        self.write(path)


ROW_SECONDS = 2e-6      # about what a row of CSV takes to make and write


def _seconds(value) -> float:
    """What a pending file is thought to take: a table by its rows, a Sized writer as it says, any
    other writer nothing (they go last, in the order added)."""
    if isinstance(value, Sized):
        return value.seconds
    return 0.0 if callable(value) else len(value) * ROW_SECONDS


class Later:
    """A table made by the process that writes it (a writer process, where one takes it): make()
    gives the frame or CodedTable, of `rows` rows (known before, for which process writes it, and when)."""

    def __init__(self, make, rows: int):
        self.make, self.rows = make, rows

    def __len__(self) -> int:
        return self.rows


def _write(path: Path, value) -> None:
    if callable(value):
        value(path)
    else:
        table = value.make() if isinstance(value, Later) else value
        with open(path, "wb") as fh:
            fh.writelines(csv_parts(table))


class Numbers:
    """The numbers 0 to n-1, each taken once, from the front or from the back, by this process or
    its forked writer process."""

    WAIT = 60       # seconds; the lock is held for microseconds, unless its holder was killed holding it

    def __init__(self, n: int):
        self.n = n
        self.next = multiprocessing.RawValue("q", 0)   # shared memory: the first number not taken
        self.end = multiprocessing.RawValue("q", n)    # ... and the one after the last not taken
        self.lock = multiprocessing.Lock()

    def take(self) -> int | None:
        """The lowest number not taken yet (None when all are)."""
        with self._locked():
            taken = self.next.value
            if taken >= self.end.value:
                return None
            self.next.value = taken + 1
        return taken

    def take_last(self) -> int | None:
        """The highest number not taken yet (None when all are)."""
        with self._locked():
            if self.next.value >= self.end.value:
                return None
            self.end.value -= 1
            return self.end.value

    def left(self) -> int:
        with self._locked():
            return self.end.value - self.next.value

    @contextlib.contextmanager
    def _locked(self):
        if not self.lock.acquire(timeout=self.WAIT):
            raise WriteError(f"the count of files shared with the writer process stayed locked for {self.WAIT} s: "
                             "the other process stopped while holding it; run the command again")
        try:
            yield
        finally:
            self.lock.release()


class Writer:
    """A forked copy of this process that writes the files of `jobs` whose numbers it takes from
    `numbers`, then exits at once (no clean-up: the parent's buffers and exit handlers are the
    parent's). What went wrong comes back through a pipe. `numbers` is kept here until the
    process is reaped: freed, its shared memory could be handed to the next Numbers."""

    def __init__(self, jobs: list[tuple[Path, object]], numbers: Numbers):
        self.names, self.numbers = [path.name for path, _ in jobs], numbers
        read, write = os.pipe()
        with warnings.catch_warnings():                 # pyarrow's own threads are about, idle
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:                                    # the child
            code, failed = 0, self.names[0]
            try:
                os.close(read)
                while (i := numbers.take()) is not None:
                    failed = jobs[i][0].name
                    _write(*jobs[i])
            except BaseException as error:              # noqa: BLE001 - every failure goes to the parent
                said = f"writing {failed} failed in the writer process: {type(error).__name__}: {error}"
                os.write(write, said.encode("utf-8", "replace")[:4000])
                code = 1
            finally:
                os._exit(code)
        os.close(write)
        self.pid, self.pipe = pid, read

    def result(self, wait: bool):
        """False while the process runs; then "" when it wrote the file, else what went wrong."""
        pid, status = os.waitpid(self.pid, 0 if wait else os.WNOHANG)
        if pid == 0:
            return False
        with os.fdopen(self.pipe, "rb") as pipe:
            said = pipe.read().decode("utf-8", "replace")
        self.pid = self.numbers = None
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0:
            return ""
        how = (f"stopped by signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
               else f"ended with exit status {os.WEXITSTATUS(status)}")
        return said or f"the writer process ({', '.join(self.names[:3])}{', …' * (len(self.names) > 3)}) was {how}"

    def stop(self) -> None:
        """Kill the process if it still runs, and reap it."""
        if self.pid is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        os.close(self.pipe)
        self.pid = self.numbers = None
