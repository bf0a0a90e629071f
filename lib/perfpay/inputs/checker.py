"""Row checks over one table, lazily: flag rows, never raise, remember what was wrong."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import PerfpayError
from ..distinct import refactorized
from .values import factorize, period_of, spread
from .contracts import TABLES
from .report import Problem, Report


def where(file, sheet, row) -> str:
    return f"{file}" + (f" sheet {sheet}" if sheet else "") + f" row {row}"


class Checker:
    """One table under check.

    `df` holds the text columns as read plus parsed columns added by the checks.
    `flag(mask, column, message, fix)` reports every row of `mask`; message and fix are
    format strings over the row's columns (or callables of the row dict); extra per-row
    Series may be passed as keyword arguments. `_col` is the header of `column` as written.
    Errors mark the rows as left out and the column as wrong, so that later checks that
    need the column (`ok(column)`) skip those rows instead of piling up follow-on problems.
    """

    def __init__(self, table: str, frame: pd.DataFrame, headers: dict, report: Report, codes: dict | None = None):
        self.table = table
        self.df = frame.copy(deep=False)     # the checks add columns; they never change the text read
        self.headers = headers
        self.report = report
        self.bad = pd.Series(False, index=self.df.index)
        self.bad_col: dict[str, pd.Series] = {}
        self.case: np.ndarray | None = None   # code of each row's (period, card, indicator), once known
        self._coded: dict = {}                # column -> (its array's place, the array, codes, distinct values)
        for column, (found, uniques) in (codes or {}).items():      # what the reader knew (RawTables.codes)
            values = self.df[column].to_numpy(dtype=object)
            self._coded[column] = (_place(values), values, found, uniques)

    @property
    def spec(self):
        return TABLES[self.table]

    def ok(self, *columns: str) -> pd.Series:
        """Rows whose `columns` have no error (and are still kept)."""
        mask = ~self.bad if not columns else pd.Series(True, index=self.df.index)
        for c in columns:
            if c in self.bad_col:
                mask &= ~self.bad_col[c]
        return mask

    def keep(self, mask: pd.Series) -> None:
        """Drop the rows outside `mask` (e.g. outside the period asked for) from the check."""
        if mask.all():
            return
        kept = {c: got[2:] for c, got in self._coded.items()
                if got[0] == _place(self.df[c].to_numpy(dtype=object))}
        self.df = self.df[mask]
        rows = mask.to_numpy(dtype=bool)
        self._coded = {}
        for c, (codes, uniques) in kept.items():
            values = self.df[c].to_numpy(dtype=object)
            self._coded[c] = (_place(values), values, codes[rows], uniques)
        if self.case is not None:
            self.case = self.case[mask.to_numpy(dtype=bool)]
        self.bad = self.bad[mask]
        self.bad_col = {c: m[mask] for c, m in self.bad_col.items()}

    def coded(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct values) of a column (-1 where missing), worked out once per column:
        the text read is never changed in place, and a column set anew is another array."""
        values = self.df[column].to_numpy(dtype=object)
        got = self._coded.get(column)
        if got is None or got[0] != _place(values):
            got = (_place(values), values, *factorize(values))    # the array is kept: its place stays its own
            self._coded[column] = got
        return got[2], got[3]

    def set_cases(self, column: str, at: np.ndarray, values: np.ndarray) -> None:
        """Set `column` to the value of each row's case, values[at] (None where `at` is -1), its
        codes worked out from the cases (few) rather than from the rows."""
        values, given = np.empty(len(values), dtype=object), values
        values[:] = given
        self.df[column] = pd.Series(spread(values, at), index=self.df.index, dtype=object)
        stored = self.df[column].to_numpy(dtype=object)
        self._coded[column] = (_place(stored), stored, *refactorized(at, values))

    def known_codes(self, column: str) -> tuple[np.ndarray, np.ndarray] | None:
        """coded(column) where a check has already worked it out for the column as it is, else None."""
        got = self._coded.get(column)
        if got is None or column not in self.df or got[0] != _place(self.df[column].to_numpy(dtype=object)):
            return None
        return got[2], got[3]

    def blank(self, column: str) -> pd.Series:
        """Rows whose `column` is "" (an empty cell)."""
        codes, uniques = self.coded(column)
        at = np.flatnonzero(uniques == "") if len(uniques) else []
        blank = codes == at[0] if len(at) else np.zeros(len(codes), dtype=bool)
        return pd.Series(blank, index=self.df.index)

    def filled(self, column: str) -> pd.Series:
        """Rows whose `column` is not "" (missing values count as filled, as with `ne("")`)."""
        return ~self.blank(column)

    def equal(self, column: str, value) -> pd.Series:
        """Rows whose `column` == `value` (Series.eq), decided on the distinct values."""
        codes, uniques = self.coded(column)
        at = np.flatnonzero(np.array([u == value for u in uniques], dtype=bool))
        return pd.Series(np.isin(codes, at), index=self.df.index)

    def given(self, column: str) -> pd.Series:
        """Rows whose `column` holds a value (not None), for a column set whole by a check."""
        return pd.Series(self.coded(column)[0] >= 0, index=self.df.index)

    def isin(self, column: str, values) -> pd.Series:
        """Rows whose `column` is in `values` (a set or dict keys), each distinct value looked up once."""
        if not values:                  # nothing to find (the roster's rejected rows, mostly)
            return pd.Series(False, index=self.df.index)
        codes, uniques = self.coded(column)
        found = np.fromiter((u in values for u in uniques), dtype=bool, count=len(uniques))
        return pd.Series(np.append(found, False)[codes], index=self.df.index)

    def header(self, file, sheet, column) -> str | None:
        if column is None:
            return None
        return self.headers.get((file, sheet), {}).get(column, column)

    def flag(self, mask, column, message, fix, severity="error", skipped=None, value=None, **extra):
        mask = pd.Series(mask, index=self.df.index).fillna(False).astype(bool)
        if not mask.any():
            return 0
        rows = self.df.loc[mask]
        records = rows.to_dict("records")
        extra = {k: (v.loc[mask].tolist() if isinstance(v, pd.Series) else [v] * len(rows))
                 for k, v in extra.items()}
        for i, rec in enumerate(records):
            for k, vs in extra.items():
                rec[k] = vs[i]
            col = self.header(rec["_file"], rec["_sheet"], column)
            rec["_col"] = col
            text = _text(message, rec)
            self.report.add(Problem(
                severity, self.table, rec["_file"], rec["_sheet"], int(rec["_row"]), col,
                _text(value, rec) if value is not None else (rec.get(column) if column else None),
                text, _text(fix, rec), skipped))
        leaves_out = skipped if skipped is not None else severity == "error"
        if leaves_out:
            self.bad |= mask
            key = column or "_row"
            self.bad_col[key] = self.bad_col.get(key, pd.Series(False, index=self.df.index)) | mask
        return int(mask.sum())

    def flag_reasons(self, reasons: pd.Series, column, fix, **kw):
        """Flag the rows whose `reasons` text is not empty, with that text as the message."""
        codes, uniques = factorize(reasons.to_numpy(dtype=object))
        wrong = np.append(np.array([u != "" for u in uniques], dtype=bool), False)     # -1: None
        return self.flag(pd.Series(wrong[codes], index=reasons.index), column, "{_reason}", fix,
                         _reason=reasons, **kw)

    def codes(self, *extra: str) -> np.ndarray:
        """Code of each row's (period, card, indicator) and `extra` columns (after check_indicators)."""
        if not extra:
            return self.case
        from .values import case_codes
        return case_codes([self.case, *(self.df[c].to_numpy(dtype=object) for c in extra)])

    def where(self, mask=None) -> pd.Series:
        """'file sheet row N' of the rows of `mask` (all rows when None)."""
        d = self.df if mask is None else self.df[mask]
        return pd.Series([where(f, s, r) for f, s, r in zip(d["_file"], d["_sheet"], d["_row"])],
                         index=d.index, dtype=object)


def _place(values: np.ndarray) -> tuple:
    """Where an array's memory lies, its shape and strides."""
    return values.__array_interface__["data"][0], values.shape, values.strides


def _text(template, rec) -> str:
    if callable(template):
        return template(rec)
    return str(template).format_map(rec)


class Catalogs:
    """catalog_for, called once per period; a period without cards is remembered as an error text."""

    def __init__(self, catalog_for):
        self.catalog_for = catalog_for
        self.cache: dict[str, tuple[object, str]] = {}

    def get(self, period):
        """(catalog, "") or (None, why) for a Period or a period label."""
        label = str(period)
        if label not in self.cache:
            try:
                self.cache[label] = (self.catalog_for(period_of(label)), "")
            except (PerfpayError, LookupError, ValueError) as exc:
                self.cache[label] = (None, f"{type(exc).__name__}: {exc}")
        return self.cache[label]

    def card(self, period, card_key):
        return self.get(period)[0].cards[card_key]

    def indicator(self, period, card_key, indicator_key):
        return self.card(period, card_key).indicator(indicator_key)
