"""The CSV files of an inputs folder, read and parsed by pyarrow in a thread while the command
starts up (importing pandas and loading params take about as long, on the other core).

    ahead.start(folder)       # the command, first thing
    ahead.taken(path, data)   # the readers: what was parsed from these very bytes, or None

This module imports neither pandas nor perfpay.inputs, so that the thread starts at once. It
also knows which files of a folder may hold input tables, and how a CSV file is parsed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

RECORD_FOLDERS = ("records", "原始记录")     # raw records (perfpay.kpis.records), not input tables
BOM = b"\xef\xbb\xbf"
ROSTER_NAMES = ("roster", "人员")      # the roster's file names (perfpay.inputs.contracts): read first


def named(stem: str, names) -> bool:
    """Whether a file stem or sheet name names a table of these `names`: `实绩`, `Actuals`,
    `2026-07_实绩` (perfpay.inputs.contracts.table_for_name)."""
    text = "".join(str(stem).split()).lower()
    return any(text == n or text.endswith("_" + n) or text.endswith("-" + n) for n in map(str.lower, names))


def input_files(root: Path) -> list[Path]:
    """The files under `root` that may hold input tables, in the order they are read (hidden files,
    Excel's lock files and the raw records of perfpay.kpis.records left out)."""
    return [path for path in sorted(p for p in root.rglob("*") if p.is_file())
            if not any(part.startswith(".") for part in path.relative_to(root).parts)
            and not path.name.startswith("~$") and path.relative_to(root).parts[0] not in RECORD_FOLDERS]


def separator(first: str) -> str:
    """The separator of a CSV whose first line is `first`: a comma, else a tab, else a semicolon."""
    if "," in first:
        return ","
    return "\t" if "\t" in first else ";" if ";" in first else ","


LOOK = 1 << 16          # characters (or bytes) looked at for the first line


def first_line(text: str, look: int = LOOK) -> str:
    """The first line holding anything (as str.splitlines cuts lines), without cutting the whole text."""
    lines = text[:look].splitlines()
    whole = lines if len(text) <= look else lines[:-1]     # the last piece may go on past `look`
    found = next((line for line in whole if line.strip()), None)
    if found is None and len(text) > look:
        return next((line for line in text.splitlines() if line.strip()), "")
    return found or ""


def parse_csv(data, sep: str, width: int, threads: bool = True):
    """The pyarrow table of a CSV's UTF-8 bytes: every cell as text, as written (columns f0, f1, ...)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    return pcsv.read_csv(
        pa.BufferReader(pa.py_buffer(data)),
        read_options=pcsv.ReadOptions(autogenerate_column_names=True, use_threads=threads),
        parse_options=pcsv.ParseOptions(delimiter=sep, newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(column_types={f"f{j}": pa.string() for j in range(width)},
                                            strings_can_be_null=False, quoted_strings_can_be_null=False))


@dataclass
class Parsed:
    """A CSV file parsed ahead: its bytes, the separator and width it was parsed with, its table and
    each column dictionary-encoded."""
    data: bytes
    sep: str
    width: int
    table: object
    coded: list


def _parsed(data: bytes) -> Parsed:
    body = data[len(BOM):] if data.startswith(BOM) else data
    first = first_line(body[:LOOK].decode("utf-8", errors="ignore"))     # the readers check it
    sep = separator(first)
    width = first.count(sep) + 1
    table = parse_csv(body, sep, width, threads=False)
    return Parsed(data, sep, width, table, encoded(table))


def encoded(table) -> list:
    """Each column of a parsed CSV, dictionary-encoded (what the readers turn into text columns)."""
    return [column.combine_chunks().dictionary_encode() for column in table.columns]


class ReadAhead:
    """A thread that parses the CSV files under `root`, the roster first (the command reads it
    first), then the largest first, until it is told to stop (one core: pyarrow's own threads
    would take the core the start-up runs on). A file it did not get to, or could not parse, is
    read by the readers as usual."""

    def __init__(self, root):
        self.root = Path(root)
        self.parsed: dict[Path, Parsed] = {}
        self.current: Path | None = None            # the file being parsed
        self.done = threading.Condition()           # told when a file is parsed
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._read, name="perfpay-read-ahead", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        files = [p for p in input_files(self.root) if p.suffix.lower() == ".csv"] if self.root.is_dir() else []
        try:
            for path in sorted(files, key=lambda p: (not named(p.stem, ROSTER_NAMES), -p.stat().st_size)):
                if self.stop.is_set():
                    return
                with self.done:
                    self.current = path
                try:
                    got = _parsed(path.read_bytes())
                except Exception:        # noqa: BLE001 - not UTF-8, ragged, gone: the readers read it as usual
                    got = None
                with self.done:
                    if got is not None:
                        self.parsed[path] = got
                    self.current = None
                    self.done.notify_all()
        finally:
            with self.done:
                self.current = None
                self.done.notify_all()

    def take(self, path: Path) -> Parsed | None:
        """What was parsed from `path` (after the thread is done with it, if it is parsing it now),
        given once; None for a file not parsed (yet)."""
        with self.done:
            while self.current == path:
                self.done.wait()
            return self.parsed.pop(path, None)

    def wait(self) -> None:
        """Let the file being parsed be finished, then stop."""
        self.stop.set()
        self.thread.join()


_ahead: ReadAhead | None = None


def start(root) -> None:
    """Start reading the CSV files under `root` ahead (what an earlier start read is dropped)."""
    global _ahead
    wait()
    _ahead = ReadAhead(root)


def wait() -> None:
    """Stop the thread after the file it is parsing (before forking: no other thread may run then)."""
    if _ahead is not None:
        _ahead.wait()


def taken(path: Path, data: bytes) -> Parsed | None:
    """What was parsed ahead from `path`, when it was these very bytes; each is given once. The
    thread goes on (a caller that forks stops it first: wait); while it parses this very file,
    that is waited for."""
    if _ahead is None:
        return None
    got = _ahead.take(Path(path))
    return got if got is not None and got.data == data else None


def running() -> int:
    """1 while the thread runs, else 0 (for forked.can_fork: the thread is stopped before a fork)."""
    return int(_ahead is not None and _ahead.thread.is_alive())


def forget() -> None:
    """Drop what was parsed ahead and not taken (the inputs are read)."""
    if _ahead is not None:
        _ahead.wait()
        _ahead.parsed.clear()
