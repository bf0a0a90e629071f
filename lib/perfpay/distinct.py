"""Codes of the distinct values of an object column, as pd.factorize gives them, faster on the
columns perfpay reads (where equal texts are mostly one and the same str object)."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

import numpy as np
import pandas as pd


def factorize(values: np.ndarray, use_na_sentinel: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize of an object array, the same codes and uniques, faster where equal values are
    mostly the very same objects (as the readers and parsers make them): the objects are told apart
    by address first, then only the distinct objects by value."""
    values = np.asarray(values)
    if values.dtype != object or len(values) < 1000:
        return pd.factorize(values, use_na_sentinel=use_na_sentinel)
    same, first = same_objects(values)
    if len(first) > len(values) // 2:
        return pd.factorize(values, use_na_sentinel=use_na_sentinel)
    codes, uniques = pd.factorize(values[first], use_na_sentinel=use_na_sentinel)
    return codes[same], uniques


def refactorized(codes: np.ndarray, values: np.ndarray, distinct: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize(values[codes]), worked out from the codes: `values` may hold a value twice, or
    one no code points at (a column read as codes into its texts, then stripped, cut and joined).
    For a million rows, a third to a fifth of the time of factorizing the column itself. `distinct`: the
    caller knows that `values` holds each value once, none missing (then not factorized)."""
    same, found = (np.arange(len(values)), values) if distinct else pd.factorize(values)   # one per value
    joined = np.append(same, -1)[codes]            # -1 where missing
    missing = joined < 0
    number, order, _ = _as_met(joined[~missing] if missing.any() else joined, len(found))
    return np.append(number, -1)[joined], found[order]


def repeated(value, n: int) -> np.ndarray:
    """An object array of n references to `value` itself. np.full(n, text, dtype=object) makes a
    str of its own for every entry (0.09 s for 600,000, against 0.004 s), which the CSV writer
    must then tell apart again."""
    out = np.empty(n, dtype=object)
    out.fill(value)
    return out


def same_objects(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes that are equal where entries are the very same object, and where each code first appears."""
    values = np.ascontiguousarray(values, dtype=object)
    return first_codes(addresses(values))


def addresses(values: np.ndarray) -> np.ndarray:
    """The addresses of the objects of a contiguous object array (CPython's id), as uintp: a view
    of the array's own memory, valid while the array lives."""
    if not values.size:
        return np.zeros(0, dtype=np.uintp)
    return np.ctypeslib.as_array((ctypes.c_size_t * values.size).from_address(values.ctypes.data)).view(np.uintp)


def first_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of equal values, numbered in order of first appearance, and where each first appears.

    A column of long runs of one value (a block per indicator, say) is factorized one run at a time."""
    if len(values) > 64:
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        if len(starts) * 8 <= len(values):
            runs, uniques = pd.factorize(values[starts])
            return np.repeat(runs, np.diff(np.append(starts, len(values)))), starts[_first_places(runs, len(uniques))]
    if values.dtype.kind in "iu" and len(values) > 64:
        low, high = int(values.min()), int(values.max())
        if high - low < max(2 * len(values), 1 << 16):      # few values apart: a table of them, no hashing
            offsets = values - values.dtype.type(low) if values.dtype.kind == "u" \
                else values.astype(np.int64, copy=False) - low          # never past the type's end
            number, _, places = _as_met(offsets, high - low + 1)
            return number[offsets], places
    codes, uniques = pd.factorize(values)
    return codes, _first_places(codes, len(uniques))


def _as_met(offsets: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integers 0 <= offsets < size numbered in order of first appearance, through a table of `size`
    entries rather than by hashing (the points of 608,165 rows, 6,219 distinct: a median of 10 ms
    against 28 ms): (the number of each integer, the integers as first met, where each is first met)."""
    n = len(offsets)
    first = np.full(size, n, dtype=np.int64)
    first[offsets[::-1]] = np.arange(n - 1, -1, -1)     # the last write, the first place, wins
    held = np.flatnonzero(first < n)
    order = held[np.argsort(first[held], kind="stable")]
    number = np.zeros(size, dtype=np.intp)
    number[order] = np.arange(len(order))
    return number, order, first[order]


def _first_places(codes: np.ndarray, n: int) -> np.ndarray:
    """Where each of the codes 0..n-1 first appears."""
    where = np.empty(n, dtype=np.int64)
    where[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)
    return where


def firsts(codes: np.ndarray) -> np.ndarray:
    """Where each code first appears, for codes numbered in order of first appearance (0, 1, ...)."""
    if not len(codes):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.concatenate([[True], codes[1:] > np.maximum.accumulate(codes)[:-1]]))


def slices(frame: pd.DataFrame, keys: str | list[str], columns: list[str] | None = None) -> dict:
    """{key: the rows of `frame` holding it (its `columns`, all by default), in order, indexed
    0, 1, ...} for each distinct key (see key_blocks)."""
    order, blocks = key_blocks(frame, keys)
    block = (frame if columns is None else frame[columns]).take(order).reset_index(drop=True)
    return {k: block.iloc[a:b].reset_index(drop=True) for k, (a, b) in blocks.items()}


def key_blocks(frame: pd.DataFrame, keys: str | list[str]) -> tuple[np.ndarray, dict]:
    """The positions of the rows of `frame` in key order (each key's rows in their order), and
    {key: (start, end) of its rows there} for each distinct key, in order of first appearance:
    a value of the column `keys`, or a tuple of the columns `keys`. Sorting the rows once and
    slicing them is what keeps a table per person linear: filtering the frame once per key
    takes time that grows with the square of the rows (a 6,000-person workbook: minutes)."""
    names = [keys] if isinstance(keys, str) else list(keys)
    if frame.empty:
        return np.zeros(0, dtype=np.intp), {}
    codes = np.zeros(len(frame), dtype=np.int64)
    for name in names:
        part, distinct = pd.factorize(frame[name].to_numpy(), use_na_sentinel=False)
        codes = pd.factorize(codes * len(distinct) + part)[0]
    order = np.argsort(codes, kind="stable")
    ends = np.searchsorted(codes[order], np.arange(codes.max() + 2))
    firsts = order[ends[:-1]]
    found = [frame[name].to_numpy()[firsts] for name in names]
    labels = found[0] if isinstance(keys, str) else list(zip(*found))
    return order, {k: (int(a), int(b)) for k, a, b in zip(labels, ends[:-1], ends[1:])}


def isna(values: np.ndarray) -> np.ndarray:
    """pd.isna of an object array, asked once per distinct object (pd.isna asks Decimals one by one)."""
    if values.dtype != object or len(values) < 1000:
        return pd.isna(values)
    same, first = same_objects(values)
    if len(first) > len(values) // 2:
        return pd.isna(values)
    return pd.isna(values[first])[same]


@dataclass(frozen=True)
class Coded:
    """A column as codes into values: values[codes] is the column (each distinct text of an
    explanation made once, and written once)."""
    codes: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.codes)

    def spread(self) -> np.ndarray:
        return self.values[self.codes]

    @classmethod
    def of(cls, values: np.ndarray) -> "Coded":
        """An object column coded by its very objects (see same_objects)."""
        codes, first = same_objects(values)
        return cls(codes, values[first])
