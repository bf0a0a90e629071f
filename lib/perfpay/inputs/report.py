"""Problems found in the inputs, collected lazily into one report."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields

import pandas as pd

from ..errors import InputError


@dataclass
class Problem:
    severity: str            # "error" | "warning"
    table: str               # roster | targets | ... | "" for file-level problems
    file: str                # path relative to the inputs folder when possible
    sheet: str | None        # xlsx sheet name, None for CSV
    row: int | None          # row as Excel / an editor shows it (header = row 1)
    column: str | None       # the column header as written in the file
    value: str | None
    message: str             # what is wrong
    fix: str                 # what to do
    skipped: bool | None = None   # the row / file is left out of the inputs; default: errors are

    def __post_init__(self):
        if self.skipped is None:
            self.skipped = self.severity == "error"

    def where(self) -> str:
        parts = []
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def line(self) -> str:
        where = self.where()
        value = f" = {self.value!r}" if self.value not in (None, "") and self.row is not None else ""
        head = f"{where}{value}: " if where else ""
        return f"{self.severity}: {head}{self.message}. Fix: {self.fix}"


COLUMNS = [f.name for f in fields(Problem)]


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)

    # collecting ----------------------------------------------------------
    def add(self, *args, **kwargs) -> Problem:
        p = args[0] if args and isinstance(args[0], Problem) else Problem(*args, **kwargs)
        self.problems.append(p)
        return p

    def extend(self, problems) -> None:
        self.problems.extend(problems)

    def __len__(self) -> int:
        return len(self.problems)

    def __iter__(self):
        return iter(self.problems)

    # reading -------------------------------------------------------------
    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def sorted(self) -> list[Problem]:
        return sorted(self.problems, key=lambda p: (p.file, p.sheet or "", p.row or 0,
                                                    p.severity != "error", p.column or ""))

    def summary(self) -> str:
        if not self.problems:
            return "inputs: no problems"
        n_err, n_warn = len(self.errors), len(self.warnings)
        files = len({p.file for p in self.problems})
        rows = len({(p.file, p.sheet, p.row) for p in self.problems if p.skipped and p.row is not None})
        whole = len({(p.file, p.sheet) for p in self.problems if p.skipped and p.row is None})
        out = f"{rows} row(s)" + (f" and {whole} file(s)/sheet(s)" if whole else "")
        return f"inputs: {n_err} error(s), {n_warn} warning(s) in {files} file(s); {out} left out"

    def format(self, limit: int | None = None) -> str:
        """Readable text, grouped by file and sheet; `limit` caps the problem lines shown."""
        lines = [self.summary()]
        shown, last = 0, None
        for p in self.sorted():
            if limit is not None and shown >= limit:
                lines.append(f"... and {len(self.problems) - shown} more (Report.to_frame() has all)")
                break
            group = (p.file, p.sheet)
            if group != last:
                where = p.file or "(inputs)"
                if p.sheet:
                    where += f", sheet {p.sheet}"
                lines.append(where)
                last = group
            lines.append(f"  {p.line()}")
            shown += 1
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format(limit=50)

    def to_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame([asdict(p) for p in self.sorted()], columns=COLUMNS)
        frame["row"] = frame["row"].astype("Int64")
        frame["skipped"] = frame["skipped"].astype(bool)
        return frame

    def raise_for_errors(self) -> None:
        """Raise InputError (carrying this report) when there is any error."""
        if self.has_errors:
            raise InputError(self)
