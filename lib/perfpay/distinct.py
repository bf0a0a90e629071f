"""Codes of the distinct values of an object column, as pd.factorize gives them, faster on the
columns perfpay reads (where equal texts are mostly one and the same str object)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def factorize(values: np.ndarray, use_na_sentinel: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """pd.factorize of an object array, the same codes and uniques, faster where equal values are
    mostly the very same objects (as the readers and parsers make them): the objects are told apart
    by address first, then only the distinct objects by value."""
    values = np.asarray(values)
    if values.dtype != object or len(values) < 1000:
        return pd.factorize(values, use_na_sentinel=use_na_sentinel)
    # an object array holds the addresses of its objects; equal addresses, the very same object
    ids = np.frombuffer(np.ascontiguousarray(values).tobytes(), dtype=np.uintp)
    same, _ = pd.factorize(ids)                   # numbered in order of first appearance
    if len(same) and same.max() + 1 > len(values) // 2:
        return pd.factorize(values, use_na_sentinel=use_na_sentinel)
    codes, uniques = pd.factorize(values[firsts(same)], use_na_sentinel=use_na_sentinel)
    return codes[same], uniques


def firsts(codes: np.ndarray) -> np.ndarray:
    """Where each code first appears, for codes numbered in order of first appearance (0, 1, ...)."""
    if not len(codes):
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.concatenate([[True], codes[1:] > np.maximum.accumulate(codes)[:-1]]))
