"""Exact arithmetic for rules: integers, never floats, decide a step, a grade or a cent.

Measures (actuals, targets, counts, ratings) travel as integers of micro-units
(value × 10**6); points as integers of centipoints (points × 100); money as
integers of fen (yuan × 100).

Two widths, one arithmetic: int64 arrays while every intermediate provably stays
below LIMIT (the caller gives the bound, see `fit`), else arrays of Python ints
(dtype=object) that never overflow. numpy applies each operation to the whole
array either way, and `//` floors in both, so the same code serves both widths.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .distinct import factorize

MICRO = 10**6     # measures
CENT = 100        # points and money
LIMIT = 2**62     # int64 is used while every intermediate stays below this (int64 ends at 2**63)


# parsing ---------------------------------------------------------------------------------------
def ints64(values, scale: int = MICRO) -> np.ndarray:
    """Decimals, ints or decimal text (or None/NaN) → integers at `scale` (a power of ten); missing → 0.

    int64 when every value fits, else object ints. Digits past the scale are cut
    (inputs carry at most 6 decimals).
    """
    if isinstance(getattr(values, "dtype", None), np.dtype) and values.dtype.kind in "iu":   # integers already
        whole = narrow(values)
        return whole * scale if largest(whole) * scale < LIMIT else obj(whole) * scale
    a = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else np.asarray(values, dtype=object)
    a = a.reshape(-1)
    try:
        codes, distinct = factorize(a)              # each distinct value once: inputs repeat a lot
    except TypeError:                               # unhashable: every value on its own
        codes, distinct = np.arange(len(a)), a
    number = _via_arrow(np.asarray(distinct, dtype=object), scale)
    if number is not None:
        return np.r_[number, 0][codes]              # missing (code -1) → 0
    missing = pd.isna(a)
    out = np.zeros(len(a), dtype=np.int64)
    number = _via_text(a[~missing], scale)
    out = out.astype(number.dtype)
    out[~missing] = number
    return out


def ints(values, scale: int = MICRO) -> np.ndarray:
    """As `ints64`, always as object ints (for callers that multiply freely)."""
    return obj(ints64(values, scale))


def _via_arrow(values: np.ndarray, scale: int) -> np.ndarray | None:
    """Parsed in C by pyarrow as decimal128 with the scale's places, missing → 0; None when it cannot
    say exactly (digits past the scale, odd text, beyond int64): the text path then decides."""
    places = len(str(scale)) - 1
    kind = pa.decimal128(38, places)
    try:
        arr = pa.array(values, type=kind, from_pandas=True)          # Decimals, ints, None, NaN
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        if pd.isna(values).any():
            return None
        try:                                                         # decimal text
            arr = pc.cast(pa.array(values.astype(str), type=pa.string()), kind)
        except (pa.ArrowException, TypeError, ValueError):
            return None
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[2 * arr.offset: 2 * (arr.offset + len(arr))]
    low, high = words[0::2].copy(), words[1::2]                      # 128-bit little-endian integers
    if arr.null_count:
        missing = arr.is_null().to_numpy(zero_copy_only=False)
        low[missing] = 0
        high = np.where(missing, 0, high)
    if (high != (low >> 63)).any():
        return None
    return low


def _via_text(given: np.ndarray, scale: int) -> np.ndarray:
    """Column-wise on the decimal text: '-12.5' at 10**6 → '-12' and '500000' → -12500000."""
    s = pd.Series(given, dtype=object)
    if len(s) == 0:
        return np.zeros(0, dtype=np.int64)
    places = len(str(scale)) - 1
    text = s.astype(str)
    odd = text.str.contains(r"[eE]", regex=True)
    if odd.any():                                    # scientific notation: rare, format exactly
        text[odd] = [format(Decimal(t), "f") for t in text[odd]]
    neg = text.str.startswith("-").to_numpy()
    body = text.str.lstrip("+-")
    parts = body.str.split(".", n=1, expand=True)
    whole = parts[0].replace("", "0")
    frac = parts[1].fillna("") if parts.shape[1] > 1 else pd.Series("", index=s.index)
    frac = frac.str.slice(0, places).str.pad(places, side="right", fillchar="0") if places else ""
    digits = whole + frac
    if (digits.str.len() <= 18).all():               # fits int64
        number = digits.astype("int64").to_numpy()
    else:                                            # beyond int64: Python ints, exact
        number = digits.map(int).to_numpy(dtype=object)
    return np.where(neg, -number, number)


def present(values) -> np.ndarray:
    """Boolean mask of values that are not missing."""
    return ~pd.isna(pd.Series(values, dtype=object)).to_numpy()


# parameters ------------------------------------------------------------------------------------
def fraction(value) -> Fraction:
    """A parameter (Decimal, int, str) as an exact fraction."""
    return Fraction(Decimal(str(value)))


def cents(value) -> int:
    """A parameter in points or yuan as an integer of hundredths; refuses sub-cent values."""
    f = fraction(value) * CENT
    if f.denominator != 1:
        raise ValueError(f"{value} has more than two decimals")
    return int(f)


# widths ----------------------------------------------------------------------------------------
def obj(array) -> np.ndarray:
    """Any integer array as an object array of Python ints (overflow-free)."""
    return np.asarray(array).astype(object)


def narrow(array) -> np.ndarray:
    """An integer array (or list) as int64 when every value fits, else as object ints."""
    a = np.asarray(array)
    if a.dtype.kind in "ib" or (a.dtype.kind == "u" and (a.size == 0 or a.max() < 2**63)):
        return a.astype(np.int64, copy=False)
    try:
        return a.astype(np.int64)
    except OverflowError:
        return a.astype(object)


def largest(*arrays) -> int:
    """The largest |x| over integer arrays (0 when all are empty), as a Python int."""
    top = 0
    for a in arrays:
        if len(a):
            top = max(top, int(a.max()), -int(a.min()))
    return top


def fit(arrays, bound: int) -> list[np.ndarray]:
    """The arrays as int64 when `bound` (the caller's largest intermediate) is below LIMIT, else as object ints.

    Each rule works out `bound` from `largest` of its inputs and its parameters.
    """
    if bound < LIMIT:
        return [narrow(a) for a in arrays]
    return [obj(a) for a in arrays]


# rounding --------------------------------------------------------------------------------------
def half_up(num, den) -> np.ndarray:
    """num / den rounded to an integer, halves away from zero (四舍五入). den > 0.

    Keeps the width of its inputs: int64 in, int64 out (the caller has checked the bound of
    2 × |num| + den); any object input gives object ints.
    """
    num = np.asarray(num)
    den = np.broadcast_to(np.asarray(den), num.shape)
    mag = (abs(num) * 2 + den) // (den * 2)
    return np.where(num < 0, -mag, mag)


def round_half_up(num, den) -> np.ndarray:
    """As `half_up`, on object ints (overflow-free) and returning object ints."""
    return half_up(obj(num), obj(np.broadcast_to(den, np.shape(num)))).astype(object)


def floor_div(num, den) -> np.ndarray:
    """⌊num / den⌋, den > 0; keeps the width of its inputs."""
    return np.asarray(num) // np.broadcast_to(np.asarray(den), np.shape(num))


def ceil_div(num, den) -> np.ndarray:
    """⌈num / den⌉, den > 0; keeps the width of its inputs."""
    return -((-np.asarray(num)) // np.broadcast_to(np.asarray(den), np.shape(num)))


# output ----------------------------------------------------------------------------------------
def decimals(array, scale: int = CENT) -> np.ndarray:
    """Integers at `scale` → object array of Decimals with the matching number of places.

    Made once per distinct value: scores repeat a lot.
    """
    values = np.asarray(array)
    if values.dtype == object:
        values = narrow(values)
    places = len(str(scale)) - 1
    q = Decimal(1).scaleb(-places)
    if values.dtype == np.int64 and len(values):
        low, high = int(values.min()), int(values.max())
        if high - low <= 4 * len(values):           # dense values: a table indexed by value
            offset = values - low
            present = np.flatnonzero(np.bincount(offset))
            made = np.empty(high - low + 1, dtype=object)
            made[present] = [(Decimal(int(v) + low) / scale).quantize(q) for v in present]
            return made[offset]
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    made = np.array([(Decimal(int(v)) / scale).quantize(q) for v in uniques], dtype=object)
    return made[codes]


def to_decimal(array, scale: int = CENT) -> list[Decimal]:
    """Integers at `scale` → Decimals with the matching number of places (for output)."""
    return decimals(array, scale).tolist()


def fmt(array, scale: int = CENT, places: int = 2, trim: bool = True) -> pd.Series:
    """Integers at `scale` → text such as '90', '92.5', '-3' (trim) or '92.50'.

    Written once per distinct value.
    """
    return pd.Series(fmt_array(array, scale, places, trim), dtype=object)


def fmt_array(array, scale: int = CENT, places: int = 2, trim: bool = True) -> np.ndarray:
    """`fmt` as an object array of str."""
    a = np.asarray(array)
    if a.dtype == object:
        a = narrow(a)
    codes, uniques = pd.factorize(a, use_na_sentinel=False)
    return _fmt(narrow(np.asarray(uniques)), scale, places, trim)[codes]


def _fmt(a: np.ndarray, scale: int, places: int, trim: bool) -> np.ndarray:
    factor = scale // 10**places if scale >= 10**places else None
    if factor is None:
        raise ValueError("scale smaller than the places asked for")
    if a.dtype != np.int64 or places < 1 or largest(a) * 2 + factor >= LIMIT:
        return _fmt_ints(obj(a), factor, places, trim)
    v = half_up(a, factor)                          # int64: the bound is checked above
    mag = np.abs(v)
    whole = pa.array(mag // 10**places).cast(pa.string())
    frac = pc.utf8_lpad(pa.array(mag % 10**places).cast(pa.string()), width=places, padding="0")
    if trim:
        frac = pc.utf8_rtrim(frac, characters="0")
    text = pc.if_else(pc.equal(frac, ""), whole, pc.binary_join_element_wise(whole, frac, "."))
    out = np.asarray(text.to_numpy(zero_copy_only=False), dtype=object)
    neg = np.flatnonzero(v < 0)
    if len(neg):
        out[neg] = "-" + out[neg]
    return out


def _fmt_ints(a: np.ndarray, factor: int, places: int, trim: bool) -> np.ndarray:
    """`_fmt` on Python ints, any size."""
    v = round_half_up(a, factor)
    neg = pd.Series(v < 0)
    mag = pd.Series(abs(v))
    whole = (mag // 10**places).astype(str)
    frac = (mag % 10**places).astype(str).str.zfill(places)
    if trim:
        frac = frac.str.rstrip("0")
    text = whole.where(frac == "", whole + "." + frac)
    return text.where(~neg, "-" + text).reset_index(drop=True).to_numpy(dtype=object)
