"""Exact arithmetic for rules: integers, never floats, decide a step, a grade or a cent.

Measures (actuals, targets, counts, ratings) travel as integers of micro-units
(value × 10**6); points as integers of centipoints (points × 100); money as
integers of fen (yuan × 100). Arrays hold Python ints (dtype=object) so that
products never overflow; numpy applies each operation to the whole array.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

MICRO = 10**6     # measures
CENT = 100        # points and money


def ints(values, scale: int = MICRO) -> np.ndarray:
    """Decimals (or None/NaN) → object array of Python ints at `scale` (a power of ten); missing → 0.

    Works on the decimal text column-wise: '-12.5' at 10**6 → '-12' and '500000' → -12500000.
    Digits past the scale are cut (inputs carry at most 6 decimals).
    """
    s = pd.Series(values, dtype=object)
    if len(s) == 0:
        return np.zeros(0, dtype=object)
    missing = s.isna()
    places = len(str(scale)) - 1
    text = s.where(~missing, "0").astype(str)
    odd = text.str.contains(r"[eE]", regex=True)
    if odd.any():                                    # scientific notation: rare, format exactly
        text[odd] = [format(Decimal(t), "f") for t in text[odd]]
    neg = text.str.startswith("-")
    body = text.str.lstrip("+-")
    parts = body.str.split(".", n=1, expand=True)
    whole = parts[0].replace("", "0")
    frac = parts[1].fillna("") if parts.shape[1] > 1 else pd.Series("", index=s.index)
    frac = frac.str.slice(0, places).str.pad(places, side="right", fillchar="0") if places else ""
    digits = whole + frac
    if (digits.str.len() <= 18).all():               # fits int64: parsed in C, no Python loop
        number = digits.astype("int64").to_numpy().astype(object)
    else:                                            # beyond int64: Python ints, exact
        number = digits.map(int).to_numpy(dtype=object)
    out = np.where(neg, -number, number)
    return np.where(missing.to_numpy(), 0, out).astype(object)


def present(values) -> np.ndarray:
    """Boolean mask of values that are not missing."""
    return ~pd.isna(pd.Series(values, dtype=object)).to_numpy()


def fraction(value) -> Fraction:
    """A parameter (Decimal, int, str) as an exact fraction."""
    return Fraction(Decimal(str(value)))


def cents(value) -> int:
    """A parameter in points or yuan as an integer of hundredths; refuses sub-cent values."""
    f = fraction(value) * CENT
    if f.denominator != 1:
        raise ValueError(f"{value} has more than two decimals")
    return int(f)


def obj(array) -> np.ndarray:
    """Any integer array as an object array of Python ints (overflow-free)."""
    return np.asarray(array).astype(object)


def round_half_up(num, den) -> np.ndarray:
    """num / den rounded to an integer, halves away from zero (四舍五入). den > 0."""
    num = obj(num)
    den = obj(np.broadcast_to(den, num.shape))
    mag = (abs(num) * 2 + den) // (den * 2)
    return np.where(num < 0, -mag, mag).astype(object)


def floor_div(num, den) -> np.ndarray:
    return (obj(num) // obj(np.broadcast_to(den, np.shape(num)))).astype(object)


def ceil_div(num, den) -> np.ndarray:
    return (-((-obj(num)) // obj(np.broadcast_to(den, np.shape(num))))).astype(object)


def to_decimal(array, scale: int = CENT) -> list[Decimal]:
    """Integers at `scale` → Decimals with the matching number of places (for output)."""
    places = len(str(scale)) - 1
    q = Decimal(1).scaleb(-places)
    return [(Decimal(int(v)) / scale).quantize(q) for v in array]


def fmt(array, scale: int = CENT, places: int = 2, trim: bool = True) -> pd.Series:
    """Integers at `scale` → text such as '90', '92.5', '-3' (trim) or '92.50'."""
    a = obj(array)
    factor = scale // 10**places if scale >= 10**places else None
    if factor is None:
        raise ValueError("scale smaller than the places asked for")
    v = round_half_up(a, factor)
    neg = pd.Series(v < 0)
    mag = pd.Series(abs(v))
    whole = (mag // 10**places).astype(str)
    frac = (mag % 10**places).astype(str).str.zfill(places)
    if trim:
        frac = frac.str.rstrip("0")
    text = whole.where(frac == "", whole + "." + frac)
    return text.where(~neg, "-" + text).reset_index(drop=True)
